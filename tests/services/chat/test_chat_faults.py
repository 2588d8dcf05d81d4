"""Provider faults during a turn, for both providers: the user's message is kept, whatever text arrived is
kept as an incomplete answer (an error when none did) with the ``llm.*`` reason and whether retrying may
help; answering again (``regenerate``) then replaces the failed answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from support.llm_server import Reply, Turn, closed_port

from assistant.services.chat import chats
from assistant.services.chat.turn_events import AnswerDelta, TurnFinished, TurnStarted

pytestmark = pytest.mark.anyio

ANSWER = Turn(text=("Hel", "lo", " there"))
QUESTION = "Is my blood pressure fine?"


def quick_retry(reply: Reply) -> Reply:
    """The provider asks to retry after 10 ms (the SDKs honour ``retry-after-ms``), keeping the test fast."""
    reply.headers["retry-after-ms"] = "10"
    return reply


@dataclass(frozen=True)
class Fault:
    """How to make a turn fail (``arrange(online, server, configure)``) and what the user then sees."""

    arrange: Callable
    code: str
    retryable: bool
    partial: str
    requests: int


def bad_key(online, server, configure):
    server.script(online.error(401))


def rate_limited(online, server, configure):
    server.script(quick_retry(online.error(429)), quick_retry(online.error(429)))  # the SDK retries once


def stalls(online, server, configure):
    configure(llm_timeout_seconds=1)
    server.script(Reply(events=online.events(ANSWER), stall_after=online.frames_before_text + 2, stall=30))


def refused(online, server, configure):
    root = f"http://127.0.0.1:{closed_port()}"
    configure(**{f"{online.name}_base_url": f"{root}/v1" if online.name == "openai" else root})


def malformed(online, server, configure):
    frames = online.events(ANSWER)
    server.script(Reply(events=[*frames[: online.frames_before_text + 1], online.malformed, *frames[-2:]]))


def dropped(online, server, configure):
    server.script(Reply(events=online.events(ANSWER), drop_after=online.frames_before_text + 2))


FAULTS = {
    "bad_key": Fault(bad_key, "llm.auth_failed", False, "", 1),
    "rate_limited": Fault(rate_limited, "llm.rate_limited", True, "", 2),
    "timeout": Fault(stalls, "llm.timeout", True, "Hello", 1),
    "refused": Fault(refused, "llm.unreachable", True, "", 0),
    "malformed": Fault(malformed, "llm.bad_response", True, "Hel", 1),
    "dropped": Fault(dropped, "llm.interrupted", True, "Hello", 1),
}


def reconnect(online, server, configure) -> None:
    """Point the provider back at the loopback server (the settings a test started with)."""
    configure(**{f"{online.name}_base_url": f"{server.url}/v1" if online.name == "openai" else server.url},
              llm_timeout_seconds=5)


@pytest.mark.parametrize("name", list(FAULTS))
async def test_a_fault_keeps_the_message_and_what_arrived_and_regenerate_replaces_it(
        name, make_user, call, online, llm_server, configure, turn):
    fault = FAULTS[name]
    user = make_user()
    chat = call(chats.create_chat, user=user, title="Health", tier=online.tier)
    fault.arrange(online, llm_server, configure)

    events = await turn(user=user, chat_id=chat.id, text=QUESTION)

    status = "incomplete" if fault.partial else "error"
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == fault.partial
    assert events[-1] == TurnFinished(status, fault.code, fault.retryable)
    assert len(llm_server.requests) == fault.requests
    question, failed = call(chats.list_messages, user=user, chat_id=chat.id).messages
    assert (question.role, question.content, question.status) == ("user", QUESTION, "complete")
    assert (failed.id, failed.role, failed.content, failed.status, failed.error_code) == (
        events[0].answer_id, "assistant", fault.partial, status, fault.code)
    assert failed.tool_calls == []

    reconnect(online, llm_server, configure)
    llm_server.script(Reply(events=online.events(Turn(text=("Yes, ", "120/80 is fine.")))))
    retry = await turn(user=user, chat_id=chat.id, mode="regenerate")

    started = retry[0]
    assert isinstance(started, TurnStarted)
    assert (started.user_message.id, started.removed_after_seq) == (question.id, question.seq)
    assert retry[-1] == TurnFinished("complete", "", False, 12, 7)
    rows = call(chats.list_messages, user=user, chat_id=chat.id).messages
    assert [(m.id, m.role) for m in rows] == [(question.id, "user"), (started.answer_id, "assistant")]
    assert (rows[1].content, rows[1].status, rows[1].error_code) == ("Yes, 120/80 is fine.", "complete", "")
    assert llm_server.requests[-1].body["messages"][-1]["content"] in (QUESTION, [{"type": "text", "text": QUESTION}])
