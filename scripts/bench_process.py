"""What the benchmarks that start the worker (or the app with it) share: waiting for a line of its log and
reading a process's CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

#: The end of the log shown when the process exits or does not get ready (characters).
LOG_TAIL_CHARS = 4_000


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, its finished children included) of process ``pid``, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def wait_for_line(log: Path, line: str, process: subprocess.Popen, timeout: float) -> None:
    """Return once ``line`` is in ``log`` (checked every 0.1 s); exit the script with the log's end when
    ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            sys.exit(f"the worker exited ({process.returncode}):\n{log.read_text(errors='replace')[-LOG_TAIL_CHARS:]}")
        time.sleep(0.1)
    sys.exit(f"the worker did not get ready in {timeout:g} s:\n{log.read_text(errors='replace')[-LOG_TAIL_CHARS:]}")
