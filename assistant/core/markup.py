"""Untrusted Markdown (chat messages, memories, model answers) as HTML that is safe to put into a page, a mail or
a PDF: markdown-it-py (CommonMark plus tables) renders it with raw HTML shown as text, and nh3 keeps only
harmless tags and attributes. Images are dropped: a report or a mail never loads a URL a message names."""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: The tags rendered Markdown may keep: nh3's safe defaults without ``img``.
ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS - {"img"})


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def markdown_html(source: str) -> Markup:
    """``source`` (Markdown, untrusted) as sanitized HTML (:class:`~markupsafe.Markup`, so Jinja2 does not escape
    it again): raw HTML in it is shown as text, images are removed, links keep only their ``href`` (with
    ``rel="noopener noreferrer"``)."""
    return Markup(nh3.clean(_markdown().render(source), tags=set(ALLOWED_TAGS)))  # noqa: S704 - sanitized by nh3
