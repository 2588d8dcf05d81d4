"""A loopback HTTP server that answers like the Anthropic Messages and OpenAI Chat Completions APIs.

The real ``anthropic`` and ``openai`` SDK clients are pointed at it with ``base_url``; each test scripts
the replies (JSON bodies, SSE event lists, status codes, delays, a stall or a dropped connection) and
reads back the requests the server received. Built from the documented wire formats:

* Anthropic streaming: https://docs.anthropic.com/en/docs/build-with-claude/streaming
  (``event: message_start`` ... ``message_stop``; ``tool_use`` blocks stream ``input_json_delta``)
* Anthropic errors: https://docs.anthropic.com/en/api/errors
* OpenAI chunks: https://platform.openai.com/docs/api-reference/chat-streaming
  (``data: {chat.completion.chunk}`` lines, ``tool_calls`` deltas by index, a final ``usage`` chunk when
  ``stream_options.include_usage`` is set, then ``data: [DONE]``)
* OpenAI errors: https://platform.openai.com/docs/guides/error-codes

Streams use chunked transfer encoding, so "drop the connection" (close without the final zero-length
chunk) is a real protocol fault the client sees, distinct from a stream that ends early but cleanly.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ToolUse:
    """A tool call the scripted model makes: ``arguments`` are JSON text fragments, streamed in order
    (their concatenation must be the arguments object, or deliberately not, to test bad input)."""

    id: str
    name: str
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """What the scripted model says, in no provider's format; rendered by the functions below."""

    text: tuple[str, ...] = ()
    tool_calls: tuple[ToolUse, ...] = ()
    stop_reason: str | None = None  # default: tool_use when tool_calls, else end_turn (Anthropic names)
    input_tokens: int = 12
    output_tokens: int = 7
    model: str = "test-model"

    @property
    def stop(self) -> str:
        """The stop reason the rendered answer carries."""
        return self.stop_reason or ("tool_use" if self.tool_calls else "end_turn")


