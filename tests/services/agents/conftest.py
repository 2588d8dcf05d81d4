"""Fixtures for the agent tests: the loopback model server with the OpenAI tiers pointed at it, a turn runner,
and documents with real chunks and embeddings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.llm_server import LoopbackLLMServer


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio, the loop the app runs on."""
    return "asyncio"


@pytest.fixture
def llm_server(configure) -> Iterator[LoopbackLLMServer]:
    """A started :class:`LoopbackLLMServer` that the OpenAI provider (the seed ``small`` and ``medium`` tiers)
    is pointed at; closed after the test."""
    with LoopbackLLMServer() as server:
        configure(openai_api_key="sk-loopback", openai_base_url=f"{server.url}/v1", llm_timeout_seconds=5)
        yield server


@pytest.fixture
def turn(db) -> Callable[..., Any]:
    """``await turn(user=..., chat_id=..., text=...)``: every event of one
    :func:`~assistant.services.chat.turns.run_turn`, in order."""
    from assistant.services.chat.turns import run_turn

    async def _turn(*, user, chat_id, **kwargs: Any) -> list[Any]:
        return [event async for event in run_turn(user_id=user.id, chat_id=chat_id, **kwargs)]

    return _turn


@pytest.fixture
def document_with(make_document) -> Callable[..., Any]:
    """``document_with(owner, filename, [page texts], collection=None)``: a completed document whose pages are
    the texts (one chunk each, real embeddings)."""
    from assistant.core.db import session_scope
    from assistant.services.rag import embeddings
    from assistant.services.rag.index import NewChunk, store_chunks

    def _make(owner, filename: str, pages: list[str], collection=None):
        document = make_document(owner, filename=filename, collection=collection)
        vectors = embeddings.embed_passages(pages)
        with session_scope() as session:
            store_chunks(session=session, document=document, chunks=[
                NewChunk(ord=i, page=i + 1, heading_path="", text=text, token_count=len(text.split()), embedding=v)
                for i, (text, v) in enumerate(zip(pages, vectors, strict=True))
            ])
            session.get(type(document), document.id).chunk_count = len(pages)
        return document

    return _make
