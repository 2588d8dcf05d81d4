"""Hand-made PDFs for the tests that feed the parser something hostile: few bytes that cost a reader a lot
(millions of glyphs, deep nesting, many pages) or that lie about themselves (a page count that is not
the number of pages)."""

from __future__ import annotations

import zlib
from pathlib import Path


def crafted_pdf(path: Path, content: bytes, *, pages: int = 1, count: int | None = None) -> Path:
    """Write a PDF whose ``pages`` pages all draw the same deflated content stream ``content`` (Helvetica
    as /F1), e.g. millions of glyphs or a million nested arrays in a few kB; its page tree declares
    ``count`` pages (default: ``pages``), so it may claim two billion pages while holding one."""
    stream = zlib.compress(content, 9)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages if count is None else count} >>".encode(),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 3 0 R >>"
    ] * pages
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(out)
    return path
