"""Entry point: ``python -m assistant.worker``."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from assistant.core.config import get_settings
from assistant.core.db import database_url
from assistant.core.logging import configure_logging
from assistant.worker.ingestion import run_ingestion
from assistant.worker.leader import run_as_leader

log = logging.getLogger("assistant.worker")


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("worker stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("worker started, waiting for leadership")
    run_as_leader(database_url(), run_ingestion, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
