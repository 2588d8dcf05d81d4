"""PDF pages as images for the citation viewer, with the cited passage located on them, rendered out of
the web process and cached on disk.

The PDFs are untrusted uploads, so, as for text extraction (:mod:`assistant.services.rag.extract`), MuPDF
runs in a child process (``python -m assistant.services.rag.page_images``) that lowers its own limits
first (address space :data:`~assistant.services.rag.extract.MEMORY_LIMIT_BYTES`, a CPU budget per page,
no file writes, no core dumps), and the parent kills it when a page takes longer than
:data:`TIMEOUT_SECONDS`. A fresh child needs 0.3-0.4 s to start (Python and PyMuPDF), more than a page
may take (<= 300 ms; drawing one takes 50-120 ms), so up to :data:`KEEP_IDLE` children stay alive
between pages and each is replaced after :data:`RENDERS_PER_CHILD` pages; at most :data:`MAX_CHILDREN`
render at once per process (``docs/performance.md``, Reports).

Images are PNG with a palette of :data:`PALETTE_COLOURS` colours, :data:`WIDTH_PX` pixels wide: the width
fills a laptop's viewer at twice its CSS pixels and scales down sharply on a phone. Measured on the
health PDFs of the test data, a text page is 2-170 KB that way, against 20-280 KB as JPEG (whose
artefacts blur small print) and 140 KB-1.5 MB as full-colour PNG; photographs lose some shading, which
the viewer (made to read text) can afford.

Cache: ``<data_dir>/cache/pages/<document id>/<page>.png`` and, per cited chunk,
``<page>.<chunk id>.json`` holding its boxes. :func:`remove_cache` drops a document's folder.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.services.rag.extract import MEMORY_LIMIT_BYTES, confine_child
from assistant.services.rag.parsers import CORRUPT, ENCRYPTED, TIMEOUT, TOO_LARGE, ExtractionError
from assistant.services.rag.passage_boxes import Box, passage_boxes

if TYPE_CHECKING:
    import pymupdf

    from assistant.core.config import Settings

#: The media type of every page image.
MEDIA_TYPE = "image/png"
#: Target width of a page image, pixels (a page is never drawn larger than :data:`MAX_ZOOM` times its size
#: in points, nor taller than :data:`MAX_HEIGHT_PX`).
WIDTH_PX = 1200
MAX_ZOOM = 4.0
MAX_HEIGHT_PX = 3000
#: Colours of the PNG palette.
PALETTE_COLOURS = 64
#: Wall-clock seconds one page may take (image and boxes), the child's start included.
TIMEOUT_SECONDS = 10.0
#: CPU seconds the child may spend on one page before the kernel stops it.
CPU_SECONDS_PER_PAGE = 10
#: Pages a child renders before it is replaced (MuPDF's caches and fragmentation stay bounded).
RENDERS_PER_CHILD = 100
#: Children kept alive between pages, and children rendering at once, per process.
KEEP_IDLE = 1
MAX_CHILDREN = 2


@dataclass(frozen=True)
class PageImage:
    """A cached page image: its file, :data:`MEDIA_TYPE`, and the cited passage's boxes (empty when no
    passage was asked for or it was not found on the page)."""

    path: Path
    media_type: str
    boxes: list[Box]


def cache_dir(settings: Settings, document_id: uuid.UUID) -> Path:
    """``<data_dir>/cache/pages/<document id>``: the cached images and boxes of one document."""
    return settings.resolved_data_dir / "cache" / "pages" / str(document_id)


def remove_cache(settings: Settings, document_id: uuid.UUID) -> None:
    """Delete the cached images and boxes of a document (nothing happens when there are none)."""
    shutil.rmtree(cache_dir(settings, document_id), ignore_errors=True)


def page_image(settings: Settings, *, document_id: uuid.UUID, source: Path, number: int,
               passage: str | None = None, passage_key: uuid.UUID | None = None) -> PageImage:
    """Page ``number`` (from 1) of the PDF ``source`` as a cached image, with the boxes of ``passage`` (cached
    under ``passage_key``, the chunk's id) when both are given. Renders in the child only what the cache
    lacks.

    Raises:
        ExtractionError: ``corrupt`` (unreadable, or no such page), ``encrypted``, ``too_large`` (the child
            ran out of memory) or ``timeout`` (more than :data:`TIMEOUT_SECONDS`).
    """
    folder = cache_dir(settings, document_id)
    image_path = folder / f"{number}.png"
    boxes_path = folder / f"{number}.{passage_key}.json" if passage and passage_key else None
    boxes: list[Box] | None = None
    if boxes_path is not None and boxes_path.is_file():
        boxes = [Box(*box) for box in json.loads(boxes_path.read_text())]
    if not image_path.is_file() or (boxes_path is not None and boxes is None):
        want_image = not image_path.is_file()
        image, found = render(source, number, image=want_image, passage=passage if boxes is None else None)
        folder.mkdir(parents=True, exist_ok=True)
        if want_image:
            _write_atomically(image_path, image)
        if boxes_path is not None and boxes is None:
            boxes = found or []
            _write_atomically(boxes_path, json.dumps([[b.x0, b.y0, b.x1, b.y1] for b in boxes]).encode())
    return PageImage(image_path, MEDIA_TYPE, boxes or [])


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def render(source: Path, number: int, *, image: bool = True, passage: str | None = None,
           timeout: float | None = None) -> tuple[bytes, list[Box] | None]:
    """Page ``number`` of the PDF ``source`` rendered in a limited child: ``(PNG bytes, or b"" when
    ``image`` is false; the boxes of ``passage``, or None when no passage is given)``. No cache.

    Raises:
        ExtractionError: as :func:`page_image`.
    """
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    if not _slots.acquire(timeout=timeout):
        raise ExtractionError(TIMEOUT, f"no renderer free within {timeout:g} s")
    try:
        child = _take_idle() or _Child()
        try:
            header, data = child.ask({"path": str(source), "page": number, "image": image, "passage": passage},
                                     deadline, timeout)
        except BaseException:
            child.kill()
            raise
        if "error" in header:  # a child MuPDF failed in may be left in a bad state: not reused
            child.kill()
            raise ExtractionError(header["error"], header["detail"])
        _give_back(child)
    finally:
        _slots.release()
    boxes = None if header["boxes"] is None else [Box(*box) for box in header["boxes"]]
    return data, boxes


class _Child:
    """A renderer child and its pipes (requests: one JSON line in; replies: one JSON line, then the image)."""

    def __init__(self) -> None:
        package_root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ,
                   PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p))
        self.owner = os.getpid()
        self.renders = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.services.rag.page_images", str(MEMORY_LIMIT_BYTES),
             str(CPU_SECONDS_PER_PAGE)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
        self.buffer = bytearray()

    def ask(self, request: dict[str, Any], deadline: float, timeout: float) -> tuple[dict[str, Any], bytes]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None  # both are pipes
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except BrokenPipeError:
            raise self._ended(timeout) from None
        while b"\n" not in self.buffer:
            self._read(stdout, deadline, timeout)
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        header: dict[str, Any] = json.loads(line)
        size = header.get("size", 0)
        while len(self.buffer) < size:
            self._read(stdout, deadline, timeout)
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.renders += 1
        return header, data

    def _read(self, stdout: IO[bytes], deadline: float, timeout: float) -> None:
        ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise ExtractionError(TIMEOUT, f"the page took longer than {timeout:g} s")
        data = os.read(stdout.fileno(), 1 << 20)
        if not data:
            raise self._ended(timeout)
        self.buffer += data

    def _ended(self, timeout: float) -> ExtractionError:
        """The error for a child that died mid-page (killed by its CPU or memory limit, or crashed)."""
        returncode = self.process.wait()
        if returncode == -signal.SIGXCPU:
            return ExtractionError(TIMEOUT, f"the page used more than {CPU_SECONDS_PER_PAGE} s of CPU time")
        if returncode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            return ExtractionError(TOO_LARGE, f"the renderer died (exit {returncode}) near its memory limit")
        return ExtractionError(CORRUPT, f"the renderer failed (exit {returncode})")

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def kill(self) -> None:
        """End the child at once (its whole process group) and wait for it."""
        if self.owner != os.getpid():
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


_idle: list[_Child] = []
_idle_lock = threading.Lock()
_slots = threading.BoundedSemaphore(MAX_CHILDREN)


def _take_idle() -> _Child | None:
    with _idle_lock:
        while _idle:
            child = _idle.pop()
            if child.alive():
                return child
    return None


def _give_back(child: _Child) -> None:
    with _idle_lock:
        if child.renders < RENDERS_PER_CHILD and len(_idle) < KEEP_IDLE:
            _idle.append(child)
            return
    child.kill()


def warm_up() -> None:
    """Start the idle renderer child now if there is none, so that the first page a process draws does not wait
    about 0.3 s for it (called once when the web process starts; blocking: run it in a thread)."""
    with _idle_lock:
        if any(child.alive() for child in _idle):
            return
    _give_back(_Child())


@atexit.register
def _end_idle_children() -> None:
    with _idle_lock:
        while _idle:
            _idle.pop().kill()


# ---------------------------------------------------------------------------------------------------
# The child: everything below runs inside the limited subprocess.


def _child_main(argv: list[str]) -> int:
    import resource

    memory, cpu_per_page = int(argv[0]), int(argv[1])
    out = os.fdopen(confine_child(memory), "wb")
    # PyMuPDF imports its optional layout analysis and Markdown helpers when installed (ONNX Runtime and
    # NumPy: ~0.8 s of the child's start); drawing pages and finding words use neither.
    sys.modules["pymupdf.layout"] = sys.modules["pymupdf4llm"] = None  # type: ignore[assignment]
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    for line in sys.stdin.buffer:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = int(usage.ru_utime + usage.ru_stime) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_per_page, resource.RLIM_INFINITY))
        request = json.loads(line)
        try:
            header, data = _answer(Path(request["path"]), request["page"], request["image"], request["passage"])
        except ExtractionError as exc:
            header, data = {"error": exc.code, "detail": exc.detail[:900]}, b""
        except MemoryError:
            header, data = {"error": TOO_LARGE, "detail": f"the page needs more than {memory >> 20} MiB"}, b""
        except (RuntimeError, ValueError) as exc:  # MuPDF's; its failed allocations read "malloc (...) failed"
            code = TOO_LARGE if "alloc" in str(exc) else CORRUPT
            header, data = {"error": code, "detail": f"the page could not be rendered: {exc}"[:900]}, b""
        out.write(json.dumps(header).encode() + b"\n" + data)
        out.flush()
    return 0


def _answer(path: Path, number: int, image: bool, passage: str | None) -> tuple[dict[str, Any], bytes]:
    """The reply to one request: ``({"size": bytes of the image, "boxes": [[x0, y0, x1, y1], ...] or None},
    the PNG or b"")``. The file is opened for this page only (nothing of a deleted document stays open).

    Raises:
        ExtractionError: ``corrupt`` (no PDF header, unreadable, no such page) or ``encrypted``.
    """
    import pymupdf

    with path.open("rb") as handle:
        if b"%PDF-" not in handle.read(1024):
            raise ExtractionError(CORRUPT, "no PDF header in the first 1024 bytes")
    try:
        document = pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError) as exc:
        raise ExtractionError(CORRUPT, f"cannot open as pdf: {exc}") from None
    with document:
        if document.needs_pass:
            raise ExtractionError(ENCRYPTED, "the document needs a password")
        if not 1 <= number <= document.page_count:
            raise ExtractionError(CORRUPT, f"no page {number} in {document.page_count} pages")
        page = document.load_page(number - 1)
        data = _png(page) if image else b""
        boxes = None if passage is None else [[b.x0, b.y0, b.x1, b.y1] for b in passage_boxes(page, passage)]
    return {"size": len(data), "boxes": boxes}, data


def _png(page: pymupdf.Page) -> bytes:
    """The page drawn :data:`WIDTH_PX` wide (see the module's limits) as a :data:`PALETTE_COLOURS`-colour PNG."""
    import io

    import pymupdf
    from PIL import Image

    rect = page.rect
    zoom = min(WIDTH_PX / rect.width, MAX_HEIGHT_PX / rect.height, MAX_ZOOM)
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB, alpha=False)
    picture = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    output = io.BytesIO()
    picture.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE).save(output, "PNG")
    return output.getvalue()


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
