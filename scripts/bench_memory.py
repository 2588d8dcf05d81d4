"""Benchmark: long-term memory, the quality of dedupe and a user with thousands of remembered facts.

* Dedupe quality: precision and recall of
  :func:`assistant.services.memory.dedupe.is_same_fact` (does a new fact restate or update one already
  remembered?) on the 200 hand-labelled pairs of ``tests/data/memory_pairs.jsonl``, overall and per
  language, with the real embedding model; the same on ``tests/data/memory_pairs_holdout.jsonl`` (40
  pairs written after the rules were fixed, so not used to choose them) and on
  ``tests/data/memory_pairs_crosslingual.jsonl`` (40 pairs of an English and a Russian text, written
  before cross-script pairing was built); and how often
  :func:`~assistant.services.memory.dedupe.is_same_value` agrees with the labels on the "same" pairs
  (a duplicate, or a changed value that supersedes), with the changed values it catches counted apart.
* Scale: a fresh embedded PostgreSQL (``pgserver``, migrated) and one user given ``--entries`` facts
  (default 5,000): varied synthetic facts in English and Russian across all categories, with their real
  embeddings, 80 % active, 15 % superseded (each pointing at an active successor), 5 % forgotten, about
  one in ten critical or high, inserted in bulk.

Embeddings are cached under ``--cache`` (default ``/tmp/memory_bench_cache``) in ``.npy`` files keyed by the
model and the texts, and the ONNX export of the model is kept there too (``ASSISTANT_DATA_DIR`` defaults
to ``<cache>/data``), so only the first run pays for them.

* Speed with that user: a save with its dedupe check (target p95 <= 50 ms) and the memory part of one
  answer's context (target p95 <= 20 ms), see :func:`timed_saves` and :func:`timed_recall`.

Prints one JSON line. Targets (issue 11): precision and recall >= 0.9, the two p95 above.

Usage: ``python scripts/bench_memory.py [--entries 5000] [--cache /tmp/memory_bench_cache]``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from bench_retrieval import cached_embeddings  # the same cache of MiniLM vectors, keyed by model and texts

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAIRS = REPO / "tests" / "data" / "memory_pairs.jsonl"
HOLDOUT = REPO / "tests" / "data" / "memory_pairs_holdout.jsonl"
CROSSLINGUAL = REPO / "tests" / "data" / "memory_pairs_crosslingual.jsonl"

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]
DRUGS_EN = ["metformin", "lisinopril", "amlodipine", "atorvastatin", "rosuvastatin", "levothyroxine", "omeprazole",
            "pantoprazole", "sertraline", "escitalopram", "bisoprolol", "metoprolol", "ramipril", "losartan",
            "warfarin", "apixaban", "aspirin", "clopidogrel", "furosemide", "spironolactone", "allopurinol",
            "gabapentin", "prednisolone", "methotrexate", "insulin glargine", "sitagliptin", "empagliflozin",
            "montelukast", "cetirizine", "loratadine", "vitamin D", "vitamin B12", "folic acid", "iron",
            "magnesium", "tamsulosin", "finasteride", "ibuprofen", "paracetamol", "melatonin"]
DRUGS_RU = ["метформин", "лизиноприл", "амлодипин", "аторвастатин", "розувастатин", "эутирокс", "омепразол",
            "пантопразол", "сертралин", "эсциталопрам", "бисопролол", "метопролол", "рамиприл", "лозартан",
            "варфарин", "апиксабан", "аспирин", "клопидогрел", "фуросемид", "спиронолактон", "аллопуринол",
            "габапентин", "преднизолон", "метотрексат", "витамин D", "витамин B12", "фолиевую кислоту",
            "препарат железа", "магний", "тамсулозин", "ибупрофен", "парацетамол", "мелатонин"]
DOSES = [2.5, 5, 10, 20, 25, 40, 50, 75, 100, 150, 200, 250, 400, 500, 850, 1000]
SCHEDULES_EN = ["once daily", "twice daily", "three times a day", "at night", "every morning", "as needed",
                "once weekly", "with meals"]
SCHEDULES_RU = ["раз в день", "два раза в день", "три раза в день", "на ночь", "утром", "при необходимости",
                "раз в неделю", "во время еды"]
ALLERGENS_EN = ["penicillin", "amoxicillin", "sulfa drugs", "ibuprofen", "aspirin", "codeine", "latex", "peanuts",
                "tree nuts", "shellfish", "fish", "eggs", "milk", "soy", "wheat", "sesame", "strawberries",
                "kiwi", "celery", "mustard", "cats", "dogs", "horses", "dust mites", "birch pollen", "grass pollen",
                "ragweed", "mould", "bee stings", "wasp stings", "nickel", "iodine contrast", "lidocaine",
                "chlorhexidine", "adhesive plasters"]
ALLERGENS_RU = ["пенициллин", "амоксициллин", "сульфаниламиды", "ибупрофен", "аспирин", "кодеин", "латекс",
                "арахис", "орехи", "морепродукты", "рыбу", "яйца", "молоко", "сою", "пшеницу", "кунжут", "клубнику",
                "киви", "сельдерей", "кошек", "собак", "лошадей", "пылевых клещей", "пыльцу берёзы",
                "пыльцу злаков", "амброзию", "плесень", "укусы пчёл", "укусы ос", "никель", "йод", "лидокаин"]
REACTIONS_EN = ["hives", "a rash", "swelling of the lips", "anaphylaxis", "itching", "sneezing", "wheezing"]
REACTIONS_RU = ["крапивница", "сыпь", "отёк губ", "анафилаксия", "зуд", "чихание", "одышка"]
CONDITIONS_EN = ["type 2 diabetes", "hypertension", "asthma", "hypothyroidism", "atrial fibrillation", "migraine",
                 "GERD", "osteoarthritis of the knee", "gout", "COPD", "depression", "anxiety", "psoriasis",
                 "eczema", "coeliac disease", "irritable bowel syndrome", "chronic kidney disease stage 2",
                 "sleep apnoea", "iron deficiency anaemia", "osteoporosis", "glaucoma", "tinnitus",
                 "rheumatoid arthritis", "hay fever", "high cholesterol", "fatty liver", "prediabetes",
                 "lower back pain", "plantar fasciitis", "varicose veins"]
CONDITIONS_RU = ["сахарный диабет 2 типа", "гипертония", "бронхиальная астма", "гипотиреоз",
                 "фибрилляция предсердий", "мигрень", "гастрит", "артроз коленного сустава", "подагра", "ХОБЛ",
                 "депрессия", "тревожное расстройство", "псориаз", "экзема", "целиакия",
                 "синдром раздражённого кишечника", "хроническая болезнь почек", "апноэ сна",
                 "железодефицитная анемия", "остеопороз", "глаукома", "шум в ушах", "ревматоидный артрит",
                 "поллиноз", "повышенный холестерин", "жировой гепатоз", "преддиабет", "остеохондроз"]
LABS_EN = [("HbA1c", "%", 4.8, 9.5), ("LDL cholesterol", "mmol/L", 1.2, 5.5), ("HDL cholesterol", "mmol/L", 0.8, 2.2),
           ("Total cholesterol", "mmol/L", 3.5, 7.5), ("Fasting glucose", "mmol/L", 4.0, 9.0),
           ("TSH", "mIU/L", 0.3, 6.0), ("Free T4", "pmol/L", 9, 24), ("Ferritin", "ng/mL", 8, 300),
           ("Vitamin D", "ng/mL", 10, 60), ("Vitamin B12", "pg/mL", 150, 900), ("Hemoglobin", "g/L", 100, 170),
           ("Creatinine", "µmol/L", 50, 130), ("eGFR", "mL/min", 45, 110), ("ALT", "U/L", 10, 80),
           ("AST", "U/L", 10, 70), ("CRP", "mg/L", 0.5, 25), ("Potassium", "mmol/L", 3.4, 5.3),
           ("Sodium", "mmol/L", 133, 146), ("Uric acid", "µmol/L", 200, 500), ("PSA", "ng/mL", 0.3, 6.0)]
LABS_RU = [("Гликированный гемоглобин", "%", 4.8, 9.5), ("Холестерин ЛПНП", "ммоль/л", 1.2, 5.5),
           ("Холестерин ЛПВП", "ммоль/л", 0.8, 2.2), ("Общий холестерин", "ммоль/л", 3.5, 7.5),
           ("Глюкоза натощак", "ммоль/л", 4.0, 9.0), ("ТТГ", "мЕд/л", 0.3, 6.0), ("Ферритин", "нг/мл", 8, 300),
           ("Витамин D", "нг/мл", 10, 60), ("Витамин B12", "пг/мл", 150, 900), ("Гемоглобин", "г/л", 100, 170),
           ("Креатинин", "мкмоль/л", 50, 130), ("АЛТ", "Ед/л", 10, 80), ("АСТ", "Ед/л", 10, 70),
           ("С-реактивный белок", "мг/л", 0.5, 25), ("Калий", "ммоль/л", 3.4, 5.3), ("Мочевая кислота", "мкмоль/л",
                                                                                    200, 500)]
PROCEDURES_EN = ["appendectomy", "tonsillectomy", "cholecystectomy", "colonoscopy", "gastroscopy", "knee arthroscopy",
                 "cataract surgery on the left eye", "cataract surgery on the right eye", "hip replacement",
                 "hernia repair", "MRI of the lumbar spine", "MRI of the brain", "CT of the chest", "echocardiogram",
                 "stress test", "mammogram", "bone density scan", "skin biopsy", "dental implant",
                 "wisdom tooth extraction", "carpal tunnel release", "coronary stent", "flu vaccination",
                 "tetanus booster", "COVID-19 booster"]
PROCEDURES_RU = ["аппендэктомия", "удаление миндалин", "удаление желчного пузыря", "колоноскопия", "гастроскопия",
                 "артроскопия колена", "операция на катаракте левого глаза",
                 "эндопротезирование тазобедренного сустава", "операция по удалению грыжи", "МРТ поясничного отдела",
                 "МРТ головного мозга", "КТ грудной клетки",
                 "ЭхоКГ", "маммография", "денситометрия", "биопсия кожи", "установка импланта зуба",
                 "удаление зуба мудрости", "стентирование коронарных артерий", "прививка от гриппа",
                 "ревакцинация от столбняка"]
PREFERENCES_EN = ["short answers", "answers with sources", "answers in Russian", "metric units", "reminders at 8:00",
                  "reminders by Telegram", "reminders by e-mail", "tea over coffee", "vegetarian food",
                  "morning workouts", "evening walks", "audiobooks", "jazz", "hiking in the mountains",
                  "swimming", "yoga", "cycling to work", "spicy food", "quiet restaurants", "window seats",
                  "dark mode", "a formal tone", "bullet-point summaries", "step-by-step instructions"]
PREFERENCES_RU = ["короткие ответы", "ответы со ссылками", "ответы на русском", "метрические единицы",
                  "напоминания в 8:00", "напоминания в Telegram", "напоминания на почту", "чай, а не кофе",
                  "вегетарианскую еду", "утренние тренировки", "вечерние прогулки", "аудиокниги", "джаз",
                  "походы в горы", "плавание", "йогу", "велосипед", "острую еду", "тёмную тему",
                  "официальный тон", "краткие выжимки списком", "пошаговые инструкции"]
RELATIVES_EN = ["Mother", "Father", "Wife", "Husband", "Son", "Daughter", "Brother", "Sister", "Grandmother", "Uncle"]
RELATIVES_RU = ["Мама", "Папа", "Жена", "Муж", "Сын", "Дочь", "Брат", "Сестра", "Бабушка", "Дядя"]
NAMES_EN = ["Anna", "Maria", "Elena", "Sofia", "Olga", "Ivan", "Pavel", "Max", "Peter", "Alex", "Tom", "Kate", "Lucy",
            "Mark", "Nina", "Victor"]
NAMES_RU = ["Анна", "Мария", "Елена", "Софья", "Ольга", "Иван", "Павел", "Максим", "Пётр", "Алексей", "Наталья",
            "Дмитрий", "Татьяна", "Сергей"]
CITIES_EN = ["Berlin", "Munich", "Kazan", "Moscow", "Vienna", "Prague", "Riga", "London", "Lisbon", "Warsaw"]
CITIES_RU = ["Берлине", "Мюнхене", "Казани", "Москве", "Вене", "Праге", "Риге", "Лондоне", "Лиссабоне", "Варшаве"]
JOBS_EN = ["software engineer", "teacher", "nurse", "accountant", "architect", "translator", "electrician", "chef"]
JOBS_RU = ["программистом", "учителем", "медсестрой", "бухгалтером", "архитектором", "переводчиком", "поваром"]
CATEGORY_WEIGHTS = {"medication": 18, "lab_result": 16, "vital": 12, "condition": 10, "allergy": 8,
                    "procedure": 8, "preference": 10, "goal": 6, "person": 7, "other": 5}


def synthetic_fact(rng: random.Random, category: str, language: str) -> str:
    """One made-up fact of ``category`` in ``language`` ("en"/"ru"), from templates and word lists."""
    year, day, month = rng.randint(2005, 2026), rng.randint(1, 28), rng.randrange(12)
    dose = f"{rng.choice(DOSES):g}"
    en = language == "en"
    when = f"{day} {MONTHS_EN[month]} {year}" if en else f"{day} {MONTHS_RU[month]} {year}"
    match category:
        case "medication":
            drug = rng.choice(DRUGS_EN if en else DRUGS_RU)
            schedule = rng.choice(SCHEDULES_EN if en else SCHEDULES_RU)
            english, russian = (
                [f"Takes {drug} {dose} mg {schedule}", f"{drug.capitalize()} {dose} mg {schedule}",
                 f"Started {drug} {dose} mg {schedule} on {when}"],
                [f"Принимает {drug} {dose} мг {schedule}", f"{drug.capitalize()} {dose} мг {schedule}",
                 f"С {when} года {drug} {dose} мг {schedule}"])
        case "allergy":
            allergen = rng.choice(ALLERGENS_EN if en else ALLERGENS_RU)
            reaction = rng.choice(REACTIONS_EN if en else REACTIONS_RU)
            english, russian = (
                [f"Allergic to {allergen}", f"Allergic to {allergen}: {reaction}",
                 f"Reacts to {allergen} with {reaction} since {year}"],
                [f"Аллергия на {allergen}", f"Аллергия на {allergen}: {reaction}",
                 f"На {allergen} с {year} года {reaction}"])
        case "condition":
            condition = rng.choice(CONDITIONS_EN if en else CONDITIONS_RU)
            english, russian = (
                [f"Has {condition}", f"Diagnosed with {condition} in {year}",
                 f"{condition.capitalize()} since {year}, under control"],
                [condition.capitalize(), f"Диагноз: {condition}, с {year} года",
                 f"{condition.capitalize()} с {year} года, под контролем"])
        case "vital":
            weight, waist, pulse, oxygen = (rng.randint(48, 125), rng.randint(60, 120), rng.randint(48, 95),
                                            rng.randint(92, 100))
            pressure, temperature = f"{rng.randint(105, 165)}/{rng.randint(60, 100)}", rng.uniform(35.8, 38.5)
            english, russian = (
                [f"Weight {weight} kg, measured {when}", f"Blood pressure {pressure}, measured {when}",
                 f"Resting heart rate {pulse} bpm, measured {when}", f"Waist {waist} cm, measured {when}",
                 f"Blood oxygen {oxygen}%, measured {when}", f"Body temperature {temperature:.1f} °C on {when}"],
                [f"Вес {weight} кг, измерено {when}", f"Давление {pressure}, измерено {when}",
                 f"Пульс в покое {pulse} уд/мин, измерено {when}", f"Окружность талии {waist} см, {when}",
                 f"Сатурация {oxygen}%, измерено {when}", f"Температура {temperature:.1f} ({when})".replace(".", ",")])
        case "lab_result":
            name, unit, low, high = rng.choice(LABS_EN if en else LABS_RU)
            value = f"{rng.uniform(low, high):.1f}"
            english = [f"{name} {value} {unit} ({when})"]
            russian = [f"{name} {value.replace('.', ',')} {unit} ({when})"]
        case "procedure":
            procedure = rng.choice(PROCEDURES_EN if en else PROCEDURES_RU)
            english, russian = ([f"{procedure[0].upper()}{procedure[1:]} in {year}", f"Had {procedure} on {when}"],
                                [f"{procedure[0].upper()}{procedure[1:]} в {year} году", f"{when}: {procedure}"])
        case "preference":
            liked = rng.choice(PREFERENCES_EN if en else PREFERENCES_RU)
            english, russian = (
                [f"Prefers {liked}", f"Likes {liked}", f"Prefers {liked}, noted {when}"],
                [f"Предпочитает {liked}", f"Любит {liked}", f"Предпочитает {liked} (с {when})"])
        case "goal":
            steps, kilos, run, sleep, books = (rng.randrange(4, 16), rng.randint(2, 15), rng.choice([5, 10, 21, 42]),
                                               rng.choice([7, 8]), rng.randint(5, 40))
            english, russian = (
                [f"Goal: walk {steps},000 steps a day", f"Goal: lose {kilos} kg by {when}",
                 f"Goal: run {run} km by {when}", f"Goal: sleep {sleep} hours a night",
                 f"Goal: read {books} books in {year}"],
                [f"Цель: {steps} 000 шагов в день", f"Цель: сбросить {kilos} кг к {when}",
                 f"Цель: пробежать {run} км к {when}", f"Цель: спать по {sleep} часов",
                 f"Цель: прочитать {books} книг в {year}"])
        case "person":
            relative = rng.choice(RELATIVES_EN if en else RELATIVES_RU)
            name = rng.choice(NAMES_EN if en else NAMES_RU)
            english, russian = (
                [f"{relative} {name} lives in {rng.choice(CITIES_EN)}", f"{relative} {name} was born on {when}",
                 f"{relative} {name} is allergic to {rng.choice(ALLERGENS_EN)}"],
                [f"{relative} {name} живёт в {rng.choice(CITIES_RU)}", f"{relative} {name}, день рождения {when}",
                 f"{relative} {name}: аллергия на {rng.choice(ALLERGENS_RU)}"])
        case _:
            english, russian = (
                [f"Works as a {rng.choice(JOBS_EN)} since {year}", f"Lives in {rng.choice(CITIES_EN)} since {year}",
                 f"Has a dog named {rng.choice(NAMES_EN)}, born {year}"],
                [f"С {year} года работает {rng.choice(JOBS_RU)}", f"Живёт в {rng.choice(CITIES_RU)} с {year} года",
                 f"Есть собака по кличке {rng.choice(NAMES_RU)}, с {year} года"])
    return rng.choice(english if en else russian)


def synthetic_facts(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """``count`` distinct (category, text) facts, half English and half Russian, categories weighted
    by :data:`CATEGORY_WEIGHTS`."""
    rng = random.Random(seed)
    categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    facts: dict[str, str] = {}
    while len(facts) < count:
        category = rng.choices(categories, weights)[0]
        text = synthetic_fact(rng, category, "en" if len(facts) % 2 == 0 else "ru")
        facts.setdefault(text, category)
    return [(category, text) for text, category in facts.items()]


def dedupe_quality(path: Path, cache: Path, prefix: str) -> dict[str, float | int]:
    """Precision and recall of ``is_same_fact`` on the labelled pairs in ``path`` (overall, and per
    language when the file has several: ``_en``, ``_ru``), and, on the pairs labelled the same fact, the
    share where ``is_same_value`` agrees with the label and the share of the changed values it catches."""
    from assistant.services.memory.dedupe import is_same_fact, is_same_value

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    texts = sorted({text for row in rows for text in (row["a"], row["b"])})
    vectors = dict(zip(texts, cached_embeddings(texts, cache, path.stem), strict=True))
    said = [is_same_fact(row["a"], vectors[row["a"]], row["b"], vectors[row["b"]]) for row in rows]
    result: dict[str, float | int] = {f"{prefix}_pairs": len(rows)}
    languages = sorted({row["language"] for row in rows})
    for language in ["", *languages] if len(languages) > 1 else [""]:
        chosen = [(row, same) for row, same in zip(rows, said, strict=True) if language in ("", row["language"])]
        hits = sum(1 for row, same in chosen if same and row["same"])
        name = f"{prefix}_{language}_" if language else f"{prefix}_"
        result[name + "precision"] = round(hits / max(1, sum(same for _, same in chosen)), 3)
        result[name + "recall"] = round(hits / max(1, sum(row["same"] for row, _ in chosen)), 3)
        if language == "":
            for row, same in chosen:
                if same != row["same"]:
                    print(f"  {prefix} {'missed' if row['same'] else 'false match'}: {row['a']!r} / {row['b']!r}",
                          file=sys.stderr)
    same_pairs = [row for row in rows if row["same"]]
    changed = [row for row in same_pairs if row["value_changed"]]
    result[f"{prefix}_same_value_agreement"] = round(
        sum(is_same_value(row["a"], row["b"]) != row["value_changed"] for row in same_pairs) / len(same_pairs), 3)
    result[f"{prefix}_value_changes_caught"] = round(
        sum(not is_same_value(row["a"], row["b"]) for row in changed) / max(1, len(changed)), 3)
    return result


def seed_memories(engine, user_id: uuid.UUID, facts: list[tuple[str, str]], vectors: np.ndarray, seed: int = 5) -> dict:
    """Insert ``facts`` (category, text) with their ``vectors`` as memories of ``user_id`` in one bulk
    statement per 1,000 rows: 80 % active, 15 % superseded by a random active fact, 5 % forgotten; about
    one in ten critical or high. Returns counts by status."""
    from sqlalchemy import insert
    from sqlmodel import Session

    from assistant.models import MemoryEntry

    rng = random.Random(seed)
    today = date(2026, 12, 1)
    statuses = rng.choices(["active", "superseded", "forgotten"], [80, 15, 5], k=len(facts))
    ids = [uuid.uuid4() for _ in facts]
    active = [ident for ident, status in zip(ids, statuses, strict=True) if status == "active"]
    rows = []
    for ident, status, (category, content), vector in zip(ids, statuses, facts, vectors, strict=True):
        started = today - timedelta(days=rng.randint(30, 3000))
        importance = rng.choices(["critical", "high", "medium", "low"], [3, 7, 60, 30])[0]
        rows.append({
            "id": ident, "user_id": user_id, "content": content, "category": category, "importance": importance,
            "sensitive": False, "status": status, "author": rng.choice(["assistant", "user"]),
            "valid_from": started, "valid_until": None if status == "active" else started + timedelta(days=20),
            "superseded_by": rng.choice(active) if status == "superseded" else None, "embedding": vector.tolist(),
        })
    rows.sort(key=lambda row: row["status"] != "active")  # successors before the facts they supersede
    with Session(engine) as session:
        for first in range(0, len(rows), 1000):
            session.execute(insert(MemoryEntry), rows[first : first + 1000])
        session.commit()
    return {status: statuses.count(status) for status in ("active", "superseded", "forgotten")}


def _percentiles(prefix: str, samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {f"{prefix}_p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            f"{prefix}_p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1)}


def timed_saves(engine, user, facts: list[tuple[str, str]], count: int) -> dict[str, object]:
    """Time ``count`` saves of the user (``entries.add_memory``: validation, the fact's embedding, the dedupe
    check against their active facts, the insert or supersede, the commit; one transaction each): a third
    restate a remembered fact, a third change one's value, a third are new. Returns p50/p95 and the outcomes."""
    from sqlmodel import Session

    from assistant.services.memory.entries import add_memory

    rng = random.Random(23)
    fresh = synthetic_facts(len(facts) + count, seed=97)
    known = {content for _, content in facts}
    new = [(category, content) for category, content in fresh if content not in known][:count]
    saves: list[tuple[str, str]] = []
    for number in range(count):
        category, content = rng.choice(facts)
        if number % 3 == 0:
            saves.append((category, content))
        elif number % 3 == 1:
            saves.append((category, f"{content} (since {rng.randint(1, 28)} March: {rng.randint(2, 900)} units)"))
        else:
            saves.append(new[number])
    samples, outcomes = [], {"duplicate": 0, "superseded": 0, "created": 0}
    for category, content in saves:
        started = time.perf_counter()
        with Session(engine) as session:
            saved = add_memory(session=session, user=user, content=content[:1000], category=category)
            session.commit()
        samples.append(time.perf_counter() - started)
        outcomes["duplicate" if saved.duplicate else "superseded" if saved.previous else "created"] += 1
    return {**_percentiles("save", samples), "saves": count, "save_outcomes": outcomes}


