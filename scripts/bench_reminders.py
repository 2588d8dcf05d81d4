"""Benchmark: 1,000 reminders of 100 users due at once, fired by the real worker's scheduler, and the bell of an
open browser tab.

Starts a fresh embedded PostgreSQL (migrated) and the app as `make run` starts it (the frontend built with
`assistant build` for a free port, then `assistant run --prebuilt`: web process and worker), or with
``--no-tab`` the worker alone (``python -m assistant.worker``). Waits until the worker's scheduler runs and the
worker has started up (embedding model loaded). With the tab, the first user registers through the API and signs
in in Debian's chromium (Playwright), and the page records every change of the bell's number. Then the script
does what the reminders service does for each reminder: a row (one-time, next occurrence and fire time set) and
``NOTIFY scheduler_signals`` (``reminder:<id>``), here for ``--reminders`` reminders of ``--users`` users in one
transaction, all due at the same instant ``--lead`` seconds later (the hardest case: everyone's "08:00"), or
spread evenly over ``--spread`` seconds from then.

Measured:

* lateness as a user sees it: from each occurrence to the arrival of its ``notification`` event on a ``LISTEN``
  connection of this process (the event goes out when the row commits: the moment the row is written and
  visible); the same from the rows (``sent_at - occurrence_at``, when the worker took it up);
* how many were delivered within 60 s of their time and how many occurrences were stored twice (the unique
  idempotency key makes it 0 by construction; counted anyway); how long the scheduler took to set the jobs
  from the signals;
* with the tab, the bell's lag: for the k-th notification of the signed-in user, from its row being written (its
  event's arrival here) to the first moment the tab's bell shows k or more;
* the worker's CPU seconds over the firing and the load average (the machine is shared).

Prints one JSON line: ``{"metric": "reminder_lateness_p95_s", "value": ..., "bell_lag_max_s": ..., ...}``.
Targets (issue 12): every notification stored within 60 s of its time, p95 lateness <= 5 s, none twice; the
open tab's bell updated within 2 s of the row being written.

Usage: ``python scripts/bench_reminders.py [--reminders 1000] [--users 100] [--lead 30] [--spread 0]
[--no-tab]``. Everything it starts is stopped at the end; its files live in a temporary folder (the frontend
build goes to the checkout's ``.web`` as `assistant build` always does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_process import cpu_seconds, wait_for_line  # this script's folder, first on sys.path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNNING = "scheduler is running"
#: The worker's last start-up step (the embedding model loaded): from then on it is as in steady service.
READY = "ingestion is listening for jobs"
CHROMIUM = "/usr/bin/chromium"
#: Records every change of the bell's number in the page: ``window.__counts = [[ms since the epoch, text]]``.
WATCH = """() => {
  window.__counts = []; let last = null;
  new MutationObserver(() => {
    const badge = document.querySelector('#bell-count'), shown = badge ? badge.textContent : '';
    if (shown !== last) { last = shown; window.__counts.push([Date.now(), shown]); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=1000, help="reminders in all")
    parser.add_argument("--users", type=int, default=100, help="users they belong to (evenly)")
    parser.add_argument("--lead", type=float, default=30.0, help="seconds from the insert to the due time")
    parser.add_argument("--spread", type=float, default=0.0, help="spread the due times over this many seconds")
    parser.add_argument("--no-tab", dest="tab", action="store_false", help="the worker alone, no app or browser")
    args = parser.parse_args()
    print(json.dumps(run(args.reminders, args.users, args.lead, args.spread, args.tab)))
    return 0


def run(reminders: int, users: int, lead: float, spread: float, tab: bool) -> dict:
    from assistant.core.db import start_embedded_postgres, stop_embedded_postgres
    from assistant.core.migrations import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp, ExitStack() as stack:
        url = start_embedded_postgres(Path(tmp) / "pg", "bench")
        stack.callback(stop_embedded_postgres, Path(tmp) / "pg")
        upgrade(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(DATABASE_URL=url, ASSISTANT_DATA_DIR=str(Path(tmp) / "data"), ASSISTANT_LOG_LEVEL="INFO",
                   PYTHONUNBUFFERED="1", HF_HUB_OFFLINE="1", REFLEX_USE_NPM="1")
        log = Path(tmp) / "app.log"
        if tab:
            port = _free_port()
            env["ASSISTANT_PORT"] = str(port)
            _build(env, Path(tmp) / "build.log")
            command = [sys.executable, "-m", "assistant.cli", "run", "--prebuilt"]
        else:
            command = [sys.executable, "-m", "assistant.worker"]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        stack.callback(_stop, process)
        wait_for_line(log, RUNNING, process, 300)
        wait_for_line(log, READY, process, 300)
        worker_pid = _worker_pid(url) if tab else process.pid
        page = None
        if tab:
            base = f"http://localhost:{port}"
            _wait_until_up(base, process, log)
            password = f"bench-{secrets.token_hex(8)}-42"
            _register(base, "bench-0@example.org", password)
            page = _signed_in_tab(stack, base, "bench-0@example.org", password)
        result = _measure(url, worker_pid, page, reminders, users, lead, spread)
        errors = [line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line]
        return result | {"worker_errors": len(errors), "load_avg_1m": round(os.getloadavg()[0], 2),
                         "cpus": os.cpu_count(), "python": platform.python_version(),
                         "date": datetime.now(UTC).date().isoformat()}


def _free_port() -> int:
    """A free port below the kernel's ephemeral range (as the browser tests pick theirs)."""
    for port in random.sample(range(20000, 32000), k=200):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    sys.exit("no free port")


def _build(env: dict[str, str], log: Path) -> None:
    """`assistant build`: the frontend for this port, as the browser tests build it."""
    with log.open("w") as out:
        code = subprocess.run([sys.executable, "-m", "assistant.cli", "build"], cwd=REPO, env=env, stdout=out,
                              stderr=subprocess.STDOUT, timeout=1200, check=False).returncode
    if code != 0:
        sys.exit(f"assistant build failed:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _worker_pid(url: str) -> int:
    """The process id of the worker that `assistant run` started on the database ``url``."""
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"assistant.worker" in command and f"DATABASE_URL={url}".encode() in environment:
            return int(entry.name)
    sys.exit("the app's worker was not found")


def _wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/ping", timeout=2):
                return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.5)
    sys.exit(f"the app did not come up:\n{log.read_text(errors='replace')[-4000:]}")


def _register(base: str, email: str, password: str) -> None:
    body = json.dumps({"email": email, "password": password, "display_name": "Bench"}).encode()
    request = urllib.request.Request(f"{base}/api/v1/auth/register", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=30).close()
    except urllib.error.HTTPError as exc:
        sys.exit(f"registration refused ({exc.code}): {exc.read()[:500]!r}")


def _signed_in_tab(stack: ExitStack, base: str, email: str, password: str):
    """A chromium page signed in as ``email`` with its bell watched (:data:`WATCH`)."""
    from playwright.sync_api import expect, sync_playwright

    playwright = stack.enter_context(sync_playwright())
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                         "--disable-gpu"])
    stack.callback(browser.close)
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#bell-button")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1000)  # the bell has loaded its (zero) count
    page.evaluate(WATCH)
    return page


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _measure(url: str, pid: int, page, reminders: int, users: int, lead: float, spread: float) -> dict:
    import psycopg

    from assistant.core.db import libpq_url

    arrivals: dict[str, datetime] = {}
    listening, done = threading.Event(), threading.Event()
    listener = threading.Thread(target=_listen, args=(libpq_url(url), arrivals, listening, done), daemon=True)
    listener.start()
    listening.wait(30)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        user_ids = [row[0] for row in conn.execute("SELECT id FROM users")]
        user_ids += [row[0] for row in conn.execute(
            "INSERT INTO users (id, email, display_name, password_hash, role, is_active, language, timezone, "
            "created_at, updated_at) SELECT gen_random_uuid(), 'bench-' || n || '@example.org', 'bench ' || n, 'x', "
            "'user', true, 'en', 'UTC', now(), now() FROM generate_series(%s::int, %s::int) AS n RETURNING id",
            (len(user_ids), users - 1))]
        watched = user_ids[0]
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        rows = [(user_ids[n % users], f"Reminder {n}", due + timedelta(seconds=spread * n / reminders))
                for n in range(reminders)]
        inserted = time.monotonic()
        with conn.transaction(), conn.cursor() as cursor:
            ids = []
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
        cpu_before = cpu_seconds(pid)
        last_due = due + timedelta(seconds=spread)
        _wait(conn, "SELECT count(*) FROM notifications", reminders,
              (last_due - datetime.now(UTC)).total_seconds() + 90)
        cpu_s = cpu_seconds(pid) - cpu_before
        time.sleep(3)  # the last events, and the tab's last update
        done.set()
        stored = {str(row[0]): row[1:] for row in conn.execute(
            "SELECT id, occurrence_at, sent_at, status, user_id FROM notifications")}
        distinct = conn.execute("SELECT count(DISTINCT (reminder_id, occurrence_at)) FROM notifications").fetchone()[0]
        still_active = conn.execute("SELECT count(*) FROM reminders WHERE status = 'active'").fetchone()[0]
    delivered = [(arrivals[key] - occurrence).total_seconds() for key, (occurrence, *_) in stored.items()
                 if key in arrivals]
    taken_up = [(sent_at - occurrence).total_seconds() for occurrence, sent_at, *_ in stored.values()]
    result = {
        "metric": "reminder_lateness_p95_s",
        "value": round(_percentile(delivered, 0.95), 3) if delivered else None,
        "reminders": reminders,
        "users": users,
        "spread_s": spread,
        "stored": len(stored),
        "sent": sum(1 for _, _, status, _ in stored.values() if status == "sent"),
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
    if page is not None:
        written = sorted(arrivals[key] for key, (*_, user_id) in stored.items()
                         if user_id == watched and key in arrivals)
        result |= _bell_lag(page.evaluate("window.__counts"), written)
    return result


def _bell_lag(counts: list[list], written: list[datetime]) -> dict:
    """For the k-th row of the watched user (``written``: when each was written, ascending), the seconds until
    the tab's bell first showed k or more (``counts``: the page's ``[ms since the epoch, text]`` changes)."""
    shown = [(datetime.fromtimestamp(ms / 1000, UTC), int(text.rstrip("+") or 0)) for ms, text in counts]
    lags = []
    for k, at in enumerate(written, start=1):
        first = next((when for when, number in shown if number >= k), None)
        lags.append(None if first is None else round((first - at).total_seconds(), 3))
    measured = [lag for lag in lags if lag is not None]
    return {"bell_rows": len(written), "bell_final": shown[-1][1] if shown else 0,
            "bell_lag_max_s": max(measured) if measured else None, "bell_lags_s": lags}


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
