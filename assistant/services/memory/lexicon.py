"""The word lists :mod:`assistant.services.memory.dedupe` reads facts with (English and Russian): units and
their denominators, number and value words, months, relatives, stop and framing words, and common names of
one thing (synonyms) with the pattern that finds them."""

from __future__ import annotations

import re

UNITS = {
    "mg": "mg", "мг": "mg", "mcg": "mcg", "µg": "mcg", "μg": "mcg", "ug": "mcg", "мкг": "mcg", "g": "g", "г": "g",
    "kg": "kg", "кг": "kg", "ml": "ml", "мл": "ml", "l": "l", "л": "l", "iu": "iu", "ме": "iu", "units": "units",
    "unit": "units", "u": "units", "ед": "units", "mmol": "mmol", "ммоль": "mmol", "µmol": "umol", "μmol": "umol",
    "umol": "umol", "мкмоль": "umol", "pmol": "pmol", "пмоль": "pmol", "ng": "ng", "нг": "ng", "pg": "pg", "пг": "pg",
    "miu": "miu", "мед": "miu", "cm": "cm", "см": "cm", "сантиметров": "cm", "сантиметра": "cm", "mm": "mm",
    "мм": "mm", "bpm": "bpm", "уд": "bpm", "ударов": "bpm", "years": "years", "year": "years", "yrs": "years",
    "лет": "years", "km": "km", "км": "km", "c": "c",
    "times": "x", "time": "x", "x": "x", "раз": "x", "раза": "x",
}
#: What may follow a unit as its denominator ("mmol/L", "уд/мин", "ударов в минуту").
DENOMINATORS = frozenset(("min", "minute", "мин", "минуту", "dl", "дл", "h", "ч"))
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "first": 1, "second": 2, "third": 3,
    "один": 1, "одна": 1, "одно": 1, "одну": 1, "одного": 1, "два": 2, "две": 2, "двух": 2, "три": 3, "трех": 3,
    "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
    "первый": 1, "первого": 1, "первая": 1, "первой": 1, "второй": 2, "второго": 2, "вторая": 2,
    "третий": 3, "третьего": 3, "третья": 3, "третьей": 3,
}
#: Words that carry a value by themselves, with the value they carry.
VALUE_WORDS = {word: value for value, words in {
    "1x": "once однажды", "2x": "twice дважды", "3x": "thrice трижды",
    "/day": "daily day days день дня сутки ежедневно ежедневный",
    "/week": "weekly week неделю неделя еженедельно", "/month": "monthly month месяц ежемесячно",
    "/min": "minute min минуту мин", "/hour": "hourly hour hours час часа часов",
    "morning": "morning mornings утром утрам утро", "evening": "evening evenings вечером вечерам",
    "night": "night bedtime ночь сном", "prn": "needed necessary необходимости",
    "mild": "mild slight легкая легкий легкой легкую слабая слабый",
    "moderate": "moderate средняя средней умеренная умеренный",
    "severe": "severe strong тяжелая тяжелый тяжелой сильная сильный",
    "low": "low reduced decreased lowered снижен снижена снижено понижен низкий снизили уменьшили",
    "high": "high elevated raised increased повышен повышена повышено высокий повысили увеличили",
    "normal": "normal норма норме нормальный нормальная",
    "positive": "positive положительный положительная", "negative": "negative отрицательный отрицательная",
    "stopped": "stopped quit discontinued former бросил бросила прекратил прекратила отменили отменен отменена",
}.items() for word in words.split()}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
ENGLISH_MONTHS = frozenset(("january february march april may june july august september october november "
                             "december sept").split())
RU_MONTHS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр")
#: Words naming someone else: a fact about a relative is not the same fact as one about the user.
RELATIVES = frozenset("""
mother mom mum father dad parent parents brother brothers sister sisters son sons daughter daughters wife husband
grandmother grandfather grandma grandpa grandparents aunt uncle cousin child children kid kids partner family
мама мамы маме маму мамой мать матери папа папы папе папу папой отец отца отцу отцом брат брата брату братом братья
сестра сестры сестре сестру сестрой сын сына сыну сыном дочь дочери дочерью жена жены жене жену женой муж мужа мужу
мужем бабушка бабушки бабушке дедушка дедушки дедушке родители родителей дети детей ребенок ребенка тетя тети дядя
дяди семья семьи семье
""".split())
#: Function words and words that frame a fact rather than name what it is about, English and Russian.
STOP_WORDS = frozenset("""
a an the i me my mine myself we us our you your he him his she her they them their it its s m t ll re ve
not no never none without
is am are was were be been being has have had having do does did doing doesn don didn isn aren wasn won
get gets got getting take takes taking took use uses using used on in at to of for with by from about as
and or but so than then there this that these those some any every each very also still now currently
usual usually typically normally approximately around about when if after before since until per
diagnosed suffer suffers suffering called named name want wants wanted like likes prefer prefers preferred
would will should goal target plan plans try trying please remember note patient user sees see
dr mr mrs ms
не нет никогда без я мне меня мой моя мое мои моего моей моему моих у в во на с со к ко по о об от до из за
для при перед после и или а
но что это как же ли бы уже еще сейчас теперь обычно обычное обычный обычная около примерно есть год года
году был была было были быть является
принимаю принимает принимать пью пьет делали делал делала сделали хочу хочет хотел цель люблю любит
предпочитаю предпочитает нравится зовут имя страдаю страдает бывают бывает часто диагноз диагностировали
поставили очень также тоже он она они его ее их который которая этот эта все весь свой своя свои доктор
""".split())


