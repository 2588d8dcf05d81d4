"""Is a new fact one the user already has? Pure functions, no database: the store picks a few candidates
(the user's active facts of the same category, nearest by embedding and sharing stemmed words) and asks
:func:`is_same_fact` about each, then :func:`is_same_value` about the match: a duplicate changes nothing,
a changed value supersedes the old fact.

Both read a fact's *keywords*: its words after common names of one thing are read as one
(:data:`lexicon.SYNONYMS`: "high blood pressure" is "hypertension", "гликированный гемоглобин" is "HbA1c"),
without function words and words that only frame a fact ("takes", "diagnosed with", "хочу",
"принимаю"), and without the words that carry a *value*: numbers with their units, how often and when,
severity, level, "as needed", months, negation. Keywords of the two texts pair when they are one word
up to an ending (a common prefix, :data:`MIN_STEM` and :data:`MAX_ENDING`: "allergic"/"allergy" and
"пенициллин"/"пенициллина" pair, "hypertension"/"hypotension" do not). This works in Russian too, where
the English-only all-MiniLM-L6-v2 is weak: it puts "гипотиреоз" and "гипертиреоз" at cosine 0.98.
A Cyrillic and a Latin keyword pair by the same rule on their :func:`_skeleton` spellings (the Russian word
transliterated by GOST 7.79 through ``iuliia``, both with the letters of one sound made one: c/ц, x/кс,
ph/ф, th/т, h/г/х, y/i/й, no doubled letters), so a fact said once in English and once in Russian is
one fact: "allergic to penicillin"/"аллергия на пенициллин", "metformin"/"метформин"; words that differ
between the languages pair only through the synonym table ("hypertension"/"гипертония").

Two facts are the same fact when they name the same thing: they share a keyword and not both of them
have a keyword the other lacks. "Allergic to penicillin" and "allergic to peanuts" each keep one
("penicillin", "peanuts"): two facts, both kept. "LDL cholesterol"/"HDL cholesterol" and "cataract
surgery on the left eye"/"... right eye" part the same way, whatever their cosine (0.80 and 0.96: the
embeddings cannot tell these apart, so they never overrule the keywords). A text that only adds keywords
("asthma"/"bronchial asthma") is the same fact if it is close by embedding (:data:`MIN_COSINE`) or by the
trigrams of the keywords (:data:`MIN_KEYWORD_TRIGRAMS`), and if the added words name no relative
("diabetes"/"mother has diabetes" are two facts). A wrongly merged fact is the costly error (the old
fact is superseded and leaves the answers' context, an allergy could be lost), a missed one leaves two
entries: so a changed value the keywords cannot see stays two facts ("lives in Berlin"/"lives in
Munich"), and so do synonyms missing from the table.

Measured on ``tests/data/memory_pairs.jsonl`` (200 hand-labelled pairs, English and Russian),
``tests/data/memory_pairs_holdout.jsonl`` (40 more, written after these rules were fixed) and
``tests/data/memory_pairs_crosslingual.jsonl`` (40 pairs of an English and a Russian text) by
``scripts/bench_memory.py``; figures in ``docs/performance.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import iuliia
import numpy as np

from assistant.services.memory import lexicon

#: A text that shares keywords with another and adds some must be at least this close by the embeddings'
#: cosine (all-MiniLM-L6-v2, unit vectors) ... On the labelled pairs the same facts of this kind reach 0.69
#: at the least; any value from 0 to 0.7 gives the same precision and recall there.
MIN_COSINE = 0.6
#: ... or by :func:`trigram_similarity` of the two texts' keywords joined by spaces (facts stored without
#: an embedding; Russian, where the embeddings are weak).
MIN_KEYWORD_TRIGRAMS = 0.5
#: Two words are the same up to their endings when they share a prefix of at least this many characters
#: and at least as long as the shorter word less :data:`MAX_ENDING` characters (Russian endings are up
#: to 3 letters: "колена"/"коленного" pair). On the labelled pairs, endings of 2 to 5 letters give the
#: same result; a stem of 2 lets different words pair (precision 0.99), one of 4 misses inflected forms
#: (recall 0.93).
MIN_STEM = 3
MAX_ENDING = 3

_CYRILLIC = re.compile(r"[а-яё]")
#: A sound spelled with several letters, one letter for it: in GOST 7.79's transliteration of a Russian word
#: (щ, ш, ч, ж; х, which Greek and Latin words have as "ch" or "h"), ...
_FROM_GOST = (("shh", "S"), ("sh", "S"), ("ch", "C"), ("zh", "Z"), ("x", "h"))
#: ... and in an English word ("ph" is ф, "th" т, "x" кс: "amoxicillin"/"амоксициллин").
_FROM_ENGLISH = (("sch", "S"), ("sh", "S"), ("zh", "Z"), ("ch", "h"), ("ph", "f"), ("th", "t"), ("rh", "r"),
                 ("ck", "k"), ("x", "ks"), ("qu", "kv"), ("q", "k"), ("w", "v"), ("ae", "e"), ("oe", "e"))
# pg_trgm's words: runs of letters and digits (``[^\W_]`` is ``\w`` without the underscore).
_PG_WORD = re.compile(r"[^\W_]+")
# A number (thousands grouped by a space, no-break space or comma: "10,000", "12 000"; decimals with
# a point or a comma: "6.8", "6,8"), a word (letters, maybe with digits: "b12", "hba1c"), a percent sign,
# or a + or - right after a word and not before another ("A+", "Rh-", not "to-the-point").
_TOKEN = re.compile(
    r"(?P<number>\d{1,3}(?:[ \u00a0,]\d{3})+(?!\d)|\d+(?:[.,]\d+)?)"
    r"|(?P<word>[^\W\d_][^\W_]*)"
    r"|(?P<percent>%)"
    r"|(?<=[^\W_])(?P<sign>[+\-\u2212])(?![^\W_])"
)
_NEGATION = re.compile(r"\b(?:not|no|never|none|without|не|нет|никогда|без)\b|n['\u2019]t\b")


@dataclass(frozen=True)
class _Reading:
    """A text taken apart: its keywords (in order, no repeats), the values it states, and whether it negates."""

    keywords: tuple[str, ...]
    values: frozenset[str]
    negated: bool


def _normalise(text: str) -> str:
    lowered = text.lower().replace("ё", "е")
    return lexicon.SYNONYM_PATTERN.sub(lambda match: lexicon.CANONICAL[" ".join(match.group().split())], lowered)


def _number(raw: str) -> str:
    if re.fullmatch(r"\d{1,3}(?:[ \u00a0,]\d{3})+", raw):
        return str(int(re.sub(r"\D", "", raw)))
    return f"{float(raw.replace(',', '.')):g}"


def _month(word: str) -> str | None:
    for number, prefix in enumerate(lexicon.MONTHS, start=1):
        if word.startswith(prefix) and (len(word) == 3 or word in lexicon.ENGLISH_MONTHS):
            return f"month:{number}"
    for number, prefix in enumerate(lexicon.RU_MONTHS, start=1):
        if word.startswith(prefix) and (prefix != "ма" or word in ("май", "мая", "мае")):
            return f"month:{number}"
    return None



def _read(text: str) -> _Reading:
    """Take a text apart: numbers with the unit that follows them ("3.4 mmol/L" is ``3.4mmol``, the
    denominator dropped), value words, keywords, negation."""
    normal = _normalise(text)
    keywords: list[str] = []
    values: set[str] = set()
    pending: str | None = None  # a number waiting for its unit
    after_unit = False
    previous_word = ""
    for match in _TOKEN.finditer(normal):
        kind, token = match.lastgroup, match.group()
        if kind == "number" or token in lexicon.NUMBER_WORDS:
            if pending is not None:
                values.add(pending)
            pending = _number(token) if kind == "number" else str(lexicon.NUMBER_WORDS[token])
            after_unit = False
            continue
        if kind == "percent":
            values.add(f"{pending}%" if pending is not None else "%")
            pending, after_unit = None, False
            continue
        if kind == "sign":
            values.add(previous_word + token)
            continue
        unit = lexicon.UNITS.get(token)
        if unit is not None and (pending is not None or unit == "x"):
            values.add(f"{pending or 1}{unit}")
            pending, after_unit = None, True
            continue
        if after_unit and (unit is not None or token in lexicon.DENOMINATORS):
            continue
        if pending is not None:
            values.add(pending)
            pending = None
        previous_word = token
        if token in lexicon.STOP_WORDS:  # "62 ударов в минуту": a unit's denominator may come after one
            continue
        after_unit = False
        value = lexicon.VALUE_WORDS.get(token) or _month(token)
        if value is not None:
            values.add(value)
        elif token not in keywords:
            keywords.append(token)
    if pending is not None:
        values.add(pending)
    return _Reading(tuple(keywords), frozenset(values), _NEGATION.search(normal) is not None)


def _same_stem(a: str, b: str) -> bool:
    """Whether two keywords are one word with different endings (see :data:`MIN_STEM`, :data:`MAX_ENDING`)."""
    if a == b:
        return True
    if a in lexicon.SYNONYMS or b in lexicon.SYNONYMS:  # a name from the table pairs only with itself
        return False
    prefix = len(_common_prefix(a, b))
    return prefix >= max(MIN_STEM, min(len(a), len(b)) - MAX_ENDING) or _same_word_across_scripts(a, b)


def _common_prefix(a: str, b: str) -> str:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


def _same_word_across_scripts(a: str, b: str) -> bool:
    """Whether a Cyrillic and a Latin keyword are one word up to its ending, compared by
    :func:`_skeleton` (False when both are in one script)."""
    cyrillic_a, cyrillic_b = _CYRILLIC.search(a) is not None, _CYRILLIC.search(b) is not None
    if cyrillic_a == cyrillic_b:
        return False
    first, second = _skeleton(a, cyrillic=cyrillic_a), _skeleton(b, cyrillic=cyrillic_b)
    if not first or not second:
        return False
    prefix = len(_common_prefix(first, second))
    return prefix >= max(MIN_STEM, min(len(first), len(second)) - MAX_ENDING)


@lru_cache(maxsize=4096)
def _skeleton(word: str, *, cyrillic: bool) -> str:
    """A word spelled so that a Russian word and the English one it was borrowed as (or from) read alike:
    a Cyrillic word transliterated by GOST 7.79-2000 system B (``iuliia.GOST_7034``: ц is "c", х "x",
    щ "shh", й "j"), both with the letters of one sound made one (:data:`_FROM_GOST`, :data:`_FROM_ENGLISH`,
    then h/g, y/i/j), only letters kept and doubled letters made single: "пенициллин" and "penicillin"
    are both "penicilin", "аллергия"/"allergic" "alergia"/"alergik", "холестерин"/"cholesterol"
    "golesterin"/"golesterol"."""
    spelled = iuliia.GOST_7034.translate(word) if cyrillic else word
    for old, new in _FROM_GOST if cyrillic else _FROM_ENGLISH:
        spelled = spelled.replace(old, new)
    if not cyrillic:  # a c before e, i, y is ц ("cetirizine"), elsewhere к ("codeine")
        spelled = re.sub(r"c(?![eiy])", "k", spelled)
    spelled = re.sub(r"[^A-Za-z]", "", spelled.replace("h", "g").replace("y", "i").replace("j", "i"))
    return re.sub(r"(.)\1+", r"\1", spelled)


def _unpaired(words: Sequence[str], others: Sequence[str]) -> list[str]:
    return [word for word in words if not any(_same_stem(word, other) for other in others)]


def trigram_similarity(a: str, b: str) -> float:
    """Trigram similarity of two texts as PostgreSQL's pg_trgm ``similarity()`` defines it
    (https://www.postgresql.org/docs/16/pgtrgm.html): each text's words (runs of letters and digits,
    lower-cased; any script) are padded with two spaces before and one after, the text's trigrams are the
    set of all 3-character substrings of its padded words, and the similarity is the number of trigrams
    the two sets share divided by the number in their union.

    Returns:
        A number in [0, 1]; 0.0 when either text has no word (as pg_trgm).
    """
    first, second = _trigrams(a), _trigrams(b)
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in _PG_WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors of the same length (for the unit-norm 384-float embeddings of
    :func:`assistant.services.rag.embeddings.embed_passages`, their dot product). Lists and numpy arrays
    (pgvector's type for a ``vector`` column) both do.

    Returns:
        A number in [-1, 1]; 0.0 when either vector is empty or zero (a fact stored without an embedding).

    Raises:
        ValueError: the vectors are not empty and differ in length.
    """
    first, second = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if first.size == 0 or second.size == 0:
        return 0.0
    if first.shape != second.shape:
        raise ValueError(f"vectors of {first.size} and {second.size} floats")
    norms = float(np.linalg.norm(first) * np.linalg.norm(second))
    return float(first @ second) / norms if norms else 0.0


