"""HTML to PDF for everything the assistant prints: Jinja2 templates in ``assistant/templates/reports`` (autoescape
on) rendered by WeasyPrint with the fonts shipped in the package.

Safety: untrusted text (chats, memories, document names) reaches a template only escaped, or as
:func:`assistant.core.markup.markdown_html` output, and WeasyPrint fetches nothing but the package's own fonts
and styles: :class:`PackageOnlyFetcher` refuses every other URL (``http://169.254.169.254/``, ``file:///etc/passwd``,
``data:``), so an injected ``<img>`` or CSS ``url()`` loads nothing. Fonts: DejaVu Sans (Latin, Cyrillic, Greek;
licence in ``fonts/LICENSE.txt``), so output does not depend on the host's fonts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from assistant.core.i18n import translate

log = logging.getLogger(__name__)

#: The folder of the report templates, their style sheet and fonts (inside the installed package).
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "reports"


class PackageOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves only files inside :data:`TEMPLATES_DIR` (fonts, the style sheet) and
    refuses everything else with ``ValueError`` (WeasyPrint then leaves the resource out and goes on).
    Every refusal is logged at INFO with the URL's first 100 characters."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """The resource at ``url`` if it is a package file (see the class docstring).

        Raises:
            ValueError: any other URL.
        """
        if not _is_package_file(url):
            log.info("report rendering refused to fetch %s", url[:100])
            raise ValueError(f"refused to fetch {url[:100]}")
        return super().fetch(url, headers)


def _is_package_file(url: str) -> bool:
    if not url.startswith("file://"):
        return False
    raw = url.removeprefix("file://").split("?", 1)[0].split("#", 1)[0]
    try:
        path = Path(raw).resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return path.is_file() and path.is_relative_to(TEMPLATES_DIR)


@cache
def templates() -> Environment:
    """The report templates' Jinja2 environment: autoescape everything that is not
    :class:`~markupsafe.Markup`, undefined names are errors."""
    return Environment(loader=PackageLoader("assistant", "templates/reports"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(template: str, language: str, /, **context: Any) -> str:
    """The HTML of the template ``template`` (a file name in ``templates/reports``) with ``context``, ``t``
    (translate in ``language``) and ``language``."""
    def t(key: str, **params: Any) -> str:
        return translate(key, language, **params)

    return templates().get_template(template).render(t=t, language=language, **context)


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF: its bytes and its number of pages."""

    data: bytes
    pages: int


def html_to_pdf(html: str) -> RenderedPdf:
    """``html`` (from :func:`render_html`) as a PDF, with the package's fonts and style sheet as the only
    resources WeasyPrint may load (relative URLs resolve against :data:`TEMPLATES_DIR`). CPU-bound (about
    0.1-0.3 s per page on these machines): call it from a worker thread.

    Raises:
        Exception: what WeasyPrint raises for a document it cannot lay out (the caller records the failure).
    """
    document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=PackageOnlyFetcher()).render()
    return RenderedPdf(data=document.write_pdf(), pages=len(document.pages))
