"""Chat in a real browser with a language model configured: the app's OpenAI provider talks to the tests'
loopback server, which plays the model. What a user notices: the answer streams in and can be stopped,
Markdown renders while model-written markup stays inert, tool calls are shown, a provider fault can be
retried, the last message can be edited and the last answer asked for again, and the assistant's memory
changes show as cards to confirm, reject or undo beside "Remember this" on a message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from support.browser import register
from support.llm_server import Reply, ToolUse, Turn, openai_error, openai_events
from support.scripted_model import TITLE, ScriptedModel, answer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

#: The model tier every new chat uses ("medium") is OpenAI's gpt-4o.
MODEL = "gpt-4o"


def numbered(count: int) -> list[str]:
    """``part-01 `` ... ``part-NN.``: pieces whose text shows how far the answer got."""
    return [f"part-{n:02d}" + ("." if n == count else " ") for n in range(1, count + 1)]


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


def _saves(model: ScriptedModel, call_id: str, arguments: dict[str, str], reply: str) -> None:
    """Script a turn in which the model calls ``save_memory`` with ``arguments``, then says ``reply``."""
    model.script(Reply(events=openai_events(Turn(tool_calls=(ToolUse(call_id, "save_memory",
                                                                      (json.dumps(arguments),)),)))),
                 answer(reply))


def _answered(page: Page, reply: str) -> None:
    expect(page.locator("#streaming-answer")).to_have_count(0)
    expect(page.locator(".message-assistant").last).to_contain_text(reply)


def _toast(page: Page, text: str):
    return page.locator("[data-sonner-toast]", has_text=text)


def _message_id(page: Page, text: str) -> str:
    """The id of the stored user message showing ``text`` (its element is ``#message-<id>``)."""
    element_id = page.locator(".message-user", has_text=text).get_attribute("id")
    assert element_id is not None and element_id.startswith("message-")
    return element_id.removeprefix("message-")


def test_memory_cards_confirm_reject_undo_and_remember_this(chat: Page, model: ScriptedModel, shot) -> None:
    chat_url = chat.url
    chat_id = chat_url.rsplit("/", 1)[1]
    cards = chat.locator(".memory-card")

    # A health fact (the user confirms those, the default): the card asks; Confirm stores it.
    _saves(model, "call_m1", {"content": "Takes metformin 500 mg twice daily", "category": "medication"},
           "I will remember it once you confirm.")
    _send(chat, "I take metformin 500 mg twice a day.")
    _answered(chat, "I will remember it once you confirm.")
    first = cards.nth(0)
    expect(first.locator(".memory-card-title")).to_have_text("Save this health fact?")
    expect(first.locator(".memory-card-detail")).to_have_text("Takes metformin 500 mg twice daily")
    expect(chat.locator(".tool-call", has_text="save_memory")).to_have_count(1)  # the call; its result is the card
    shot(chat, "proposal")
    first.locator(".memory-card-confirm").click()
    expect(first.locator(".memory-card-title")).to_have_text("Remembered: Takes metformin 500 mg twice daily")
    expect(first).to_have_attribute("data-state", "confirmed")
    expect(first.locator(".memory-card-confirm")).to_have_count(0)

    # The dose changes: the proposal shows the old value; confirmed, it supersedes it.
    _saves(model, "call_m2", {"content": "Takes metformin 1000 mg twice daily", "category": "medication",
                              "valid_from": "2026-03-03"}, "Your new dose is noted once you confirm.")
    _send(chat, "Since 3 March it is 1000 mg twice a day.")
    _answered(chat, "Your new dose is noted once you confirm.")
    second = cards.nth(1)
    expect(second.locator(".memory-card-title")).to_have_text("Change this health fact?")
    expect(second.locator(".memory-card-detail")).to_have_text(
        "Takes metformin 1000 mg twice daily (was: Takes metformin 500 mg twice daily)")
    second.locator(".memory-card-confirm").click()
    expect(second.locator(".memory-card-title")).to_have_text(
        "Updated: Takes metformin 1000 mg twice daily (was: Takes metformin 500 mg twice daily)")
    expect(second.locator(".memory-card-undo")).to_be_visible()
    # The first change can no longer be undone: its fact changed since (the translated refusal).
    first.locator(".memory-card-undo").click()
    expect(_toast(chat, "This fact has changed since; edit it on the Memory page instead.")).to_be_visible()
    expect(first).to_have_attribute("data-state", "confirmed")
    dose_message = _message_id(chat, "Since 3 March it is 1000 mg twice a day.")

    # Another proposal, rejected: nothing stored.
    _saves(model, "call_m3", {"content": "Allergic to penicillin", "category": "allergy"}, "Noted, if you agree.")
    _send(chat, "I am allergic to penicillin.")
    _answered(chat, "Noted, if you agree.")
    third = cards.nth(2)
    expect(third.locator(".memory-card-title")).to_have_text("Save this health fact?")
    third.locator(".memory-card-reject").click()
    expect(third.locator(".memory-card-title")).to_have_text("Rejected")
    expect(third.locator(".memory-card-detail")).to_have_text("Allergic to penicillin")
    expect(third.locator("button")).to_have_count(0)

    # Not health data: remembered at once, and undone.
    _saves(model, "call_m4", {"content": "Prefers morning appointments", "category": "preference"}, "Got it.")
    _send(chat, "I prefer appointments in the morning.")
    _answered(chat, "Got it.")
    fourth = cards.nth(3)
    expect(fourth.locator(".memory-card-title")).to_have_text("Remembered: Prefers morning appointments")
    expect(fourth).to_have_attribute("data-state", "applied")
    shot(chat, "cards")
    fourth.locator(".memory-card-undo").click()
    expect(fourth.locator(".memory-card-title")).to_have_text("Undone")
    expect(fourth.locator(".memory-card-undo")).to_have_count(0)

    # "Remember this" on a message of the user's: a refused text stays as typed; the edited fact is saved.
    model.script(answer("How nice."))
    sister = "My sister Anna lives in Oslo and visits us every summer."
    _send(chat, sister)
    _answered(chat, "How nice.")
    sister_message = _message_id(chat, sister)
    chat.locator(f"#message-{sister_message} .remember-message").click()
    expect(chat.locator("#remember-content")).to_have_value(sister)
    too_long = "Anna visits. " * 90
    chat.fill("#remember-content", too_long)
    chat.click("#remember-save")
    expect(chat.locator("#remember-error")).to_contain_text("at most 1,000 characters")
    expect(chat.locator("#remember-content")).to_have_value(too_long)
    chat.fill("#remember-content", "Sister Anna lives in Oslo")
    chat.click("#remember-category")
    chat.click("#remember-category-person")
    shot(chat, "remember-this")
    chat.click("#remember-save")
    expect(chat.locator("#remember-dialog")).to_have_count(0)
    expect(_toast(chat, "Remembered.")).to_be_visible()

    # The memory page: one current dose with its predecessor in the history, the sources link back.
    chat.click("#nav-memory")
    expect(chat).to_have_url(re.compile(r"/memory/?$"))
    medication = chat.locator('.memory-group[data-category="medication"] .memory-fact')
    expect(medication.locator(".memory-content")).to_have_text(["Takes metformin 1000 mg twice daily"])
    expect(medication.locator(".memory-source")).to_have_attribute("href", f"/chats/{chat_id}?message={dose_message}")
    medication.locator(".memory-history").click()
    versions = chat.locator("#memory-versions .memory-version")
    expect(versions).to_have_count(2)
    expect(versions.nth(1)).to_contain_text("Takes metformin 500 mg twice daily")
    expect(versions.nth(1)).to_contain_text("Replaced")
    person = chat.locator('.memory-group[data-category="person"] .memory-fact')
    expect(person.locator(".memory-content")).to_have_text("Sister Anna lives in Oslo")
    expect(person.locator(".memory-author")).to_have_text("Added by you")
    expect(chat.locator(".memory-fact")).to_have_count(2)  # not the rejected allergy, not the undone preference
    shot(chat, "memory-page")

    person.locator(".memory-source").click()
    expect(chat).to_have_url(re.compile(rf"/chats/{chat_id}\?message={sister_message}$"))
    marked = chat.locator(".message-marked")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text(sister)
    expect(marked).to_be_in_viewport()
    expect(chat.locator(".memory-card")).to_have_count(4)
    shot(chat, "linked-message")


def test_one_turn_schedules_a_daily_reminder_and_adds_a_task(chat: Page, model: ScriptedModel, model_app_url: str,
                                                              shot) -> None:
    chat_url = chat.url
    chat.goto(f"{model_app_url}/settings")  # the user's time zone: "every day at 8" is 08:00 there
    chat.fill("#timezone", "America/New_York")
    chat.click("#profile-save")
    expect(chat.locator("#profile-message")).to_be_visible(timeout=20_000)
    chat.goto(chat_url)

    tomorrow = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).date()
    model.script(
        Reply(events=openai_events(Turn(tool_calls=(
            ToolUse("call_r1", "schedule_reminder", (json.dumps(
                {"title": "Take metformin", "time": f"{tomorrow.isoformat()}T08:00", "repeat": "daily",
                 "kind": "medication"}),)),
            ToolUse("call_t1", "create_task", (json.dumps({"title": "Refill the metformin prescription"}),)),
        )))),
        answer("Your daily reminder and the task are set."),
    )
    _send(chat, "Remind me to take metformin every day at 8, and add a task to refill the prescription.")
    _answered(chat, "Your daily reminder and the task are set.")
    expect(chat.locator(".tool-call", has_text="schedule_reminder").first).to_be_visible()
    expect(chat.locator(".tool-call", has_text="create_task").first).to_be_visible()

    chat.click("#nav-reminders")
    item = chat.locator(".reminder-item")
    expect(item).to_have_count(1)
    expect(item.locator(".reminder-title")).to_have_text("Take metformin")
    expect(item.locator(".reminder-timezone")).to_contain_text("America/New_York")
    times = item.locator(".reminder-next-time")
    expect(times).to_have_count(5)
    assert all("8:00" in text for text in times.all_inner_texts()), times.all_inner_texts()
    shot(chat, "reminder-from-chat")
    chat.click("#nav-tasks")
    expect(chat.locator(".task-title")).to_have_text(["Refill the metformin prescription"])
