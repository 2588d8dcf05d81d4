"""Benchmark: reports and data ownership (issue 14). One function per measurement, each returning a dict
of its figures (listed in :data:`MEASUREMENTS`); the script prints ONE JSON line with all of them and the
machine's.

* :func:`page_images`: pages of a real PDF drawn for the citation viewer
  (:func:`assistant.services.rag.page_images.page_image`: the image and the boxes of a passage of the
  page, in the limited renderer child). ``page_image_first_ms``: median and max over ``--pages`` pages
  with a cold cache and a running child (target: <= 300 ms); ``page_image_cached_ms``: the same pages
  again, from the cache; ``page_image_child_start_ms``: the first page of the process, which also starts
  the child (once per web process, then kept); ``page_image_kb``: the PNG files' sizes.

Usage: ``python scripts/bench_reports.py [--only page_images] [--pdf PATH] [--pages 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HEALTH_PDF = REPO.parent / "shared" / "data" / "pdfs" / "health" / "WHO_EMRO_Healthy-diet_2019.pdf"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def page_images(args: argparse.Namespace) -> dict[str, Any]:
    """Draw pages 2 to ``args.pages + 1`` of ``args.pdf`` (page 1 starts the child) into a fresh cache, each
    with the boxes of its first 60 words, then again from the cache."""
    import pymupdf

    from assistant.core.config import Settings
    from assistant.services.rag.page_images import cache_dir, page_image

    workdir = Path(tempfile.mkdtemp(prefix="bench_reports_"))
    try:
        settings = Settings(data_dir=workdir)
        source: Path = args.pdf.resolve()
        with pymupdf.open(source) as pdf:
            count = min(pdf.page_count, args.pages + 1)
            passages = {n: " ".join(pdf[n - 1].get_text().split()[:60]) or None for n in range(1, count + 1)}
        document_id = uuid.uuid4()

        def draw(number: int) -> float:
            started = time.perf_counter()
            page_image(settings, document_id=document_id, source=source, number=number, passage=passages[number],
                       passage_key=document_id)
            return time.perf_counter() - started

        child_start = draw(1)
        first = [draw(n) for n in range(2, count + 1)]
        cached = [draw(n) for n in range(2, count + 1)]
        sizes = [path.stat().st_size / 1024 for path in cache_dir(settings, document_id).glob("*.png")]
        return {
            "page_image_pdf": source.name,
            "page_image_pages": len(first),
            "page_image_first_ms": {"median": _ms(statistics.median(first)), "max": _ms(max(first))},
            "page_image_cached_ms": {"median": _ms(statistics.median(cached)), "max": _ms(max(cached))},
            "page_image_child_start_ms": _ms(child_start),
            "page_image_kb": {"median": round(statistics.median(sizes)), "max": round(max(sizes))},
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


#: Every measurement, by name, in the order they run.
MEASUREMENTS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "page_images": page_images,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(MEASUREMENTS),
                        help="run only this measurement (repeatable; default: all)")
    parser.add_argument("--pdf", type=Path, default=HEALTH_PDF, help="the PDF whose pages are drawn")
    parser.add_argument("--pages", type=int, default=8, help="pages drawn (cold, then cached)")
    args = parser.parse_args()
    result: dict[str, Any] = {"metric": "reports"}
    for name in args.only or MEASUREMENTS:
        result.update(MEASUREMENTS[name](args))
    result.update(date=datetime.now(UTC).isoformat(timespec="seconds"), load_avg_1m=round(os.getloadavg()[0], 2),
                  cpus=os.cpu_count(), cpu=platform.processor() or platform.machine(),
                  python=platform.python_version())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