def timed_recall(engine, user, facts: list[tuple[str, str]], count: int) -> dict[str, object]:
    """Time the memory part of one answer's context (``recall.context_memories`` with the default budget
    and k) for ``count`` different messages: ``recall`` includes encoding the message, ``recall_sql`` is
    the same call again with the message's embedding cached (as when the documents' search of the same
    answer encoded it first). Also reports the largest number of facts and characters one context got."""
    from sqlmodel import Session

    from assistant.core.config import get_settings
    from assistant.services.memory.recall import context_memories

    settings = get_settings()
    rng = random.Random(31)
    questions = ["What should I know about {}?", "Can I take ibuprofen with {}?", "Что мне известно про {}?",
                 "Remind me what my doctor said about {}", "Как часто принимать {}?"]
    messages = [rng.choice(questions).format(rng.choice(facts)[1][:60]) + f" #{number}" for number in range(count)]
    cold, warm, most_facts, most_chars = [], [], 0, 0
    with Session(engine) as session:
        for message in messages:
            for samples in (cold, warm):
                started = time.perf_counter()
                chosen = context_memories(session=session, user=user, query=message,
                                          budget_chars=settings.memory_context_chars, k=settings.memory_recall_k)
                samples.append(time.perf_counter() - started)
            most_facts = max(most_facts, len(chosen.facts))
            most_chars = max(most_chars, sum(len(fact.content) for fact in chosen.facts))
    return {**_percentiles("recall", cold), **_percentiles("recall_sql", warm), "recall_queries": count,
            "context_facts_max": most_facts, "context_chars_max": most_chars,
            "context_chars_budget": settings.memory_context_chars}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000, help="facts of the benchmark's user")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/memory_bench_cache"))
    parser.add_argument("--saves", type=int, default=150, help="timed saves (targets: p95 <= 50 ms)")
    parser.add_argument("--queries", type=int, default=200, help="timed recalls (target: p95 <= 20 ms)")
    args = parser.parse_args()
    # The app's data folder (where the ONNX export of the model is kept) lives in the cache, not in ./data.
    os.environ.setdefault("ASSISTANT_DATA_DIR", str(args.cache / "data"))

    from sqlalchemy import text
    from sqlmodel import Session, create_engine

    from assistant.core.db import sqlalchemy_url, start_embedded_postgres
    from assistant.core.migrations import upgrade
    from assistant.models import User

    result: dict[str, object] = {}
    result.update(dedupe_quality(PAIRS, args.cache, "dedupe"))
    result.update(dedupe_quality(HOLDOUT, args.cache, "holdout"))
    result.update(dedupe_quality(CROSSLINGUAL, args.cache, "crosslingual"))

    facts = synthetic_facts(args.entries)
    vectors = cached_embeddings([content for _, content in facts], args.cache, "facts")

    workdir = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    # registered before the server starts, so it runs after pgserver's own exit handler has stopped it
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    url = start_embedded_postgres(workdir, "bench")
    upgrade(url)
    engine = create_engine(sqlalchemy_url(url))
    user = User(email="bench@example.org", display_name="bench", password_hash="x")
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.commit()
    start = time.perf_counter()
    counts = seed_memories(engine, user.id, facts, vectors)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
        stored = conn.execute(text("SELECT count(*) FROM memories WHERE user_id = :user"), {"user": user.id}).scalar()
    result.update(entries=stored, entries_active=counts["active"], seed_s=round(time.perf_counter() - start, 2))
    result.update(timed_saves(engine, user, facts, args.saves))
    result.update(timed_recall(engine, user, facts, args.queries))
    engine.dispose()
    result.update(load_avg_1m=round(os.getloadavg()[0], 2), cpus=os.cpu_count(), python=platform.python_version())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
