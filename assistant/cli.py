"""The ``assistant`` command: ``run``, ``build``, ``web``, ``migrate``, ``create-admin`` and ``demo``."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NoReturn

from assistant.core import migrations
from assistant.core.config import REPO_ROOT, get_settings
from assistant.core.db import database_url, session_scope
from assistant.core.errors import AppError, ConfigurationError
from assistant.core.i18n import translate
from assistant.core.logging import configure_from_settings

log = logging.getLogger("assistant")


def _prepare_database() -> str:
    """Resolve (or start) the database, apply migrations and create the admin from the environment."""
    settings = get_settings()
    settings.jwt_key()  # refuses a weak secret in prod; creates the dev secret before children start
    settings.fernet_key()  # the same for the key of secrets at rest
    url = database_url()
    migrations.upgrade(url)
    if settings.admin_email and settings.admin_password:
        from assistant.services.auth.service import ensure_superadmin

        with session_scope() as session:
            user, created = ensure_superadmin(
                session=session,
                email=settings.admin_email,
                password=settings.admin_password.get_secret_value(),
                reset_existing=False,
            )
        if created:
            log.info("created superadmin %s from ASSISTANT_ADMIN_EMAIL", user.email)
    return url


def _reflex_env() -> dict[str, str]:
    """This process's environment for a Reflex child: npm, no telemetry, offline models, the venv's binaries."""
    env = dict(os.environ)
    env.setdefault("REFLEX_USE_NPM", "1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def _child_env(url: str) -> dict[str, str]:
    env = _reflex_env()
    env["DATABASE_URL"] = url
    env["ASSISTANT_DATA_DIR"] = str(get_settings().resolved_data_dir)
    return env


def _wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in processes):
            return False
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    return False


def _terminate(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 20
    for proc in processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _build_mismatch(settings_url: str) -> str | None:
    """Why the frontend build in ``.web`` cannot be served for ``settings_url``, or None when it can.

    Reflex bakes the backend URL into the bundle (``.web/env.json``, the ``PING`` endpoint is
    ``<url>/ping``), so a build made for another URL would talk to a server that is not there."""
    web = REPO_ROOT / ".web"
    if not (web / "build" / "client" / "index.html").is_file():
        return "there is no frontend build in .web"
    try:
        ping = json.loads((web / "env.json").read_text())["PING"]
    except (OSError, ValueError, KeyError):
        return "the frontend build in .web has no readable env.json"
    if ping != f"{settings_url}/ping":
        return f"the frontend build in .web was made for {ping.removesuffix('/ping')}, not {settings_url}"
    return None


def _reflex_log_level() -> str:
    """Reflex's console level: its build progress and warnings, not its info lines (ours say where the app
    runs), unless ``ASSISTANT_LOG_LEVEL`` is DEBUG."""
    return "debug" if get_settings().log_level.upper() == "DEBUG" else "warning"


def _web_command(*, prebuilt: bool) -> list[str]:
    """The web process: Reflex's production mode, frontend and backend on ``settings.port``.

    Without ``prebuilt`` Reflex compiles the pages and builds the frontend first (what `make run` wants
    after editing the code); with it the backend serves the build already in ``.web/build/client``
    (made by `assistant build` for the same public URL)."""
    port = str(get_settings().port)
    if prebuilt:
        return [sys.executable, "-c", f"from assistant.cli import serve_prebuilt; serve_prebuilt({port})"]
    return [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", port, "--backend-port", port,
            "--loglevel", _reflex_log_level()]


def serve_prebuilt(port: int) -> None:
    """Run Reflex's production backend on ``port`` (all interfaces), mounting the frontend already built in
    ``.web/build/client``: what `reflex run --env prod` does after its compile and build steps, without them.
    Blocks until the server stops. Runs in the web child process of `assistant run --prebuilt`/`web --prebuilt`."""
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    config = get_config()
    level = constants.LogLevel.WARNING if config.loglevel == constants.LogLevel.DEFAULT else config.loglevel
    reflex_exec.run_backend_prod(config.backend_host, port, level, mount_frontend_compiled_app=True)


def _check_prebuilt() -> None:
    """Refuse to serve a missing frontend build or one made for another URL (:class:`ConfigurationError`)."""
    url = get_settings().base_url
    if (reason := _build_mismatch(url)) is not None:
        raise ConfigurationError(f"{reason}; run `assistant build` with the same settings first")


def cmd_build(_args: argparse.Namespace) -> int:
    """Compile the pages and build the frontend into ``.web/build/client`` for the configured public URL,
    so that `assistant run --prebuilt` (or `assistant web --prebuilt`) starts without building."""
    command = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"]
    code = subprocess.run(command, cwd=REPO_ROOT, env=_reflex_env(), check=False).returncode
    if code == 0 and (reason := _build_mismatch(get_settings().base_url)) is not None:
        log.error("the build finished but cannot be served: %s", reason)
        return 1
    if code == 0:
        print(f"frontend built for {get_settings().base_url}")
    return code


def _check_redis(timeout: float = 5.0) -> None:
    """When ``REFLEX_REDIS_URL`` is set, make sure that Redis answers before any web process starts.

    Raises:
        ConfigurationError: it does not answer a PING within ``timeout`` seconds (a clear message instead
            of web processes that wait on it or exit one by one).
    """
    url = os.environ.get("REFLEX_REDIS_URL")
    if not url:
        return
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout) as client:
            client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigurationError(f"Redis at REFLEX_REDIS_URL ({url}) is unreachable: {exc}") from exc


def cmd_web(args: argparse.Namespace) -> NoReturn:
    """The web process alone (no database start, no migrations, no worker), for deployments that run
    those separately (docker-compose.yml). Replaces this process with the web server."""
    _check_redis()
    if args.prebuilt:
        _check_prebuilt()
    command = _web_command(prebuilt=args.prebuilt)
    os.chdir(REPO_ROOT)
    os.execve(command[0], command, _reflex_env())


def cmd_run(args: argparse.Namespace) -> int:
    """Start the database (embedded unless DATABASE_URL is set), migrate, then the web app and worker.

    With ``--prebuilt`` the web app serves the frontend built by `assistant build` instead of building it."""
    settings = get_settings()
    _check_redis()
    if args.prebuilt:
        _check_prebuilt()
    url = _prepare_database()
    env = _child_env(url)
    port = str(settings.port)
    web_cmd = _web_command(prebuilt=args.prebuilt)
    worker_cmd = [sys.executable, "-m", "assistant.worker"]
    web = subprocess.Popen(web_cmd, cwd=REPO_ROOT, env=env, start_new_session=True)
    worker = subprocess.Popen(worker_cmd, cwd=REPO_ROOT, env=env, start_new_session=True)
    children = [web, worker]

    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        print("Starting the web app..." if args.prebuilt
              else "Building the web app and starting it; the first start takes a minute or two...", flush=True)
        if _wait_until_up(f"http://127.0.0.1:{port}", children, timeout=900):
            print(f"\n  assistant is running: open {settings.base_url}\n  (Ctrl+C stops it)\n", flush=True)
        while not stopping:
            if web.poll() is not None:
                log.error("the web app exited with code %s", web.returncode)
                return web.returncode or 1
            if worker.poll() is not None:
                log.warning("the worker exited with code %s; restarting it", worker.returncode)
                worker = subprocess.Popen(worker_cmd, cwd=REPO_ROOT, env=env, start_new_session=True)
                children[1] = worker
            time.sleep(0.5)
        return 0
    finally:
        _terminate(children)


def cmd_migrate(_args: argparse.Namespace) -> int:
    """Apply all migrations to the configured database."""
    _prepare_database()
    print("database is up to date")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    """Create a superadmin (or promote and reset an existing account) without prompts when possible."""
    settings = get_settings()
    email = args.email or settings.admin_email
    password = (
        args.password
        or (settings.admin_password.get_secret_value() if settings.admin_password else None)
        or (getpass.getpass("Password: ") if sys.stdin.isatty() else None)
    )
    if not email or not password:
        print("create-admin needs --email and --password (or ASSISTANT_ADMIN_EMAIL/ASSISTANT_ADMIN_PASSWORD)")
        return 2
    migrations.upgrade(database_url())
    from assistant.services.auth.service import ensure_superadmin

    try:
        with session_scope() as session:
            user, created = ensure_superadmin(session=session, email=email, password=password, reset_existing=True)
    except AppError as exc:
        print(translate(exc.code, "en", **exc.params))
        return 1
    print(f"{'created' if created else 'updated'} superadmin {user.email}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Create the demo account with the given documents ingested and one answered chat."""
    import secrets

    settings = get_settings()
    password = args.password or os.environ.get("ASSISTANT_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"no such file: {', '.join(missing)}")
        return 2
    _prepare_database()
    from tqdm import tqdm

    from assistant.services.demo import create_demo

    bar = tqdm(total=100 * len(args.files), unit="%", disable=False, desc="ingesting",
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")
    done: dict[str, int] = {}

    def progress(name: str, percent: int) -> None:
        done[name] = percent
        bar.set_description_str(name[:40])
        bar.update(sum(done.values()) - bar.n)

    try:
        result = create_demo(files=args.files, email=args.email, password=password, settings=settings,
                             question=args.question, translate=lambda code, params: translate(code, "en", **params),
                             report=bar.write, progress=progress)
    except AppError as exc:
        bar.close()
        print(translate(exc.code, "en", **exc.params))
        return 1
    bar.close()
    print(f"demo ready: {result.ready} of {len(args.files)} documents ingested"
          + (", one chat answered" if result.chat_id else ""))
    print(f"sign in at {settings.base_url} as {result.email} with the password {password}")
    return 0 if result.ready == len(args.files) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Self-hosted personal AI assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start database, web app and worker")
    run.add_argument("--prebuilt", action="store_true",
                     help="serve the frontend made by `assistant build` instead of building it at start")
    run.set_defaults(func=cmd_run)
    build = sub.add_parser("build", help="build the frontend for the configured public URL (for --prebuilt)")
    build.set_defaults(func=cmd_build)
    web = sub.add_parser("web", help="start the web app only (database, migrations and worker run elsewhere)")
    web.add_argument("--prebuilt", action="store_true", help="serve the frontend made by `assistant build`")
    web.set_defaults(func=cmd_web)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    admin = sub.add_parser("create-admin", help="create or reset a superadmin account")
    admin.add_argument("--email")
    admin.add_argument("--password", help="prefer ASSISTANT_ADMIN_PASSWORD: arguments show in `ps`")
    admin.set_defaults(func=cmd_create_admin)
    demo = sub.add_parser("demo", help="create a demo account with documents ingested and one chat")
    demo.add_argument("files", nargs="+", type=Path, metavar="FILE", help="documents to upload (PDF, EPUB, text...)")
    demo.add_argument("--email", default="demo@example.org")
    demo.add_argument("--password", help="default: ASSISTANT_DEMO_PASSWORD, else a random one (printed)")
    from assistant.services.demo import DEMO_QUESTION

    demo.add_argument("--question", default=DEMO_QUESTION, help=f"the demo chat's first question ({DEMO_QUESTION!r})")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    args = build_parser().parse_args(argv)
    configure_from_settings()
    try:
        status: int = args.func(args)
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
