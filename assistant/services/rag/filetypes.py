"""What kind of file an upload is, told from its content, never from its name alone (a name's ending
only tells Markdown and CSV apart from plain text, and a ``.pdf`` or ``.docx`` ending on other content is
refused as a mismatch)."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from assistant.core.errors import InvalidInput

#: Bytes of a file's start read to tell its type.
SNIFF_BYTES = 8192
MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: A ZIP is looked into only when its central directory has at most this many members and bytes
#: (a Word document has a few dozen members); a larger one is no document the ingestion reads.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_DIRECTORY_BYTES = 4 * MB
#: Bytes of a DOCX's ``[Content_Types].xml`` read at most.
MAX_CONTENT_TYPES_BYTES = 1 * MB
#: The content type of a Word document's main part (ECMA-376 part 1, 11.3.10), which python-docx requires.
DOCX_MAIN_PART_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: Image signatures (PNG, JPEG, GIF, TIFF both byte orders; WebP is RIFF....WEBP, checked apart).
_IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF87a": "image/gif",
    b"GIF89a": "image/gif", b"II*\x00": "image/tiff", b"MM\x00*": "image/tiff",
}

#: Media types the ingestion understands, and the file name endings that promise each.
MEDIA_TYPES = {
    "application/pdf": (".pdf",),
    "application/epub+zip": (".epub",),
    DOCX: (".docx",),
    "text/plain": (".txt", ".text", ".log"),
    "text/markdown": (".md", ".markdown"),
    "text/csv": (".csv",),
    "text/html": (".html", ".htm"),
}
_PROMISED = {ending: media for media, endings in MEDIA_TYPES.items() for ending in endings}
_TEXT_TYPES = ("text/plain", "text/markdown", "text/csv")
#: Types whose name ending is a promise: such a name on other content is refused as a mismatch.
_BINARY_PROMISES = ("application/pdf", DOCX)


def sniff_media_type(head: bytes, filename: str, *, path: Path | None = None) -> str | None:
    """The media type from the file's content, or None for a type the ingestion cannot read.

    ``head`` is the file's start (at least :data:`SNIFF_BYTES` when the file is that long); ``path`` is
    the whole file, opened only for a ZIP that is not an EPUB (a ZIP's directory is at its end).

    PDF by its ``%PDF-`` signature; EPUB by its uncompressed ``mimetype`` first member; DOCX by a ZIP
    with ``word/document.xml`` and a ``[Content_Types].xml`` declaring a Word main part (see
    :func:`_zip_media_type`); HTML by a doctype or ``<html`` near the start; otherwise text that
    decodes as UTF-8 without NUL bytes is plain text, told apart as Markdown or CSV only by the name's
    ending (text has no signature). Everything else (images, other archives, executables...) is None.

    Raises:
        InvalidInput: ``documents.damaged_archive`` for a ZIP whose directory cannot be read.
    """
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04") and b"mimetypeapplication/epub+zip" in head[:100]:
        return "application/epub+zip"  # EPUB's first archive member (EPUB OCF 3.2, section 4.3)
    if head.startswith(b"PK\x03\x04"):
        return _zip_media_type(path) if path is not None else None
    if b"\x00" in head:
        return None
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return None
        sample = head[: exc.start].decode("utf-8")
    lowered = sample.lstrip().lower()
    if lowered.startswith("<!doctype html") or lowered.startswith("<html") or "<html" in lowered[:1024]:
        return "text/html"
    promised = _PROMISED.get(Path(filename).suffix.lower())
    return promised if promised in _TEXT_TYPES else "text/plain"


def sniff_image_type(head: bytes) -> str | None:
    """``image/png``, ``image/jpeg``, ``image/gif``, ``image/webp`` or ``image/tiff`` when ``head``
    (the file's first bytes) starts with that format's signature, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((media for magic, media in _IMAGE_SIGNATURES.items() if head.startswith(magic)), None)


def _zip_media_type(path: Path) -> str | None:
    """:data:`DOCX` for a ZIP holding ``word/document.xml`` and a ``[Content_Types].xml`` that declares
    a Word main part (a macro-enabled ``.docm`` or a template does not), else None.

    Reads are bounded: the end-of-directory record from the last 64 KiB first, so that a directory of
    more than :data:`MAX_ZIP_MEMBERS` members or :data:`MAX_ZIP_DIRECTORY_BYTES` bytes (ZIP64 included)
    is never parsed, then at most :data:`MAX_CONTENT_TYPES_BYTES` of one member; nothing is extracted.

    Raises:
        InvalidInput: ``documents.damaged_archive`` when there is no end-of-directory record, or the
            directory or the content types member cannot be read.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            tail_size = min(size, 22 + 0xFFFF)  # the record is 22 bytes plus a comment of up to 64 KiB
            handle.seek(size - tail_size)
            tail = handle.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise InvalidInput("documents.damaged_archive")
        members, directory_bytes = struct.unpack("<10xHL6x", tail[at:at + 22])
        if members > MAX_ZIP_MEMBERS or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
            return None
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {"word/document.xml", "[Content_Types].xml"} <= names:
                return None
            with archive.open("[Content_Types].xml") as member:
                content_types = member.read(MAX_CONTENT_TYPES_BYTES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError, zlib.error, struct.error):
        raise InvalidInput("documents.damaged_archive") from None
    return DOCX if DOCX_MAIN_PART_TYPE in content_types else None


def readable_media_type(head: bytes, filename: str, *, path: Path | None = None) -> str:
    """The media type of an upload the ingestion can read (a key of :data:`MEDIA_TYPES`).

    Args:
        head: the file's first :data:`SNIFF_BYTES` (all of it when shorter).
        filename: the user's file name (already cleaned).
        path: the whole file, for a ZIP's directory.

    Raises:
        InvalidInput: ``documents.image_needs_ocr`` for a picture; ``documents.type_mismatch`` for a
            ``.pdf`` or ``.docx`` name on other content; ``documents.unsupported_type`` for anything else
            the ingestion cannot read; ``documents.damaged_archive`` for an unreadable ZIP.
    """
    if sniff_image_type(head):
        raise InvalidInput("documents.image_needs_ocr")
    media_type = sniff_media_type(head, filename, path=path)
    ending = Path(filename).suffix.lower()
    promised = _PROMISED.get(ending)
    if promised in _BINARY_PROMISES and media_type not in (promised, None):
        raise InvalidInput("documents.type_mismatch", expected=ending)
    if media_type is None:
        raise InvalidInput("documents.unsupported_type")
    return media_type
