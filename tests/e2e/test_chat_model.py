"""Chat in a real browser with a language model configured: the app's OpenAI provider talks to the tests'
loopback server, which plays the model. What a user notices: the answer streams in and can be stopped,
Markdown renders while model-written markup stays inert, tool calls are shown, a provider fault can be
retried, and the last message can be edited and the last answer asked for again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from support.browser import register
from support.llm_server import LoopbackLLMServer, Reply, ToolUse, Turn, openai_error, openai_events
from support.scripted_model import TITLE, ScriptedModel, answer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

#: The model tier every new chat uses ("medium") is OpenAI's gpt-4o.
MODEL = "gpt-4o"


def numbered(count: int) -> list[str]:
    """``part-01 `` ... ``part-NN.``: pieces whose text shows how far the answer got."""
    return [f"part-{n:02d}" + ("." if n == count else " ") for n in range(1, count + 1)]


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server)


@pytest.fixture(scope="module")
def model_app_url(start_app, model: ScriptedModel) -> Iterator[str]:
    """The app with the OpenAI provider pointed at the loopback server (a broken stream fails in 30 s)."""
    with start_app({
        "ASSISTANT_OPENAI_API_KEY": "sk-loopback",
        "ASSISTANT_OPENAI_BASE_URL": f"{model.server.url}/v1",
        "ASSISTANT_LLM_TIMEOUT_SECONDS": "30",
    }) as url:
        yield url


@pytest.fixture()
def chat(model_app_url: str, model: ScriptedModel, browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new user (named after the test) on a new, empty chat answered by the scripted model; at the end
    every scripted reply must have been asked for."""
    model.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 850})
    page = context.new_page()
    register(page, model_app_url, f"{request.node.name.replace('_', '-')}@example.org", "Morgan Model")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    expect(page.locator("#chat-input")).to_be_visible()
    expect(page.locator("#offline-badge")).to_have_count(0)
    yield page
    context.close()
    assert model.pending() == 0, "a scripted reply was never asked for"


def _send(page: Page, text: str) -> None:
    page.fill("#chat-input", text)
    page.click("#chat-send")


def test_answer_streams_in_then_shows_model_usage_and_title(chat: Page, model: ScriptedModel, shot) -> None:
    pieces = numbered(40)
    model.script(answer(*pieces, input_tokens=321, output_tokens=54, interval=0.04))
    _send(chat, "How did my cholesterol change?")

    # Part of the answer is on screen, the end is not yet, and the answer can be stopped meanwhile.
    chat.wait_for_function(
        """() => {
            const box = document.querySelector('#streaming-answer');
            return !!box && box.textContent.includes('part-01') && !box.textContent.includes('part-40')
                && !!document.querySelector('#chat-stop');
        }""",
        timeout=20_000,
    )
    shot(chat, "streaming")

    expect(chat.locator("#streaming-answer")).to_have_count(0)
    stored = chat.locator(".message-assistant")
    expect(stored).to_have_count(1)
    expect(stored).to_contain_text("".join(pieces))
    expect(stored).to_contain_text(MODEL)
    expect(stored.locator(".token-usage")).to_have_text("321 in / 54 out tokens")
    expect(chat.locator(".message-user")).to_have_text(["How did my cholesterol change?"])
    expect(chat.locator("#chat-send")).to_be_visible()
    expect(chat.locator("#chat-title")).to_have_text(TITLE)
    expect(chat.locator(".chat-link")).to_have_text([TITLE])
    shot(chat, "answered-and-titled")

    sent = model.turn_requests()
    assert len(sent) == 1
    assert sent[0].body["model"] == MODEL
    assert sent[0].body["messages"][-1] == {"role": "user", "content": "How did my cholesterol change?"}


MARKDOWN_ANSWER = """Your latest results:

| Test | Value |
|------|-------|
| LDL  | 2.9 mmol/L |
| HDL  | 1.4 mmol/L |

```python
def ratio(ldl, hdl):
    return round(ldl / hdl, 2)
```

<script>window.__x=1</script>

<img src=x onerror="window.__x=2">

[click](javascript:window.__x=3)

![pixel](http://127.0.0.1:9/p.png)
"""


def test_markdown_renders_and_model_markup_stays_inert(chat: Page, model: ScriptedModel, shot) -> None:
    model.script(answer(*MARKDOWN_ANSWER.splitlines(keepends=True)))
    _send(chat, "Show my lipid results as a table")
    text = chat.locator(".message-assistant .answer-text")
    expect(text).to_have_count(1)

    table = text.locator("table")
    expect(table).to_be_visible()
    expect(table.locator("tr")).to_have_count(3)
    expect(table.locator("td").first).to_have_text("LDL")
    expect(text.locator("pre")).to_contain_text("return round(ldl / hdl, 2)")
    shot(chat, "markdown")

    # Raw HTML is shown as text, the javascript: link goes nowhere, the image is only a link to it.
    expect(text).to_contain_text("<script>window.__x=1</script>")
    expect(text).to_contain_text('<img src=x onerror="window.__x=2">')
    expect(text.locator("a", has_text="click")).to_have_count(1)
    image_link = text.locator("a.md-image-link")
    expect(image_link).to_have_text("pixel")
    expect(image_link).to_have_attribute("href", "http://127.0.0.1:9/p.png")
    assert chat.locator("#conversation img").count() == 0
    assert chat.locator("#conversation a[href^='javascript']").count() == 0
    assert chat.evaluate("window.__x") is None


