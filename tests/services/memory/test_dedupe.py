"""Dedupe of remembered facts: pg_trgm's trigram similarity, and the same-fact / same-value decisions on
clear pairs (English, Russian, and one against the other) and on the hand-labelled pairs of
``tests/data/memory_pairs.jsonl`` and ``tests/data/memory_pairs_crosslingual.jsonl``, with the real
embedding model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.models import MemoryCategory
from assistant.services.memory.dedupe import cosine, is_same_fact, is_same_value, trigram_similarity
from assistant.services.rag.embeddings import embed_passages

# the export of the model goes into the data folder: the test session's, not the developer's
pytestmark = pytest.mark.usefixtures("database")

PAIRS = Path(__file__).resolve().parents[2] / "data" / "memory_pairs.jsonl"
CROSSLINGUAL = PAIRS.with_name("memory_pairs_crosslingual.jsonl")


def same_fact(a: str, b: str) -> bool:
    a_vector, b_vector = embed_passages([a, b])
    return is_same_fact(a, a_vector, b, b_vector)


def test_trigram_similarity_is_pg_trgms():
    # pg_trgm: "word" -> {"  w", " wo", "wor", "ord", "rd "}; "two words" adds 6 more: 4 shared of 11
    assert trigram_similarity("word", "two words") == pytest.approx(4 / 11)
    assert trigram_similarity("Penicillin!", "penicillin") == 1.0
    assert trigram_similarity("аллергия", "Аллергия") == 1.0
    assert 0.5 < trigram_similarity("пенициллин", "пенициллина") < 1.0
    assert trigram_similarity("", "") == 0.0 and trigram_similarity("...", "word") == 0.0


def test_cosine_of_lists_and_missing_vectors():
    assert cosine([1.0, 0.0], [0.6, 0.8]) == pytest.approx(0.6)
    assert cosine([], [1.0]) == 0.0
    with pytest.raises(ValueError):
        cosine([1.0, 2.0], [1.0, 2.0, 3.0])


def test_a_reworded_allergy_is_the_same_fact_and_value_in_english_and_russian():
    for old, new in [("Allergic to penicillin", "Penicillin allergy"),
                     ("Аллергия на пенициллин", "У меня аллергия на пенициллин")]:
        assert same_fact(old, new)
        assert is_same_value(old, new)


def test_another_allergen_or_drug_is_another_fact_however_close_the_embeddings():
    for a, b in [("Allergic to penicillin", "Allergic to peanuts"),
                 ("Аллергия на пенициллин", "Аллергия на арахис"),
                 ("Lisinopril 10 mg once daily", "Amlodipine 10 mg once daily"),
                 ("Cataract surgery on the left eye", "Cataract surgery on the right eye"),
                 ("Гипотиреоз", "Гипертиреоз")]:
        assert not same_fact(a, b), (a, b)


def test_a_changed_dose_or_schedule_is_the_same_fact_with_another_value():
    old = "Metformin 500 mg twice daily"
    for new in ["Metformin 1000 mg twice daily", "Metformin 500 mg once daily"]:
        assert same_fact(old, new)
        assert not is_same_value(old, new)
    assert same_fact("Метформин 500 мг два раза в день", "Метформин 1000 мг два раза в день")
    assert not is_same_value("Метформин 500 мг два раза в день", "Метформин 1000 мг два раза в день")
    assert is_same_value("Метформин 500 мг два раза в день", "Принимаю метформин по 500 мг дважды в день")


def test_saying_less_is_a_duplicate_and_saying_more_or_the_opposite_supersedes():
    assert is_same_value("Metformin 500 mg twice daily", "Metformin 500 mg")
    assert not is_same_value("Metformin 500 mg", "Metformin 500 mg twice daily")
    assert not is_same_value("Allergic to penicillin", "Allergic to penicillin and amoxicillin")
    assert not is_same_value("Smokes", "Does not smoke")


def test_an_allergy_said_in_english_twice_and_in_russian_once_is_one_fact():
    said = ["allergic to penicillin", "Allergic to penicillin", "аллергия на пенициллин"]
    for old, new in [(said[0], said[1]), (said[0], said[2]), (said[1], said[2]), (said[2], said[0])]:
        assert same_fact(old, new), (old, new)
        assert is_same_value(old, new), (old, new)  # a duplicate: nothing superseded
    assert same_fact("Amoxicillin allergy", "У меня аллергия на амоксициллин")
    assert same_fact("Has asthma", "Астма") and same_fact("Diabetes", "Диабет")


def test_a_dose_said_in_the_other_language_is_the_same_value_and_a_changed_one_supersedes():
    assert same_fact("Metformin 500 mg twice daily", "Метформин 500 мг два раза в день")
    assert is_same_value("Metformin 500 mg twice daily", "Метформин 500 мг два раза в день")
    assert not is_same_value("Metformin 500 mg twice daily", "Метформин 1000 мг два раза в день")
    assert not is_same_value("Metformin 500 mg twice daily", "Метформин 500 мг раз в день")


def test_another_allergen_or_condition_in_the_other_language_is_another_fact():
    for a, b in [("аллергия на пенициллин", "allergic to peanuts"),
                 ("Allergic to penicillin", "Аллергия на амоксициллин"),
                 ("Гипотиреоз", "Hyperthyroidism"),
                 ("Atorvastatin 20 mg at night", "Розувастатин 20 мг на ночь"),
                 ("Type 2 diabetes", "Мама болеет диабетом 2 типа")]:
        assert not same_fact(a, b), (a, b)


def test_a_relatives_fact_is_not_the_users():
    assert not same_fact("Diabetes", "Mother has diabetes")


def test_the_labelled_pairs_reach_precision_and_recall_of_0_9_in_each_language():
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 200 and {row["language"] for row in rows} == {"en", "ru"}
    assert {row["category"] for row in rows} == {category.value for category in MemoryCategory}
    texts = sorted({text for row in rows for text in (row["a"], row["b"])})
    vectors = dict(zip(texts, embed_passages(texts), strict=True))
    for language in ("en", "ru"):
        labelled = [row for row in rows if row["language"] == language]
        said = [is_same_fact(row["a"], vectors[row["a"]], row["b"], vectors[row["b"]]) for row in labelled]
        hits = sum(1 for row, same in zip(labelled, said, strict=True) if same and row["same"])
        precision, recall = hits / sum(said), hits / sum(row["same"] for row in labelled)
        assert precision >= 0.9 and recall >= 0.9, (language, precision, recall)


def test_the_crosslingual_pairs_reach_precision_and_recall_of_0_9():
    rows = [json.loads(line) for line in CROSSLINGUAL.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 40 and {row["language"] for row in rows} == {"en-ru"}
    texts = sorted({text for row in rows for text in (row["a"], row["b"])})
    vectors = dict(zip(texts, embed_passages(texts), strict=True))
    said = [is_same_fact(row["a"], vectors[row["a"]], row["b"], vectors[row["b"]]) for row in rows]
    hits = sum(1 for row, same in zip(rows, said, strict=True) if same and row["same"])
    precision, recall = hits / sum(said), hits / sum(row["same"] for row in rows)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
