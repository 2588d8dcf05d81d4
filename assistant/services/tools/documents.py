"""``search_documents``: hybrid search over the documents the user may read, numbered for citation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from assistant.core.db import in_session
from assistant.core.errors import NotFound
from assistant.models import User
from assistant.services.chat.sources import excerpt_of
from assistant.services.rag.documents import has_searchable_documents
from assistant.services.rag.search import MAX_QUERY_CHARS, Hit, search
from assistant.services.tools.registry import Tool, ToolContext
from assistant.services.tools.spec import ToolSpec


class SearchDocumentsArguments(BaseModel):
    """Arguments of ``search_documents``."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS,
                       description="What to look for: a question or keywords; keep exact names, codes and numbers.")
    k: int = Field(default=5, ge=1, le=10, description="How many passages to return, 1-10.")


async def search_documents(arguments: SearchDocumentsArguments, context: ToolContext) -> dict[str, Any]:
    """Search the acting user's documents (their own and the collections granted to them; only the
    collections of ``context.collections`` when the chat's agent limits them).

    Returns:
        ``{"results": [{"citation": 3, "document": "lab.pdf", "page": 2, "section": "Results", "text": "…"}],
        "how_to_cite": "…"}``, best first, each passage numbered in ``context.sources``; or
        ``{"results": [], "note": "…"}`` when the user has no searchable document or nothing matches.

    Raises:
        NotFound: ``errors.not_found`` when the user no longer exists.
    """

    def run(session: Session) -> list[Hit] | None:
        user = session.get(User, context.user_id)
        if user is None or not user.is_active:
            raise NotFound("errors.not_found")
        if not has_searchable_documents(session=session, user=user, collections=context.collections):
            return None
        return search(session=session, user=user, query=arguments.query, k=arguments.k,
                      collections=context.collections)

    hits = await in_session(run)
    if hits is None:
        return {"results": [], "note": "The user has no documents to search (none uploaded or none ready yet)."}
    if not hits:
        return {"results": [], "note": "No passage of the user's documents matches. Say plainly that their "
                                       "documents do not cover this; do not make up their content."}
    results = [
        {"citation": context.sources.add(excerpt_of(hit), from_tool=True), "document": hit.title, "page": hit.page,
         "section": hit.heading_path, "text": hit.text}
        for hit in hits
    ]
    return {"results": results, "how_to_cite": "Cite each passage you use as [n], n being its citation number."}


SEARCH_DOCUMENTS = Tool(
    spec=ToolSpec(
        name="search_documents",
        description="Search the user's uploaded documents (lab results, letters, prescriptions, manuals...) "
                    "and return the best matching passages with document name and page. Use it whenever the "
                    "answer may be in their documents and the excerpts already given do not hold it.",
        arguments=SearchDocumentsArguments,
    ),
    handler=search_documents,
)
