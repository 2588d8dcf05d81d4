"""Benchmark: 1,000 reminders of 100 users due at once, fired by the real worker's scheduler.

Starts a fresh embedded PostgreSQL (migrated) and the real worker (``python -m assistant.worker``), waits until
its scheduler runs and it has started up (embedding model loaded), then does what the reminders service does
for each reminder: a row (one-time, next occurrence and fire time set) and ``NOTIFY scheduler_signals``
(``reminder:<id>``), here for ``--reminders`` reminders of ``--users`` users in one transaction, all due at the
same instant ``--lead`` seconds later (the hardest case: everyone's "08:00"), or spread evenly over ``--spread``
seconds from then.

Measured: each notification's lateness as a user sees it, from its occurrence to the arrival of its
``notification`` event on a ``LISTEN`` connection of this process (the event goes out when the row commits, and
is what updates the bell of an open tab); the same from the stored rows (``sent_at - occurrence_at``, the time
the worker took it up); how many were delivered within 60 s of their time, how many occurrences were stored
twice (the unique idempotency key makes it 0 by construction; counted anyway), and how long the scheduler took
to set the 1,000 jobs from the signals. The worker's CPU seconds over the firing and the load average are
printed too: the machine is shared.

Prints one JSON line: ``{"metric": "reminder_lateness_p95_s", "value": ..., "stored": ..., ...}``.
Targets (issue 12): every notification stored within 60 s of its time, p95 lateness <= 5 s, none twice.

Usage: ``python scripts/bench_reminders.py [--reminders 1000] [--users 100] [--lead 30] [--spread 0]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNNING = "scheduler is running"
#: The worker's last start-up step (the embedding model loaded): from then on it is as in steady service.
READY = "ingestion is listening for jobs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1000, help="reminders in all")
    parser.add_argument("--users", type=int, default=100, help="users they belong to (evenly)")
    parser.add_argument("--lead", type=float, default=30.0, help="seconds from the insert to the due time")
    parser.add_argument("--spread", type=float, default=0.0, help="spread the due times over this many seconds")
    args = parser.parse_args()
    print(json.dumps(run(args.reminders, args.users, args.lead, args.spread)))
    return 0


def run(reminders: int, users: int, lead: float, spread: float) -> dict:
    from assistant.core.db import start_embedded_postgres, stop_embedded_postgres
    from assistant.core.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        url = start_embedded_postgres(Path(tmp) / "pg", "bench")
        upgrade(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(DATABASE_URL=url, ASSISTANT_DATA_DIR=str(Path(tmp) / "data"), ASSISTANT_LOG_LEVEL="INFO",
                   PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1")
        log = Path(tmp) / "worker.log"
        worker = subprocess.Popen([sys.executable, "-m", "assistant.worker"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)
        try:
            _wait_for_line(log, RUNNING, worker, 120)
            _wait_for_line(log, READY, worker, 120)
            result = _measure(url, worker.pid, reminders, users, lead, spread)
            errors = [line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line]
            return result | {"worker_errors": len(errors), "load_avg_1m": round(os.getloadavg()[0], 2),
                             "cpus": os.cpu_count(), "python": platform.python_version(),
                             "date": datetime.now(UTC).date().isoformat()}
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
            stop_embedded_postgres(Path(tmp) / "pg")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid``, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _wait_for_line(log: Path, line: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            sys.exit(f"the worker exited ({process.returncode}):\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    sys.exit(f"the worker did not get ready in {timeout:g} s:\n{log.read_text(errors='replace')}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _measure(url: str, pid: int, reminders: int, users: int, lead: float, spread: float) -> dict:
    import psycopg

    from assistant.core.db import libpq_url

    arrivals: dict[str, datetime] = {}
    listening, done = threading.Event(), threading.Event()
    listener = threading.Thread(target=_listen, args=(libpq_url(url), arrivals, listening, done), daemon=True)
    listener.start()
    listening.wait(30)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        user_ids = [row[0] for row in conn.execute(
            "INSERT INTO users (id, email, display_name, password_hash, role, is_active, language, timezone, "
            "created_at, updated_at) SELECT gen_random_uuid(), 'bench-' || n || '@example.org', 'bench ' || n, 'x', "
            "'user', true, 'en', 'UTC', now(), now() FROM generate_series(1, %s) AS n RETURNING id", (users,))]
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        rows = [(user_ids[n % users], f"Reminder {n}", due + timedelta(seconds=spread * n / reminders))
                for n in range(reminders)]
        inserted = time.monotonic()
        with conn.transaction():
            ids = []
            with conn.cursor() as cursor:
                for user_id, title, at in rows:
                    cursor.execute(
                        "INSERT INTO reminders (id, user_id, title, note, kind, timezone, starts_at, recurrence, "
                        "channels, status, next_occurrence_at, next_fire_at, created_at, updated_at) VALUES "
                        "(gen_random_uuid(), %s, %s, '', 'general', 'UTC', %s, 'once', '[\"in_app\"]', 'active', "
                        "%s, %s, now(), now()) RETURNING id", (user_id, title, at.replace(tzinfo=None), at, at))
                    ids.append(cursor.fetchone()[0])
                for reminder_id in ids:
                    cursor.execute("SELECT pg_notify('scheduler_signals', %s)", (f"reminder:{reminder_id}",))
        scheduled_s = _wait(conn, "SELECT count(*) FROM scheduler_jobs", reminders, lead + 60) - inserted
        cpu_before = _cpu_seconds(pid)
        last_due = due + timedelta(seconds=spread)
        _wait(conn, "SELECT count(*) FROM notifications", reminders,
              (last_due - datetime.now(UTC)).total_seconds() + 90)
        cpu_s = _cpu_seconds(pid) - cpu_before
        time.sleep(1)  # the last events
        done.set()
        stored = {str(row[0]): row[1:] for row in conn.execute(
            "SELECT id, occurrence_at, sent_at, status FROM notifications")}
        distinct = conn.execute("SELECT count(DISTINCT (reminder_id, occurrence_at)) FROM notifications").fetchone()[0]
        still_active = conn.execute("SELECT count(*) FROM reminders WHERE status = 'active'").fetchone()[0]
    delivered = [(arrivals[key] - occurrence).total_seconds() for key, (occurrence, _, _) in stored.items()
                 if key in arrivals]
    taken_up = [(sent_at - occurrence).total_seconds() for occurrence, sent_at, _ in stored.values()]
    return {
        "metric": "reminder_lateness_p95_s",
        "value": round(_percentile(delivered, 0.95), 3) if delivered else None,
        "reminders": reminders,
        "users": users,
        "spread_s": spread,
        "stored": len(stored),
        "sent": sum(1 for _, _, status in stored.values() if status == "sent"),
        "stored_twice": len(stored) - distinct,
        "events": len(delivered),
        "within_60s": sum(1 for value in delivered if value <= 60),
        "lateness_p50_s": round(_percentile(delivered, 0.5), 3) if delivered else None,
        "lateness_max_s": round(max(delivered), 3) if delivered else None,
        "sent_at_lateness_p95_s": round(_percentile(taken_up, 0.95), 3) if taken_up else None,
        "jobs_set_s": round(scheduled_s, 2),
        "reminders_still_active": still_active,
        "worker_cpu_s": round(cpu_s, 2),
    }


def _listen(url: str, arrivals: dict[str, datetime], listening: threading.Event, done: threading.Event) -> None:
    """Record when each ``notification`` event arrives (wall clock, UTC) until ``done`` is set."""
    import psycopg

    from assistant.core import events

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"LISTEN {events.CHANNEL}")
        listening.set()
        while not done.is_set():
            for note in conn.notifies(timeout=0.5):
                arrived = datetime.now(UTC)
                event = events.decode(note.payload)
                if isinstance(event, events.Event) and event.topic == "notification":
                    arrivals[event.payload["notification_id"]] = arrived


def _wait(conn, query: str, target: int, timeout: float) -> float:
    """Poll ``query`` (a count) until it reaches ``target`` or ``timeout`` seconds pass; returns the time."""
    deadline = time.monotonic() + max(timeout, 1.0)
    while time.monotonic() < deadline and conn.execute(query).fetchone()[0] < target:
        time.sleep(0.05)
    return time.monotonic()


if __name__ == "__main__":
    sys.exit(main())
