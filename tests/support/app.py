"""The running app and the browser for tests that drive the app from outside (``tests/e2e``,
``tests/security``): the app started as `make run` starts it, driven by Debian chromium.

The frontend is built once per test run (``app_port``): Reflex bakes the backend's URL into the bundle,
so every app of the run listens on that one port, one at a time, and starts with `assistant run --prebuilt`
(the backend serving that build) on its own fresh data folder and embedded database.

A package's ``conftest.py`` imports the fixtures it needs from here (all but ``browser``):

* ``app_port``  (session) the port of this run's apps, with `assistant build` done for it (and the embedding
  model's ONNX export made once, linked into every app's fresh data folder: without it each app's worker
  spends ~15 s of CPU exporting it again, beside the test);
* ``app_url``   (module) `assistant run --prebuilt` on a fresh data folder, one per test module, so each
  module starts from an empty instance (its first registration is the superadmin);
* ``start_app`` (package) ``with start_app({"ASSISTANT_...": ...}) as url:`` for a module that needs more
  settings (a language model, a trusted proxy, ...); only one app runs at a time, so a module uses either
  ``app_url`` or its own ``start_app`` app, or stops one before starting the other;
* ``kept_app(name, start)`` one app shared by several modules (``tests/security``'s ``live_app``), kept
  running from one module to the next that asks for it (``tests/conftest.py`` runs such modules one after
  another) and stopped when another app starts or the run ends;
* ``browser``   (session) one Debian chromium for the whole run, provided by ``tests/conftest.py``
  (Playwright's sync API cannot be started twice in one process, so packages cannot have one each);
* ``shot``      screenshots to ``tests/e2e/artifacts/``;
* ``patient_expect`` lets every ``expect`` wait 20 s.
"""


from __future__ import annotations

import functools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "e2e" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Seconds to wait for the previous app of the run to let go of the port.
PORT_RELEASE_SECONDS = 60
#: The URL of the app running now (at most one: they share the port), for a clear error on a second one.
_running: list[str] = []
#: The app kept running between the modules that share it: ``(name, the stack that stops it, what its start
#: returned)`` (see :func:`kept_app`).
_kept: list[tuple[str, ExitStack, object]] = []
#: Apps told to stop whose shutdown may still be under way: ``(process, its log, when it was told)``.
_stopping: list[tuple[subprocess.Popen[bytes], IO[str], float]] = []
#: The embedding model's ONNX export made for this run (``app_port``), linked into every app's data folder.
_model_files: list[Path] = []
#: What exports the embedding model into ``ASSISTANT_DATA_DIR/models`` (what the worker does at its start).
EXPORT_MODEL = "from assistant.services.rag.embeddings import model; model()"
T = TypeVar("T")


def _port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (as uvicorn/gunicorn bind it: SO_REUSEADDR, all
    interfaces)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


def _pick_port() -> int:
    """A free port below the kernel's ephemeral range, so no outgoing connection of the run is given it
    as its source port while no app holds it."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = random.sample(range(20000, max(20001, low)), k=200)
    for port in candidates:
        if _port_is_free(port):
            return port
    pytest.fail("no free port for the test apps below the ephemeral range")


def _app_env(data_dir: Path, port: int, extra_env: dict[str, str]) -> dict[str, str]:
    """The environment of an `assistant` command: the caller's ``ASSISTANT_*`` settings and
    ``DATABASE_URL`` dropped, a data folder and the port set, ``extra_env`` added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "DATABASE_URL"))}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_PORT=str(port), REFLEX_USE_NPM="1")
    env.update(extra_env)
    return env


@dataclass(frozen=True)
class _Preparation:
    """The frontend build for ``port`` and the embedding model's export, running in the background."""

    port: int
    build: subprocess.Popen[bytes]
    build_log: Path
    export: subprocess.Popen[bytes]
    export_log: Path
    model_dir: Path


#: What :func:`prepare_apps` started (at most one).
_preparation: list[_Preparation] = []


