"""Entry point: ``python -m assistant.worker``: the supervisor with the product's services."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from assistant.core.logging import configure_from_settings
from assistant.worker.housekeeping import run_housekeeping
from assistant.worker.ingestion import run_ingestion
from assistant.worker.scheduler import run_scheduler
from assistant.worker.supervisor import Service, Supervisor
from assistant.worker.telegram import run_telegram

log = logging.getLogger("assistant.worker")

#: What every worker runs: ingestion in each process, the rest on the elected leader only.
SERVICES = (
    Service("ingestion", run_ingestion),
    Service("housekeeping", run_housekeeping, leader_only=True),
    Service("scheduler", run_scheduler, leader_only=True),
    Service("telegram", run_telegram, leader_only=True),
)


def main() -> int:
    configure_from_settings()
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("worker stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    Supervisor(SERVICES).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
