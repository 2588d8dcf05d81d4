"""Where an answer's memories and document excerpts come from, in the product (tests pass their own
:class:`~assistant.services.chat.context.ContextSources`)."""

from __future__ import annotations

import uuid
from functools import partial

from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.models import User
from assistant.services.chat.context import ContextSources, Excerpt, MemoryNote
from assistant.services.memory.recall import context_memories
from assistant.services.rag.documents import has_searchable_documents
from assistant.services.rag.search import Hit, search

#: Passages put into the system prompt for each answer (the model may search for more).
CONTEXT_EXCERPTS = 5


def excerpt_of(hit: Hit) -> Excerpt:
    """A retrieved chunk as context assembly and citations use it (ids as strings)."""
    return Excerpt(document_id=str(hit.document_id), title=hit.title, page=hit.page, chunk_id=str(hit.chunk_id),
                   score=hit.score, text=hit.text)


def document_excerpts(session: Session, user: User, query: str, k: int = CONTEXT_EXCERPTS,
                      collections: frozenset[uuid.UUID] | None = None) -> list[Excerpt] | None:
    """The ``k`` passages of ``user``'s readable documents that best match ``query`` (hybrid search,
    :func:`assistant.services.rag.search.search`, relevance floor included); only of ``collections`` when
    given (an agent's).

    Returns:
        None when the user has no searchable document (nothing was searched); ``[]`` when nothing passes
        the relevance floor (the documents do not cover the question); else the passages, best first.
    """
    if not has_searchable_documents(session=session, user=user, collections=collections):
        return None
    return [excerpt_of(hit) for hit in search(session=session, user=user, query=query[:2000], k=k,
                                              collections=collections)]


def memory_notes(session: Session, user: User, query: str) -> list[MemoryNote]:
    """The user's remembered facts for the answer to ``query``: critical and high ones always, others
    recalled by similarity, within ``Settings.memory_context_chars`` characters and at most
    ``Settings.memory_recall_k`` recalled (:func:`assistant.services.memory.recall.context_memories`)."""
    settings = get_settings()
    chosen = context_memories(session=session, user=user, query=query, budget_chars=settings.memory_context_chars,
                              k=settings.memory_recall_k)
    return [MemoryNote(id=str(fact.id), text=fact.content, importance=fact.importance, category=fact.category)
            for fact in chosen.facts]


def product_sources(collections: frozenset[uuid.UUID] | None = None) -> ContextSources:
    """The sources every answer uses: the user's remembered facts and excerpts of their documents (only of
    ``collections`` when given: an agent's)."""
    if collections is None:
        return ContextSources(memories=memory_notes, excerpts=document_excerpts)
    return ContextSources(memories=memory_notes, excerpts=partial(document_excerpts, collections=collections))