def _background(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("w") as log:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def prepare_apps(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Start what ``app_port`` waits for, unless started already: `assistant build` for this run's port, and
    the embedding model's export to ONNX (what a worker does on its first start in a data folder), to be
    linked into every app's fresh data folder. ``tests/conftest.py`` calls it before the first test of a run
    that starts apps, so both go on while the tests without an app run."""
    if _preparation:
        return
    port = _pick_port()
    data_dir, model_dir = tmp_path_factory.mktemp("build-data"), tmp_path_factory.mktemp("model-export")
    build = _background([sys.executable, "-m", "assistant.cli", "build"], _app_env(data_dir, port, {}),
                        data_dir / "build.log")
    export = _background([sys.executable, "-c", EXPORT_MODEL], _app_env(model_dir, port, {}), model_dir / "export.log")
    _preparation.append(_Preparation(port, build, data_dir / "build.log", export, model_dir / "export.log", model_dir))


def stop_preparation() -> None:
    """Stop what :func:`prepare_apps` started if it still runs (the run ended before any app was needed)."""
    for process in (p for prepared in _preparation for p in (prepared.build, prepared.export)):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def app_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port every app of this run listens on; the frontend is built for it once (`assistant build`),
    so no app start builds it again and no app leaves another's pages talking to a gone port; the embedding
    model's export is made once too (see :func:`prepare_apps`, which started both, here or earlier). The app
    kept for several modules (if any) is stopped at the end of the run, and every app waited for."""
    prepare_apps(tmp_path_factory)
    prepared = _preparation[0]
    try:
        built, exported = prepared.build.wait(timeout=1200), prepared.export.wait(timeout=600)
    except subprocess.TimeoutExpired:
        stop_preparation()
        pytest.fail("the frontend build or the model's export did not end in time")
    if built != 0:
        pytest.fail(f"assistant build failed:\n{prepared.build_log.read_text()[-4000:]}")
    if exported != 0:
        pytest.fail(f"the embedding model's export failed:\n{prepared.export_log.read_text()[-4000:]}")
    _model_files[:] = sorted((prepared.model_dir / "models").iterdir())
    try:
        yield prepared.port
    finally:
        stop_kept_app()
        wait_for_stopped_apps()


def link_prepared_model(data_dir: Path) -> None:
    """Put the embedding model's export that :func:`prepare_apps` makes into ``data_dir/models`` once it is
    made (waiting for it), so the processes using ``data_dir`` do not export it again; nothing when no export
    was started or it failed (then they export it themselves, as in production)."""
    if _preparation and _preparation[0].export.wait(timeout=600) == 0:
        _link_model(data_dir, sorted((_preparation[0].model_dir / "models").iterdir()))


def _link_model(data_dir: Path, files: list[Path] | None = None) -> None:
    """Put the embedding model's export (``files``, by default this run's) into ``data_dir/models`` (a hard
    link; a copy across devices)."""
    files = _model_files if files is None else files
    if not files:
        return
    models = data_dir / "models"
    models.mkdir(exist_ok=True)
    for source in files:
        try:
            os.link(source, models / source.name)
        except OSError:
            shutil.copy2(source, models / source.name)


@contextmanager
def _running_app(tmp_path_factory: pytest.TempPathFactory, port: int, extra_env: dict[str, str]) -> Iterator[str]:
    """Run `assistant run --prebuilt` on a fresh data folder and the run's ``port`` (once the previous app
    has let go of it), with the ``ASSISTANT_*`` settings of the calling environment dropped and
    ``extra_env`` added; yields its base URL once it answers, tells it to stop on leaving (its shutdown goes
    on while the next app starts, see :func:`wait_for_stopped_apps`)."""
    stop_kept_app()
    _reap_stopped_apps()
    if _running:
        pytest.fail(f"an app is already running at {_running[0]}: the apps of a run share one port, "
                    "so a module stops one before it starts another")
    deadline = time.monotonic() + PORT_RELEASE_SECONDS
    while not _port_is_free(port):
        if time.monotonic() > deadline:
            pytest.fail(f"port {port} is still taken {PORT_RELEASE_SECONDS} s after the previous app stopped")
        time.sleep(0.1)
    data_dir = tmp_path_factory.mktemp("app-data")
    _link_model(data_dir)
    log_path = data_dir / "app.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "run", "--prebuilt"],
        cwd=REPO,
        env=_app_env(data_dir, port, extra_env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    _running.append(url)
    deadline = time.monotonic() + 300
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"assistant run exited early:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"app did not come up:\n{log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        _stopping.append((proc, log, time.monotonic()))
        _running.clear()


def _reap_stopped_apps(*, wait: bool = False) -> None:
    """Forget the stopped apps that have exited; kill those still running :data:`PORT_RELEASE_SECONDS` after
    they were told to stop (and, with ``wait``, wait for the others first)."""
    for entry in list(_stopping):
        proc, log, told = entry
        try:
            proc.wait(timeout=max(0.0, told + PORT_RELEASE_SECONDS - time.monotonic()) if wait else 0.0)
        except subprocess.TimeoutExpired:
            if time.monotonic() < told + PORT_RELEASE_SECONDS:
                continue
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        _stopping.remove(entry)


def wait_for_stopped_apps() -> None:
    """Wait until every app told to stop has exited: its worker and web process may write to their database
    until then (``app_on_test_database`` waits before emptying the tables; the run's end waits too).

    An app's shutdown (the worker, the web process, then its embedded PostgreSQL) takes ~3 s; no one waits
    for it otherwise, so the next app starts meanwhile (once the port is free)."""
    _reap_stopped_apps(wait=True)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, app_port: int) -> Iterator[str]:
    """Base URL of a running app (`assistant run --prebuilt`) on a fresh data folder, one per test module,
    so each module starts from an empty instance (its first registration is the superadmin)."""
    with _running_app(tmp_path_factory, app_port, {}) as url:
        yield url


@pytest.fixture(scope="package")
def start_app(tmp_path_factory: pytest.TempPathFactory,
              app_port: int) -> Callable[[dict[str, str]], AbstractContextManager[str]]:
    """For a module that needs the app started with more settings (a language model, say):
    ``with start_app({"ASSISTANT_...": ...}) as url:`` runs one like ``app_url`` does, with that
    environment added, and stops it on leaving the block."""
    return functools.partial(_running_app, tmp_path_factory, app_port)


def kept_app(name: str, start: Callable[[ExitStack], T]) -> T:
    """What ``start(stack)`` returned for the app kept under ``name``, calling it first unless that app is
    the one running now.

    ``start`` enters its app (``start_app(...)``) into ``stack`` and prepares what the tests sharing it need
    (an account, say). The app goes on running after the module, for the next module that asks for ``name``
    (``tests/conftest.py`` runs the modules that share an app one after another); the start of any other app
    stops it first, as does the end of the run. Tests that share it use their own accounts and addresses.
    """
    if _kept and _kept[0][0] == name:
        return _kept[0][2]  # type: ignore[return-value]
    stop_kept_app()
    stack = ExitStack()
    try:
        value = start(stack)
    except BaseException:
        stack.close()
        raise
    _kept.append((name, stack, value))
    return value


def stop_kept_app() -> None:
    """Stop the app :func:`kept_app` keeps running, if any."""
    while _kept:
        _, stack, _ = _kept.pop()
        stack.close()


def empty_app_tables() -> None:
    """Empty every app table of the test process's database (``get_engine()``), sequences starting again.

    Only the tables holding rows are touched, with ``DELETE`` and the foreign-key triggers off
    (``session_replication_role = replica``; the embedded server's user is a superuser): a test writes to a
    few of the ~45 tables, and ``TRUNCATE`` of all of them (which the foreign keys would demand) cost about
    0.2 s after every test.
    """
    from sqlalchemy import text

    from assistant.core.db import get_engine

    with get_engine().begin() as conn:
        tables = conn.execute(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                                   "AND tablename <> 'alembic_version'")).scalars().all()
        probe = " UNION ALL ".join(f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})" for table in tables)
        filled = conn.execute(text(probe)).scalars().all() if tables else []
        if not filled:
            return
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in filled:
            conn.execute(text(f"DELETE FROM {table}"))
        for sequence in conn.execute(text("SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'S' "
                                          "AND relnamespace = 'public'::regnamespace")).scalars():
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))


@contextmanager
def app_on_test_database(start_app: Callable[[dict[str, str]], AbstractContextManager[str]],
                         database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """``with app_on_test_database(start_app, database.url) as url:`` the app on the test session's
    database (with ``extra_env`` settings), emptied before and after, so the test process can seed rows where
    the app reads them and its events reach the app's listener."""
    empty_app_tables()
    try:
        with start_app({"DATABASE_URL": database_url, **(extra_env or {})}) as url:
            yield url
    finally:
        wait_for_stopped_apps()
        empty_app_tables()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is required for the browser tests (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture()
def shot(request: pytest.FixtureRequest):
    """``shot(page, "step")`` saves ``artifacts/<test>-NN-step.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    counter = iter(range(1, 100))

    def _shot(page, step: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{next(counter):02d}-{step}.png"), full_page=True)

    return _shot


@pytest.fixture()
def patient_expect() -> Iterator[None]:
    """Let every ``expect`` wait 20 s, for modules whose steps each wait for a server round trip on a
    busy 2-core machine (``pytestmark = [..., pytest.mark.usefixtures("patient_expect")]``)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)
