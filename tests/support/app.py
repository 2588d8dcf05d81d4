"""The running app and the browser for tests that drive the app from outside (``tests/e2e``,
``tests/security``): the app started exactly as `make run` starts it, driven by Debian chromium.

A package's ``conftest.py`` imports the fixtures it needs from here (all but ``browser``):

* ``app_url``   (module) `assistant run` on a fresh data folder and a free port, one per test module, so each
  module starts from an empty instance (its first registration is the superadmin);
* ``start_app`` (package) ``with start_app({"ASSISTANT_...": ...}) as url:`` for a module that needs more
  settings (a language model, a trusted proxy, ...);
* ``browser``   (session) one Debian chromium for the whole run, provided by ``tests/conftest.py``
  (Playwright's sync API cannot be started twice in one process, so packages cannot have one each);
* ``shot``      screenshots to ``tests/e2e/artifacts/``;
* ``patient_expect`` lets every ``expect`` wait 20 s.
"""


from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _running_app(tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str]) -> Iterator[str]:
    """Run `assistant run` on a fresh data folder and a free port, with the ``ASSISTANT_*`` settings of
    the calling environment dropped and ``extra_env`` added; yields its base URL once it answers."""
    data_dir = tmp_path_factory.mktemp("app-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "DATABASE_URL"))}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_PORT=str(port), REFLEX_USE_NPM="1")
    env.update(extra_env)
    log_path = data_dir / "app.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 600
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
                time.sleep(1)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running app (`assistant run`) on a fresh data folder, one per test module, so each
    module starts from an empty instance (its first registration is the superadmin)."""
    with _running_app(tmp_path_factory, {}) as url:
        yield url


@pytest.fixture(scope="package")
def start_app(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, str]], AbstractContextManager[str]]:
    """For a module that needs the app started with more settings (a language model, say):
    ``with start_app({"ASSISTANT_...": ...}) as url:`` runs one like ``app_url`` does, with that
    environment added, and stops it on leaving the block."""
    return functools.partial(_running_app, tmp_path_factory)


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
