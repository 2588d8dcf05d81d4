"""Debian's ``redis-server`` for tests that run several web processes on Reflex's Redis state manager:
started on 127.0.0.1 and a free port, nothing on disk, stopped afterwards."""

from __future__ import annotations

import pickle
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

#: Where Reflex's Redis token manager keeps which app process holds each tab's socket.
SOCKET_RECORD_PREFIX = "token_manager_socket_record_"


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Run ``redis-server`` (fails the test with a clear message when it is not installed); yields its URL."""
    import redis

    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail("redis-server is required (Debian: apt-get install redis-server; `make test` installs it)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
                    client.ping()
                break
            except redis.RedisError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start (exit code {process.poll()})")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def socket_owners(url: str) -> dict[str, str]:
    """Each connected tab's client token -> the id of the app process its socket is connected to."""
    import redis

    owners = {}
    with redis.Redis.from_url(url) as client:
        for key in client.scan_iter(f"{SOCKET_RECORD_PREFIX}*"):
            record = client.get(key)
            if record:
                owners[key.decode().removeprefix(SOCKET_RECORD_PREFIX)] = pickle.loads(record).instance_id
    return owners
