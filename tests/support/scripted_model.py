"""The language model of the browser tests: the app's OpenAI provider talks to a
:class:`~support.llm_server.LoopbackLLMServer`, and a :class:`ScriptedModel` decides what it answers."""

from __future__ import annotations

import json
from collections import deque

from support.llm_server import LoopbackLLMServer, Reply, Request, ToolUse, Turn, openai_error, openai_events

#: What the model answers when asked for a chat's title, unless told otherwise.
TITLE = "Cholesterol over the years"


class ScriptedModel:
    """The model behind the app. A chat turn (a request offering tools) gets the next reply the test
    scripted, a 500 when none is left; a request without tools (writing the chat's title) gets
    :attr:`title`, whenever it arrives."""

    def __init__(self, server: LoopbackLLMServer, title: str = TITLE) -> None:
        self.server = server
        self.title = title
        self._answers: deque[Reply] = deque()
        server.respond_with(self._respond)

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next chat turns, answered in order."""
        self._answers.extend(replies)

    def reset(self) -> None:
        """Forget the replies not taken and the requests received; titles are :data:`TITLE` again."""
        self._answers.clear()
        self.server.requests.clear()
        self.title = TITLE

    def pending(self) -> int:
        """Scripted replies no request has taken yet."""
        return len(self._answers)

    def turn_requests(self) -> list[Request]:
        """The chat-turn requests received, oldest first (title requests and model listings left out)."""
        return [request for request in self.server.requests
                if isinstance(request.body, dict) and "tools" in request.body]

    def _respond(self, request: Request) -> Reply:
        if "tools" not in request.body:
            return answer(self.title)
        try:
            return self._answers.popleft()
        except IndexError:
            return openai_error(500, "the test scripted no reply for this request", "server_error")


def answer(*pieces: str, input_tokens: int = 12, output_tokens: int = 7, **pacing: float | int) -> Reply:
    """A streamed answer made of ``pieces`` (one chunk each); ``pacing``: Reply's interval/stall fields."""
    return Reply(events=openai_events(Turn(text=pieces, input_tokens=input_tokens, output_tokens=output_tokens)),
                 **pacing)


def tool_call(name: str, arguments: dict) -> Reply:
    """A turn in which the model calls the tool ``name`` once with ``arguments`` (sent as JSON)."""
    return Reply(events=openai_events(Turn(tool_calls=(ToolUse(f"call_{name}", name, (json.dumps(arguments),)),))))