#: Common names of one thing, English and Russian, each read as the first (so "high blood pressure" and
#: "hypertension" pair, and "glycated hemoglobin" does not pair with "hemoglobin"). Longest phrase first.
SYNONYMS = {
    "hypertension": ("high blood pressure", "hypertension", "повышенное артериальное давление",
                     "повышенное давление", "гипертоническая болезнь", "гипертония", "гипертензия"),
    "hypotension": ("low blood pressure", "hypotension", "пониженное давление", "гипотония", "гипотензия"),
    "bloodpressure": ("blood pressure", "bp", "артериальное давление", "давление"),
    "pulse": ("heart rate", "pulse", "частота сердечных сокращений", "чсс", "пульс"),
    "hba1c": ("hba1c", "a1c", "glycated hemoglobin", "glycated haemoglobin", "glycosylated hemoglobin",
              "гликированный гемоглобин", "гликозилированный гемоглобин", "гликогемоглобин"),
    "ldl": ("ldl", "лпнп"),
    "hdl": ("hdl", "лпвп"),
    "tsh": ("tsh", "ттг"),
    "height": ("height", "tall", "рост"),
    "weight": ("body weight", "weight", "weighs", "weigh", "масса тела", "вес", "вешу", "весит"),
    "hypothyroidism": ("underactive thyroid", "hypothyroidism", "гипотиреоз"),
    "hyperthyroidism": ("overactive thyroid", "hyperthyroidism", "гипертиреоз"),
    "infarction": ("heart attack", "myocardial infarction", "инфаркт миокарда", "инфаркт"),
    "stroke": ("stroke", "инсульт"),
    "ckd": ("chronic kidney disease", "ckd", "хроническая болезнь почек", "хбп"),
    "copd": ("chronic obstructive pulmonary disease", "copd", "хобл"),
    "gerd": ("gastroesophageal reflux disease", "acid reflux", "gerd", "гэрб", "рефлюкс"),
    "mri": ("magnetic resonance imaging", "mri", "мрт"),
    "ct": ("computed tomography", "ct scan", "ct", "компьютерная томография", "кт"),
    "appendectomy": ("appendix removed", "appendectomy", "appendicectomy", "удаление аппендикса", "аппендэктомия"),
    "tonsillectomy": ("tonsils removed", "tonsillectomy", "удаление миндалин", "тонзиллэктомия"),
    "cholecystectomy": ("gallbladder removed", "cholecystectomy", "удаление желчного пузыря", "холецистэктомия"),
    "gp": ("general practitioner", "family doctor", "gp", "семейный врач", "терапевт"),
    "paracetamol": ("paracetamol", "acetaminophen", "парацетамол"),
    "levothyroxine": ("levothyroxine", "euthyrox", "левотироксин", "эутирокс"),
    "salbutamol": ("salbutamol", "albuterol", "ventolin", "сальбутамол", "вентолин"),
    "aspirin": ("acetylsalicylic acid", "aspirin", "ацетилсалициловая кислота", "аспирин"),
    "short": ("short", "brief", "concise", "короткие", "короткий", "коротко", "краткие", "краткий", "кратко"),
    "answers": ("answers", "answer", "replies", "reply", "responses", "ответы", "отвечать", "ответ"),
    "loseweight": ("lose weight", "lose", "slim down", "сбросить вес", "сбросить", "похудеть"),
}
SYNONYM_PATTERN = re.compile(
    r"(?<![^\W_])(?:"
    + "|".join(sorted((re.escape(phrase).replace(r"\ ", r"\s+") for names in SYNONYMS.values() for phrase in names),
                      key=len, reverse=True))
    + r")(?![^\W_])")
CANONICAL = {phrase: canonical for canonical, names in SYNONYMS.items() for phrase in names}
