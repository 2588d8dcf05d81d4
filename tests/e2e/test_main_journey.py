"""The first journey, end to end, in a real browser against the app `assistant run` starts on a fresh data
folder (exactly what `make run` does): sign up, upload two real PDFs and watch them become ready, ask
questions answered on known pages and get the right document and page cited, open a citation at its
passage, ask something the documents do not cover and get told so plainly, check that a second user
sees nothing of it, log out. Twice: offline (no model configured), and with a model (the loopback
OpenAI-compatible server) that searches the documents through the ``search_documents`` tool and cites
what it found. A screenshot of every step goes to ``tests/e2e/artifacts/``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect
from support.browser import register
from support.data import SHARED_DATA
from support.llm_server import LoopbackLLMServer, Reply, Request, ToolUse, Turn, openai_env, openai_events

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

PDFS = SHARED_DATA / "pdfs" / "health"
WHO = "WHO_EMRO_Healthy-diet_2019.pdf"
NIDDK = "NIDDK_Eating_Diabetes_508.pdf"
#: Questions, the document and page that answer them, and words of the answering passage.
QUESTIONS = [
    ("Should energy intake be in balance with energy expenditure?", WHO, 9,
     "Energy intake (calories) should be in balance with energy expenditure"),
    ("Why is physical activity important with diabetes?", NIDDK, 12, "Physical activity is an important part"),
    ("How much fruit and vegetables should I eat per day?", WHO, 14, "400 g, or 5 portions"),
]
UNCOVERED = "Who won the 1998 football world cup final?"


def upload_and_watch(page: Page, shot) -> None:
    """Upload both PDFs at once and watch each row's progress until both are ready."""
    page.click("#nav-documents")
    expect(page.locator("#empty-state")).to_be_visible()
    page.locator("#documents-upload input[type=file]").set_input_files([str(PDFS / WHO), str(PDFS / NIDDK)])
    rows = page.locator(".document-row")
    expect(rows).to_have_count(2, timeout=60_000)
    shot(page, "uploaded")
    seen: dict[str, list[int]] = {WHO: [], NIDDK: []}
    for _ in range(4000):
        statuses = [rows.nth(i).locator(".document-status").inner_text() for i in range(2)]
        if statuses == ["Ready", "Ready"]:
            break
        for i in range(2):
            row = rows.nth(i)
            # all_inner_texts does not wait: the bar may vanish between two reads when the row turns ready
            for text in row.locator(".document-progress").all_inner_texts()[:1]:
                value = text.strip().rstrip("%").strip()
                if value.isdigit():
                    seen[row.locator(".document-name").inner_text()].append(int(value))
        page.wait_for_timeout(100)
    else:
        pytest.fail("the documents did not become ready in time")
    for name, values in seen.items():
        assert values == sorted(values), f"{name}: progress went backwards: {values}"
    expect(page.locator(".document-row", has_text=WHO)).to_contain_text("20")
    expect(page.locator(".document-row", has_text=NIDDK)).to_contain_text("52")
    shot(page, "both-ready")


def ask(page: Page, question: str) -> Locator:
    """Send ``question`` in the open chat and return the answer's element once it is stored (the chat
    shows stored messages again when the answer ends; a tool round adds a message before the answer)."""
    answers = page.locator(".message-assistant")
    before = answers.count()
    page.fill("#chat-input", question)
    page.click("#chat-send")
    expect(answers.nth(before)).to_be_attached(timeout=60_000)
    expect(page.locator("#streaming-answer")).to_have_count(0, timeout=60_000)
    return answers.last


def second_user_sees_nothing(browser, app_url: str, chat_url: str, shot) -> None:
    other = browser.new_context(viewport={"width": 1280, "height": 850}).new_page()
    register(other, app_url, "second@example.org", "Sam Second")
    expect(other.locator("#empty-state")).to_be_visible()
    expect(other.locator(".chat-link")).to_have_count(0)
    other.goto(chat_url)
    expect(other.get_by_text(QUESTIONS[0][0])).to_have_count(0)
    expect(other.locator(".message-assistant")).to_have_count(0)
    other.goto(f"{app_url}/documents")
    expect(other.locator("#empty-state")).to_be_visible()
    expect(other.locator(".document-row")).to_have_count(0)
    shot(other, "second-user-sees-nothing")
    other.context.close()


def log_out(page: Page, app_url: str, shot) -> None:
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{app_url}/chats")
    expect(page).to_have_url(re.compile(r"/login$"))
    shot(page, "logged-out")


@pytest.fixture()
def offline_app_url(start_app) -> Iterator[str]:
    """The offline journey's app (no model configured), stopped when its test ends: the apps of a run share
    one port, and the model journey below starts its own."""
    with start_app({}) as url:
        yield url