def is_same_fact(a_text: str, a_vector: Sequence[float], b_text: str, b_vector: Sequence[float]) -> bool:
    """Whether two facts of one category say something about the same thing: the same fact reworded, or
    with another value ("metformin 500 mg" / "metformin 1000 mg"); not two different things that look
    alike ("allergic to penicillin" / "allergic to peanuts").

    True when the texts share a keyword, at most one of them has keywords the other lacks, and, if one
    has, the texts are close by embedding (``cosine >= MIN_COSINE``) or by the trigrams of their keywords
    (``>= MIN_KEYWORD_TRIGRAMS``). See the module's docstring.

    Args:
        a_text, b_text: the facts' texts (English, Russian, or mixed).
        a_vector, b_vector: their embeddings (384 floats, unit norm; empty when unknown: then only the
            trigram test can admit a text that adds words).
    """
    a, b = _read(a_text), _read(b_text)
    only_a, only_b = _unpaired(a.keywords, b.keywords), _unpaired(b.keywords, a.keywords)
    if len(only_a) == len(a.keywords) or (only_a and only_b) or lexicon.RELATIVES.intersection(only_a + only_b):
        return False
    if not only_a and not only_b:
        return True
    return (cosine(a_vector, b_vector) >= MIN_COSINE
            or trigram_similarity(" ".join(a.keywords), " ".join(b.keywords)) >= MIN_KEYWORD_TRIGRAMS)


def is_same_value(a_text: str, b_text: str) -> bool:
    """For two texts :func:`is_same_fact` took for one fact, ``a_text`` remembered and ``b_text`` new:
    whether the new one says nothing the old one does not, so it is a duplicate (True) rather than an
    update that supersedes it (False).

    False when ``b_text`` states a value ``a_text`` does not: a number with its unit ("1000 mg" against
    "500 mg"; units are not converted, "0.5 g" against "500 mg" is a change too), how often or when
    ("once daily" against "twice daily": a changed schedule is a changed prescription; "at night",
    "in the morning", "as needed"), a severity, level or test result ("severe", "low", "positive"),
    a month, or a stop ("stopped", "quit"); when one text negates and the other does not ("does not
    smoke"); or when it has keywords ``a_text`` lacks ("ferritin 45 ng/mL *after iron tablets*": a
    detail the old text lacks). A new text that says less than the old one ("metformin 500 mg" after
    "metformin 500 mg twice daily") is a duplicate: the richer fact stays.
    """
    a, b = _read(a_text), _read(b_text)
    return a.negated == b.negated and b.values <= a.values and not _unpaired(b.keywords, a.keywords)
