"""Token-aware chunking with the model's own tokenizer: window, whole sentences, overlap, pages."""

from __future__ import annotations

from itertools import pairwise

from support.data import SHARED_DATA

from assistant.services.rag.chunking import MAX_TOKENS, OVERLAP_TOKENS, chunk_pages, split_sentences
from assistant.services.rag.embeddings import tokenizer
from assistant.services.rag.extract import Page, iter_pages

DATA = SHARED_DATA
WHO_PDF = DATA / "pdfs/health/WHO_EMRO_Healthy-diet_2019.pdf"


def pieces(text: str) -> int:
    return len(tokenizer().tokenize(text))


def test_sentences_split_at_ends_not_at_abbreviations_or_initials():
    text = ('Dr. Smith met H. G. Wells in 1898. He said: "Yes!" Take e.g. two tablets. See Fig. 2 below.\n'
            "A line broken\nin the middle. Т. е. так, см. рис. 3. Второе предложение?\n"
            "• first item\n• second item\n\nNext paragraph")
    assert split_sentences(text) == [
        "Dr. Smith met H. G. Wells in 1898.",
        'He said: "Yes!"',
        "Take e.g. two tablets.",
        "See Fig. 2 below.",
        "A line broken in the middle.",
        "Т. е. так, см. рис. 3.",
        "Второе предложение?",
        "• first item",
        "• second item",
        "Next paragraph",
    ]


def test_a_paragraph_broken_across_text_blocks_is_rejoined():
    assert split_sentences("Talk with your doctor about\n\nwhat types of exercise are safe.\n\nNew one.") == [
        "Talk with your doctor about what types of exercise are safe.",
        "New one.",
    ]


def sentence(i: int) -> str:
    return f"Sentence number {i} says that the patient took {i} milligrams of the medicine with water."


def test_chunks_fit_the_window_keep_whole_sentences_and_overlap():
    sentences = [sentence(i) for i in range(120)]
    page = Page(3, " ".join(sentences), ((0, ("Results", "Blood")),))
    chunks = chunk_pages([page], tokenizer())
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.page == 3 and chunk.heading_path == "Results > Blood"
        assert chunk.token_count == pieces(chunk.text) + 2 <= MAX_TOKENS
        # Whole sentences only: each chunk is a run of consecutive sentences.
        parts = split_sentences(chunk.text)
        assert all(part in sentences for part in parts)
    assert all(c.token_count >= 200 for c in chunks[:-1])
    for before, after in pairwise(chunks):
        shared = [s for s in split_sentences(after.text) if s in split_sentences(before.text)]
        assert shared, "consecutive chunks overlap by whole sentences"
        assert sum(pieces(s) for s in shared) <= OVERLAP_TOKENS
        assert split_sentences(before.text)[-len(shared):] == shared
    covered = {s for c in chunks for s in split_sentences(c.text)}
    assert covered == set(sentences)


def test_a_sentence_longer_than_the_window_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(600))
    chunks = chunk_pages([Page(1, words + ". Short one.", ((0, ()),))], tokenizer())
    assert len(chunks) >= 3
    assert all(c.token_count == pieces(c.text) + 2 <= MAX_TOKENS for c in chunks)
    rebuilt = " ".join(c.text for c in chunks)
    for i in (0, 299, 599):
        assert f"word{i} " in rebuilt + " " or f"word{i}." in rebuilt
    assert " ".join(chunks[-1].text.split()[-2:]) == "Short one."


def test_one_enormous_word_is_cut_between_word_pieces():
    blob = "x" * 5000
    chunks = chunk_pages([Page(1, blob, ((0, ()),))], tokenizer())
    assert chunks and all(c.token_count == pieces(c.text) + 2 <= MAX_TOKENS for c in chunks)


def test_chunks_never_span_pages_or_headings():
    first = Page(1, " ".join(sentence(i) for i in range(5)), ((0, ("A",)),))
    text = "Intro sentence here.\n\nMethods\n\nWe measured glucose."
    second = Page(2, text, ((0, ("A",)), (text.index("Methods"), ("A", "Methods"))))
    chunks = chunk_pages([first, second], tokenizer())
    assert [(c.page, c.heading_path) for c in chunks] == [(1, "A"), (2, "A"), (2, "A > Methods")]
    assert chunks[1].text == "Intro sentence here."
    assert chunks[2].text == "Methods We measured glucose."


def test_real_pdf_chunks_are_within_the_window():
    pages = [page for page, _ in iter_pages(WHO_PDF, "application/pdf")]
    chunks = chunk_pages(pages, tokenizer())
    assert all(c.token_count == pieces(c.text) + 2 <= MAX_TOKENS for c in chunks)
    assert {c.page for c in chunks} <= set(range(1, 21))
    [chunk] = [c for c in chunks if "Energy intake (calories) should be in balance" in c.text]
    assert chunk.page == 9