def test_offline_journey(offline_app_url: str, browser, shot) -> None:
    app_url = offline_app_url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    register(page, app_url, "first@example.org", "Fiona First")
    expect(page.locator("#nav-admin")).to_be_visible()  # the first account is the superadmin
    shot(page, "registered")
    upload_and_watch(page, shot)

    page.click("#nav-chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    expect(page.locator("#offline-badge")).to_be_visible()
    for number, (question, document, page_number, words) in enumerate(QUESTIONS, start=1):
        answer = ask(page, question)
        expect(answer).to_contain_text(words)
        expect(answer.locator(".citation").first).to_have_text(f"[1] {document}, p. {page_number}")
        shot(page, f"question-{number}")
    chat_url = page.url

    uncovered = ask(page, UNCOVERED)
    expect(uncovered).to_contain_text("Your documents do not cover this question")
    expect(uncovered.locator(".citation")).to_have_count(0)
    shot(page, "not-covered")

    page.locator(".message-assistant").first.locator(".citation").first.click()
    expect(page.locator("#viewer-page")).to_have_text("Page 9 / 20")
    expect(page.locator("#cited-passage")).to_contain_text(QUESTIONS[0][3])
    expect(page.locator(".cited-box").first).to_be_in_viewport()  # the passage boxed on the page as printed
    shot(page, "citation-opened")

    second_user_sees_nothing(browser, app_url, chat_url, shot)
    log_out(page, app_url, shot)
    page.context.close()


class DocumentSearchingModel:
    """The model behind the app: for a question it calls ``search_documents`` with the question; given
    the tool's result it answers with the best passage's opening words and cites it as ``[n]``. A
    request without tools (the chat's title) gets a title."""

    def __init__(self, server: LoopbackLLMServer) -> None:
        self.server = server
        server.respond_with(self._respond)

    def _respond(self, request: Request) -> Reply:
        messages = request.body["messages"]
        if "tools" not in request.body:
            return Reply(events=openai_events(Turn(text=("Healthy eating questions",))))
        last = messages[-1]
        if last["role"] == "tool":
            results = json.loads(last["content"])["results"]
            if not results:
                return Reply(events=openai_events(Turn(text=("Your documents do not cover this.",))))
            best = results[0]
            return Reply(events=openai_events(Turn(text=(
                f"Your document {best['document']} says on page {best['page']}: ",
                f"\"{' '.join(best['text'].split()[:12])}\" [{best['citation']}]",
            ))))
        query = json.dumps({"query": last["content"], "k": 3})
        return Reply(events=openai_events(Turn(tool_calls=(ToolUse(f"call_{len(messages)}", "search_documents",
                                                                   (query,)),))))


@pytest.fixture(scope="module")
def model_app_url(start_app) -> Iterator[str]:
    with LoopbackLLMServer() as server:
        DocumentSearchingModel(server)
        with start_app(openai_env(server, timeout_seconds=30)) as url:
            yield url


def test_journey_with_a_model_that_searches_the_documents(model_app_url: str, browser, shot) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    register(page, model_app_url, "first@example.org", "Fiona First")
    shot(page, "registered")
    upload_and_watch(page, shot)

    page.click("#nav-chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    expect(page.locator("#offline-badge")).to_have_count(0)
    for number, (question, document, page_number, _words) in enumerate(QUESTIONS, start=1):
        answer = ask(page, question)
        call = page.locator(".tool-call", has_text="search_documents").filter(has_text=question)
        expect(call).to_be_visible()  # the call with its arguments, then its result
        found = page.locator(".tool-call", has_text=f'"document": "{document}", "page": {page_number}')
        expect(found).not_to_have_count(0)
        expect(answer).to_contain_text(f"Your document {document} says on page {page_number}")
        citation = answer.locator(".citation")
        expect(citation).to_have_count(1)
        expect(citation).to_have_text(re.compile(rf"^\[\d+\] {re.escape(document)}, p\. {page_number}$"))
        shot(page, f"question-{number}")
    chat_url = page.url

    uncovered = ask(page, UNCOVERED)
    expect(uncovered).to_contain_text("Your documents do not cover this.")
    expect(uncovered.locator(".citation")).to_have_count(0)
    shot(page, "not-covered")

    page.locator(".message-assistant .citation").first.click()
    expect(page.locator("#viewer-page")).to_have_text("Page 9 / 20")
    expect(page.locator("#cited-passage")).to_contain_text(QUESTIONS[0][3])
    shot(page, "citation-opened")

    second_user_sees_nothing(browser, model_app_url, chat_url, shot)
    log_out(page, model_app_url, shot)
    page.context.close()
