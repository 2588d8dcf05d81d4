"""Benchmark: what the app adds to the time to first token, and the bytes it sends per streamed delta.

Runs the real app (``assistant run``) on a fresh embedded PostgreSQL, with the OpenAI provider pointed at
the tests' loopback server, which answers every request at once and then streams text at a model's pace.
A chat gets a history of ``--history`` messages (default 10,000) written straight into the database. A
real browser (Debian chromium through Playwright) sends ``--turns`` messages; for each one it records
the time from the click on "Send" to the first answer text in the page. Everything between those two
moments is the app's doing (event dispatch, session check, context assembly over the long history,
database writes, the provider SDK, state deltas, rendering), because the loopback provider's own time
to first byte is ~0. The deltas are the WebSocket frames that carry streamed text to the browser (the
one frame that replaces the streamed view by the stored messages at the end is not a delta).

Prints one JSON line:
``{"metric": "ttft_overhead_p95_ms", "value": ..., "delta_bytes_p95": ..., ...}``.
Targets (issue "Chat"): p95 <= 150 ms and <= 2 KB per delta.

With ``--memories N`` the user also has N remembered facts (issue "Memory": answers stay within the target
for a user with 5,000).

Usage: ``python scripts/bench_chat.py [--history 10000] [--turns 20] [--memories 0]`` (needs ``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.llm_server import LoopbackLLMServer, Reply, Request, Turn, openai_events  # noqa: E402

EMAIL = "bench@example.org"
PASSWORD = "correct-horse-42"
#: The streamed answer: 120 pieces of ~32 characters (~3.8 kB), one every 15 ms (~65 tokens/s).
PIECES = tuple(f"Piece {n:03d} of a long answer. " for n in range(120))
INTERVAL = 0.015


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _seed_history(url: str, count: int) -> str:
    """Register the bench user, create a chat and give it ``count`` alternating messages."""
    os.environ["DATABASE_URL"] = url
    from sqlmodel import select

    from assistant.core.db import session_scope
    from assistant.models import Message, User
    from assistant.services.auth import service as auth
    from assistant.services.chat.chats import create_chat

    with session_scope() as session:
        auth.register(session=session, data={"email": EMAIL, "password": PASSWORD, "display_name": "Bench"})
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == EMAIL)).one()
        chat = create_chat(session=session, user=user, title="Long history")
    rows = [
        {"id": uuid.uuid4(), "chat_id": chat.id, "role": "user" if n % 2 == 0 else "assistant",
         "content": f"Message {n}: " + "words of an earlier conversation " * 4}
        for n in range(count)
    ]
    with session_scope() as session:
        session.bulk_insert_mappings(Message, rows)
    return str(chat.id)


def _seed_memories(url: str, count: int, tmp: Path) -> None:
    """Give the bench user ``count`` remembered facts, as ``scripts/bench_memory.py`` seeds its user (its
    embedding cache under /tmp/memory_bench_cache is reused)."""
    sys.path.insert(0, str(REPO / "scripts"))
    os.environ.setdefault("ASSISTANT_DATA_DIR", str(tmp / "data"))
    import bench_memory
    from sqlmodel import create_engine, select

    from assistant.core.db import session_scope, sqlalchemy_url
    from assistant.models import User

    with session_scope() as session:
        user_id = session.exec(select(User.id).where(User.email == EMAIL)).one()
    facts = bench_memory.synthetic_facts(count)
    vectors = bench_memory.cached_embeddings([content for _, content in facts], Path("/tmp/memory_bench_cache"),
                                             "facts")
    engine = create_engine(sqlalchemy_url(url))
    bench_memory.seed_memories(engine, user_id, facts, vectors)
    engine.dispose()


def _wait_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 900
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"assistant run exited early:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"the app did not come up:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2):
                return
        except OSError:
            time.sleep(1)


FIRST_TEXT_JS = """
() => new Promise((resolve) => {
  const start = Date.now();
  const box = () => document.querySelector('#streaming-answer');
  const seen = () => { const b = box(); return b && b.innerText.includes('Piece 000'); };
  const done = (t) => { observer.disconnect(); resolve(t); };
  const observer = new MutationObserver(() => { if (seen()) done(Date.now()); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  setTimeout(() => { observer.disconnect(); resolve(null); }, 60000);
  window.__benchStart = start;
  document.querySelector('#chat-send').click();
})
"""


def run(history: int, turns: int, memories: int = 0) -> dict:
    from playwright.sync_api import sync_playwright

    from assistant.core.db import start_embedded_postgres, stop_embedded_postgres

    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp, LoopbackLLMServer() as llm:
        url = start_embedded_postgres(Path(tmp) / "pg", "bench")
        from assistant.core.migrations import upgrade

        upgrade(url)
        chat_id = _seed_history(url, history)
        if memories:
            _seed_memories(url, memories, Path(tmp))
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(DATABASE_URL=url, ASSISTANT_DATA_DIR=str(Path(tmp) / "data"), ASSISTANT_PORT=str(port),
                   ASSISTANT_OPENAI_API_KEY="sk-bench", ASSISTANT_OPENAI_BASE_URL=f"{llm.url}/v1",
                   REFLEX_USE_NPM="1", HF_HUB_OFFLINE="1")
        log = Path(tmp) / "app.log"
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "run"], cwd=REPO, env=env,
                                stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        app = f"http://localhost:{port}"
        try:
            _wait_up(app, proc, log)
            return _measure(sync_playwright, app, chat_id, llm, turns)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            stop_embedded_postgres(Path(tmp) / "pg")


def _model(request: Request) -> Reply:
    """The scripted model: a long paced answer to a chat turn (offered tools), a short one to the
    app's own requests (titles, summaries)."""
    if request.body and request.body.get("tools"):
        return Reply(events=openai_events(Turn(text=PIECES)), interval=INTERVAL)
    return Reply(events=openai_events(Turn(text=("A summary of the earlier messages.",))))


def _measure(sync_playwright, app: str, chat_id: str, llm: LoopbackLLMServer, turns: int) -> dict:
    ttft: list[float] = []
    frames: list[int] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.goto(f"{app}/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/chats", timeout=60_000)
        page.goto(f"{app}/chats/{chat_id}")
        page.wait_for_selector("#chat-input", timeout=60_000)

        llm.respond_with(_model)
        streaming = {"on": False}
        received: list[int] = []

        def on_frame(payload: str | bytes) -> None:
            text = payload.decode() if isinstance(payload, bytes) else payload
            if streaming["on"] and "stream_tail_rx_state_" in text and "messages_rx_state_" not in text:
                received.append(len(text.encode()))

        def on_socket(ws) -> None:
            ws.on("framereceived", on_frame)

        page.on("websocket", on_socket)
        page.reload()
        page.wait_for_selector("#chat-input", timeout=60_000)
        for turn in range(turns + 1):  # the first turn warms caches and is not counted
            page.fill("#chat-input", f"Question {turn}")
            page.wait_for_selector("#chat-send:not([disabled])", timeout=60_000)
            received.clear()
            streaming["on"] = True
            first = page.evaluate(FIRST_TEXT_JS)
            if first is None:
                raise SystemExit(f"no answer text within 60 s in turn {turn}")
            started = page.evaluate("window.__benchStart")
            page.wait_for_selector("#chat-send", timeout=60_000)
            streaming["on"] = False
            if turn:
                ttft.append(first - started)
                frames.extend(received)
        browser.close()
    return {"ttft": ttft, "frames": frames}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=10_000, help="messages already in the chat")
    parser.add_argument("--turns", type=int, default=20, help="measured messages")
    parser.add_argument("--memories", type=int, default=0,
                        help="remembered facts of the bench user (as scripts/bench_memory.py seeds them)")
    args = parser.parse_args()
    result = run(args.history, args.turns, args.memories)
    ttft, frames = result["ttft"], result["frames"]
    print(json.dumps({
        "metric": "ttft_overhead_p95_ms",
        "value": round(_percentile(ttft, 0.95), 1),
        "ttft_overhead_p50_ms": round(_percentile(ttft, 0.5), 1),
        "delta_bytes_p95": _percentile([float(f) for f in frames], 0.95),
        "delta_bytes_max": max(frames),
        "deltas": len(frames),
        "history_messages": args.history,
        "memories": args.memories,
        "turns": args.turns,
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
    }))


if __name__ == "__main__":
    main()