@dataclass
class Reply:
    """One scripted HTTP answer.

    Attributes:
        status: the HTTP status.
        body: a JSON body (for errors and non-streamed answers).
        events: SSE frames (each ending in a blank line) for a streamed answer; wins over ``body``.
        delay: seconds to wait before sending the status line.
        stall_after / stall: after that many frames, wait ``stall`` seconds before the rest.
        drop_after: after that many frames, close the socket without ending the chunked body.
        interval: seconds between two frames (a model generating tokens at its own pace).
        headers: extra response headers.
    """

    status: int = 200
    body: Any = None
    events: list[str] | None = None
    delay: float = 0.0
    stall_after: int | None = None
    stall: float = 0.0
    drop_after: int | None = None
    interval: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """A request the server received: method, path, lower-cased headers and the parsed JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def sse(data: Any, event: str | None = None) -> str:
    """One SSE frame: an optional ``event:`` line and a ``data:`` line of JSON (or a raw string)."""
    payload = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


# --- Anthropic Messages -------------------------------------------------------------------------------

def _anthropic(event: str, **data: Any) -> str:
    return sse({"type": event, **data}, event=event)


def anthropic_events(turn: Turn) -> list[str]:
    """The SSE frames of a streamed Messages answer: ``message_start``, a ``ping``, one text block
    (``content_block_start`` / ``text_delta``s / ``content_block_stop``), one ``tool_use`` block per call
    (``input_json_delta``s), ``message_delta`` with the stop reason and usage, ``message_stop``."""
    frames = [
        _anthropic("message_start", message={
            "id": "msg_loopback", "type": "message", "role": "assistant", "content": [], "model": turn.model,
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": turn.input_tokens, "output_tokens": 1},
        }),
        _anthropic("ping"),
    ]
    index = 0
    if turn.text:
        frames.append(_anthropic("content_block_start", index=index, content_block={"type": "text", "text": ""}))
        frames += [_anthropic("content_block_delta", index=index, delta={"type": "text_delta", "text": part})
                   for part in turn.text]
        frames.append(_anthropic("content_block_stop", index=index))
        index += 1
    for call in turn.tool_calls:
        frames.append(_anthropic("content_block_start", index=index, content_block={
            "type": "tool_use", "id": call.id, "name": call.name, "input": {}}))
        frames += [_anthropic("content_block_delta", index=index,
                              delta={"type": "input_json_delta", "partial_json": part}) for part in call.arguments]
        frames.append(_anthropic("content_block_stop", index=index))
        index += 1
    frames.append(_anthropic("message_delta", delta={"stop_reason": turn.stop, "stop_sequence": None},
                             usage={"output_tokens": turn.output_tokens}))
    frames.append(_anthropic("message_stop"))
    return frames


def anthropic_message(turn: Turn) -> dict[str, Any]:
    """The JSON body of the same answer, not streamed."""
    content: list[dict[str, Any]] = [{"type": "text", "text": "".join(turn.text)}] if turn.text else []
    content += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": json.loads("".join(call.arguments) or "{}")}
        for call in turn.tool_calls
    ]
    return {
        "id": "msg_loopback", "type": "message", "role": "assistant", "model": turn.model, "content": content,
        "stop_reason": turn.stop, "stop_sequence": None,
        "usage": {"input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens},
    }


def anthropic_error(status: int, kind: str, message: str) -> Reply:
    """An error reply: ``{"type": "error", "error": {"type": kind, "message": ...}}``
    (kinds: ``authentication_error``, ``rate_limit_error``, ``overloaded_error``, ...)."""
    return Reply(status=status, body={"type": "error", "error": {"type": kind, "message": message}},
                 headers={"request-id": "req_loopback"})


# --- OpenAI Chat Completions --------------------------------------------------------------------------

_OPENAI_FINISH = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}


def _chunk(turn: Turn, choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> str:
    return sse({"id": "chatcmpl-loopback", "object": "chat.completion.chunk", "created": 1_700_000_000,
                "model": turn.model, "system_fingerprint": None, "choices": choices, "usage": usage})


def _usage(turn: Turn) -> dict[str, int]:
    return {"prompt_tokens": turn.input_tokens, "completion_tokens": turn.output_tokens,
            "total_tokens": turn.input_tokens + turn.output_tokens}


def openai_events(turn: Turn, *, finish_reason: str | None = None, usage: bool = True) -> list[str]:
    """The SSE frames of a streamed completion: a role chunk, one chunk per text part, for each tool
    call a chunk with ``id``/``name`` and one per arguments fragment (all keyed by ``index``), a chunk
    with ``finish_reason`` (default: the turn's stop reason in OpenAI's names), the usage chunk (empty
    ``choices``) and ``[DONE]``."""

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    frames = [_chunk(turn, choice({"role": "assistant", "content": ""}))]
    frames += [_chunk(turn, choice({"content": part})) for part in turn.text]
    for index, call in enumerate(turn.tool_calls):
        frames.append(_chunk(turn, choice({"tool_calls": [{
            "index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}]})))
        frames += [_chunk(turn, choice({"tool_calls": [{"index": index, "function": {"arguments": part}}]}))
                   for part in call.arguments]
    frames.append(_chunk(turn, choice({}, finish_reason or _OPENAI_FINISH.get(turn.stop, turn.stop))))
    if usage:
        frames.append(_chunk(turn, [], _usage(turn)))
    frames.append(sse("[DONE]"))
    return frames


def openai_completion(turn: Turn) -> dict[str, Any]:
    """The JSON body of the same answer, not streamed (``object: chat.completion``)."""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(turn.text) or None, "refusal": None}
    if turn.tool_calls:
        message["tool_calls"] = [{"id": call.id, "type": "function",
                                  "function": {"name": call.name, "arguments": "".join(call.arguments)}}
                                 for call in turn.tool_calls]
    return {"id": "chatcmpl-loopback", "object": "chat.completion", "created": 1_700_000_000, "model": turn.model,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": _OPENAI_FINISH.get(turn.stop, turn.stop)}],
            "usage": _usage(turn)}


def openai_error(status: int, message: str, kind: str, code: str | None = None) -> Reply:
    """An error reply: ``{"error": {"message", "type", "param", "code"}}``."""
    return Reply(status=status, body={"error": {"message": message, "type": kind, "param": None, "code": code}})


# --- the server ---------------------------------------------------------------------------------------

class LoopbackLLMServer:
    """An HTTP/1.1 server on 127.0.0.1 (a free port) in a background thread.

    Every POST takes the next scripted :class:`Reply` (a 500 when none is left, so a test that sends more
    requests than it scripted fails visibly) and is recorded in :attr:`requests`. Delays and stalls end
    at once when the server closes. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self) -> None:
        self.requests: list[Request] = []
        #: The model ids ``GET /v1/models`` lists (OpenAI's or Anthropic's list format, by the request's
        #: ``anthropic-version`` header); ``models_reply``, when set, is answered instead (an error, a redirect).
        self.models: list[str] = ["test-model"]
        self.models_reply: Reply | None = None
        self._replies: deque[Reply] = deque()
        self._responder: Callable[[Request], Reply] | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="loopback-llm", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (the Anthropic client's base URL; OpenAI's adds ``/v1``)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        """Queue replies, answered in order."""
        with self._lock:
            self._replies.extend(replies)

    def respond_with(self, responder: Callable[[Request], Reply]) -> None:
        """Answer every request no scripted reply is left for with ``responder(request)``."""
        self._responder = responder

    def close(self) -> None:
        """Stop serving and wake every delayed handler."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackLLMServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _record(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._replies:
                return self._replies.popleft()
        if self._responder is not None:
            return self._responder(request)
        return openai_error(500, "the test scripted no reply for this request", "server_error")

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping in a delay must not hold up close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on purpose here (timeouts, stop buttons, closing idle keep-alive connections).
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: LoopbackLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like the real APIs
        timeout = 10  # an idle keep-alive connection frees its thread

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            reply = server._record(Request(
                method="POST", path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else None))
            server._wait(reply.delay)
            if reply.events is None:
                self._send_json(reply)
            else:
                self._send_stream(reply)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.requests.append(Request(method="GET", path=self.path, headers=headers, body=None))
            if self.path.split("?", 1)[0].rstrip("/").endswith("/models"):
                self._send_json(server.models_reply or Reply(body=_model_list(server.models,
                                                                               "anthropic-version" in headers)))
            else:
                self._send_json(openai_error(404, f"no route {self.path}", "invalid_request_error"))

        def _send_json(self, reply: Reply) -> None:
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, reply: Reply) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            frames = reply.events if reply.drop_after is None else reply.events[: reply.drop_after]
            for sent, frame in enumerate(frames):
                if sent == reply.stall_after:
                    server._wait(reply.stall)
                elif sent and reply.interval:
                    server._wait(reply.interval)
                data = frame.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            if reply.drop_after is None:
                self.wfile.write(b"0\r\n\r\n")
            else:
                self._drop()

        def _drop(self) -> None:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    return Handler


def _model_list(models: list[str], anthropic: bool) -> dict[str, Any]:
    """A one-page model list: Anthropic's (``data`` of ``type: model``, ``has_more``) or OpenAI's
    (``object: list``, ``data`` of ``object: model``)."""
    if anthropic:
        return {"data": [{"type": "model", "id": model, "display_name": model, "created_at": "2026-01-01T00:00:00Z"}
                         for model in models],
                "has_more": False, "first_id": models[0] if models else None,
                "last_id": models[-1] if models else None}
    return {"object": "list", "data": [{"id": model, "object": "model", "created": 1_700_000_000,
                                        "owned_by": "loopback"} for model in models]}


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released), for "connection refused"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def openai_env(server: LoopbackLLMServer, *, timeout_seconds: int | None = None) -> dict[str, str]:
    """The settings that point the app's OpenAI provider (and so the ``medium`` tier) at ``server``, with the
    model's timeout in seconds when given (a broken stream then fails that soon)."""
    env = {"ASSISTANT_OPENAI_API_KEY": "sk-loopback", "ASSISTANT_OPENAI_BASE_URL": f"{server.url}/v1"}
    if timeout_seconds is not None:
        env["ASSISTANT_LLM_TIMEOUT_SECONDS"] = str(timeout_seconds)
    return env
