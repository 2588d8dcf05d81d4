"""The load benchmark's short variant (``scripts/bench_load.py --quick``): five users chatting at once with
one web process, over the real event socket, the worker and the loopback model. Only correctness is
checked here (every turn answered and stored, no error); the timings are for ``docs/performance.md``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from assistant.core.config import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "bench_load.py"


def _bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.app  # starts the web backend and the worker: not part of `make test-fast`
def test_five_users_on_one_web_process_chat_without_errors() -> None:
    result = _bench("--quick", timeout=900)
    assert result.stdout.strip(), result.stderr[-4000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    (run,) = summary["runs"]
    assert (run["config"], run["web_processes"], run["users"]) == ("one", 1, 5)
    assert summary["errors"] == 0, run["error_samples"]
    assert run["turns"] == 5 * summary["turns_per_user"]
    # users 0, 2 and 4 have a document: each of their turns sent the model its excerpts
    assert run["model_turns_with_excerpts"] == 3 * summary["turns_per_user"]
    assert result.returncode == 0


def test_an_unreachable_redis_is_a_clear_error_not_a_hang() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = _bench("--configs", "redis", "--redis-url", f"redis://127.0.0.1:{port}/0", timeout=120)
    assert result.returncode == 2
    assert f"Redis at redis://127.0.0.1:{port}/0 is unreachable" in result.stderr
    assert time.monotonic() - started < 60