def test_tool_call_is_shown_and_its_result_goes_back_to_the_model(chat: Page, model: ScriptedModel, shot) -> None:
    model.script(
        Reply(events=openai_events(Turn(tool_calls=(ToolUse("call_clock_1", "get_current_time", ("{}",)),)))),
        answer("It is ", "evening where you are."),
    )
    _send(chat, "What time is it?")

    expect(chat.locator(".message-assistant").last).to_contain_text("It is evening where you are.")
    cards = chat.locator(".tool-call")
    expect(cards.first).to_contain_text("get_current_time")
    expect(cards.filter(has_text="local_time")).to_have_count(1)
    shot(chat, "tool-call")

    first, second = model.turn_requests()
    assert first.body["messages"][-1]["role"] == "user"
    call, result = second.body["messages"][-2:]
    assert call["tool_calls"][0]["id"] == "call_clock_1"
    assert call["tool_calls"][0]["function"]["name"] == "get_current_time"
    assert result["role"] == "tool"
    assert result["tool_call_id"] == "call_clock_1"
    assert "local_time" in result["content"]


def test_stop_keeps_the_partial_answer(chat: Page, model: ScriptedModel, shot) -> None:
    # The role chunk and five pieces arrive, then the model goes quiet for longer than the test waits.
    model.script(answer(*numbered(40), stall_after=6, stall=25))
    _send(chat, "Tell me everything about ferritin")

    streaming = chat.locator("#streaming-answer")
    expect(streaming).to_contain_text("part-05")
    shot(chat, "stalled")
    chat.click("#chat-stop")

    stored = chat.locator(".message-assistant")
    expect(stored.locator(".message-notice")).to_have_text("Stopped.")
    expect(stored).to_contain_text("part-01 part-02 part-03 part-04 part-05")
    expect(stored).not_to_contain_text("part-06")
    expect(streaming).to_have_count(0)
    expect(chat.locator("#chat-stop")).to_have_count(0)
    expect(chat.locator("#chat-send")).to_be_visible()
    shot(chat, "stopped")


def test_rate_limited_answer_can_be_retried(chat: Page, model: ScriptedModel, shot) -> None:
    limited = openai_error(429, "Rate limit reached for gpt-4o", "requests", "rate_limit_exceeded")
    model.script(limited, limited)  # the SDK retries a 429 once
    _send(chat, "Summarise my vitamin D results")

    error = chat.locator("#chat-error")
    expect(error).to_contain_text("The language model provider is limiting requests.")
    expect(chat.locator("#retry")).to_be_visible()
    expect(chat.get_by_text("The language model provider is limiting requests.")).to_have_count(1)
    shot(chat, "rate-limited")

    model.script(answer("Vitamin D rose from 38 to 71 nmol/L."))
    chat.click("#retry")
    expect(chat.locator(".message-assistant")).to_have_count(1)
    expect(chat.locator(".message-assistant")).to_contain_text("Vitamin D rose from 38 to 71 nmol/L.")
    expect(error).to_have_count(0)
    expect(chat.locator(".message-notice")).to_have_count(0)
    expect(chat.locator(".message-user")).to_have_text(["Summarise my vitamin D results"])
    shot(chat, "retried")
    assert len(model.turn_requests()) == 3


def test_edit_and_resend_then_answer_again(chat: Page, model: ScriptedModel, shot) -> None:
    model.script(answer("Adults usually need 600 IU."))
    _send(chat, "How much vitamin D do I need?")
    expect(chat.locator(".message-assistant")).to_contain_text("Adults usually need 600 IU.")
    shot(chat, "first-answer")

    chat.click("#edit-last")
    expect(chat.locator("#chat-input")).to_have_value("How much vitamin D do I need?")
    shot(chat, "editing")
    model.script(answer("At 70 and over, 800 IU a day."))
    _send(chat, "How much vitamin D do I need at 72?")
    expect(chat.locator(".message-assistant")).to_have_count(1)
    expect(chat.locator(".message-assistant")).to_contain_text("At 70 and over, 800 IU a day.")
    expect(chat.locator(".message-user")).to_have_text(["How much vitamin D do I need at 72?"])
    shot(chat, "edited")

    model.script(answer("From age 71: 800 IU (20 µg) daily."))
    chat.click("#regenerate")
    expect(chat.locator(".message-assistant")).to_have_count(1)
    expect(chat.locator(".message-assistant")).to_contain_text("From age 71: 800 IU (20 µg) daily.")
    expect(chat.locator(".message-assistant")).not_to_contain_text("At 70 and over")
    expect(chat.locator(".message-user")).to_have_text(["How much vitamin D do I need at 72?"])
    shot(chat, "answered-again")

    asked = [request.body["messages"][-1]["content"] for request in model.turn_requests()]
    assert asked == ["How much vitamin D do I need?", "How much vitamin D do I need at 72?",
                     "How much vitamin D do I need at 72?"]
