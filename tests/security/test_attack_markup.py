"""Markup we did not write, rendered inert in a real browser: what a model answers and what a document
says are shown as text, never run.

``tests/e2e/test_chat_model.py`` shows that a stored answer's ``<script>``, ``<img onerror>`` and
``[link](javascript:…)`` stay inert. Here the rest of the ways in: more payloads (event handlers on SVG,
``details`` and raw anchors, ``iframe srcdoc``, ``javascript:`` in other cases, with a leading space, as
an entity, as an autolink, as a reference definition and as an image source, ``vbscript:`` and
``data:`` links), the answer while it streams, a chat title written by the model, tool-call arguments,
and then documents: a Markdown, a text and an HTML file holding the payloads, two of them named with
payloads, quoted by the offline answer (passages and titles in Markdown), returned by
``search_documents`` into the tool card, cited, listed, and opened in the citation viewer.

Each page is checked the same way (:func:`assert_inert`): no payload ran (``window.__pwned`` stays
undefined, no dialog opened, in this page or a popup), no element carries an inline event handler, no
``iframe``, ``img`` or payload ``script`` element exists, no ``href``/``src`` uses ``javascript:``,
``vbscript:`` or ``data:``, and the payloads are on screen as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.browser import register
from support.llm_server import LoopbackLLMServer, Reply, ToolUse, Turn, openai_env, openai_events
from support.scripted_model import ScriptedModel, answer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

#: Each payload sets ``window.__pwned`` (and opens a dialog) if it ever runs.
RAW_HTML = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=2;alert(2)">',
    '<svg onload="window.__pwned=3;alert(3)"><circle r="4"/></svg>',
    '<iframe srcdoc="<script>parent.__pwned=4;alert(4)</script>"></iframe>',
    '<a href="javascript:window.__pwned=5;alert(5)">raw anchor</a>',
    '<details open ontoggle="window.__pwned=6;alert(6)">details</details>',
]
LINKS = [
    "[plain link](javascript:window.__pwned=7;alert(7))",
    "[mixed case](JaVaScRiPt:window.__pwned=8;alert(8))",
    "[leading space]( javascript:window.__pwned=9;alert(9))",
    "[entity colon](javascript&#58;window.__pwned=10;alert(10))",
    "[vbscript link](vbscript:msgbox(11))",
    "[data link](data:text/html;base64,PHNjcmlwdD5vcGVuZXIuX19wd25lZD0xMjwvc2NyaXB0Pg==)",
    "<javascript:window.__pwned=13;alert(13)>",
    "[reference link][evil]",
    "![image source](javascript:window.__pwned=15;alert(15))",
]
REFERENCE = "[evil]: javascript:window.__pwned=14;alert(14)"
#: The payloads as Markdown, one paragraph each.
MARKDOWN = "\n\n".join(["Quokka notes with payloads.", *RAW_HTML, *LINKS, REFERENCE, "End of the quokka notes."])
#: What must be readable on the page afterwards (raw HTML is shown as the text it is).
SHOWN = [RAW_HTML[0], RAW_HTML[1], "raw anchor", "plain link", "mixed case", "vbscript link", "reference link"]

BAD_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)

INSPECT = """() => {
    const handlers = [...document.querySelectorAll('*')].flatMap(
        el => [...el.attributes].filter(a => a.name.toLowerCase().startsWith('on'))
            .map(a => el.tagName + ' ' + a.name));
    const urls = [...document.querySelectorAll('[href], [src], [srcdoc], [action], [formaction], [xlink\\\\:href]')]
        .flatMap(el => ['href', 'src', 'srcdoc', 'action', 'formaction', 'xlink:href']
            .map(name => el.getAttribute(name)).filter(value => value !== null));
    const scripts = [...document.scripts].filter(s => (s.textContent || '').includes('__pwned')).length;
    const embeds = document.querySelectorAll('iframe, img, object, embed, frame').length;
    return {pwned: typeof window.__pwned, handlers, urls, scripts, embeds};
}"""


class Guard:
    """Dialogs and other tabs of one browser context: a payload that ran would open a dialog."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.popups: list[Page] = []
        self._listen(page)
        page.context.on("page", lambda popup: (self.popups.append(popup), self._listen(popup)))

    def _listen(self, page: Page) -> None:
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def assert_inert(self, page: Page, *shown: str) -> None:
        """Nothing ran and nothing could run on ``page`` (see the module docstring); ``shown`` is on it as text."""
        found = page.evaluate(INSPECT)
        assert found["pwned"] == "undefined", found
        assert self.dialogs == [], self.dialogs
        assert found["handlers"] == [], found["handlers"]
        assert found["scripts"] == 0 and found["embeds"] == 0, found
        assert not [url for url in found["urls"] if BAD_URL.match(url)], found["urls"]
        for popup in self.popups:
            assert popup.evaluate("typeof window.__pwned") == "undefined"
        text = page.locator("body").inner_text()
        for piece in shown:
            assert piece in text, piece

    def click_links(self, page: Page, scope: str) -> None:
        """Click every link in ``scope`` whose text names a payload, as a curious user would."""
        names = [re.match(r"!?\[([^\]]+)\]", link)[1] for link in LINKS if link.startswith(("[", "!["))]
        for link in page.locator(f"{scope} a").all():
            if link.inner_text().strip() in names:
                link.click(modifiers=["Control"])  # in a new tab, so this page stays
        page.wait_for_timeout(1000)


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server)


@pytest.fixture(scope="module")
def url(start_app, model: ScriptedModel) -> Iterator[str]:
    """The app with OpenAI (the ``medium`` tier) pointed at the scripted model; the ``large`` tier's
    provider (Anthropic) is not configured, so a chat on it is answered offline."""
    with start_app(openai_env(model.server, timeout_seconds=30)) as app_url:
        yield app_url


@pytest.fixture()
def page(url: str, browser, model: ScriptedModel, request: pytest.FixtureRequest) -> Iterator[Page]:
    model.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    register(page, url, f"{request.node.name.replace('_', '-')[:40]}@example.org", "Mallory Markup")
    yield page
    context.close()
    assert model.pending() == 0, "a scripted reply was never asked for"


def _new_chat(page: Page, *, offline: bool = False) -> None:
    """A new chat answered by the scripted model (tier ``medium``) or offline (tier ``large``)."""
    page.click("#nav-chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    page.click("#tier-select")
    page.click("#tier-large" if offline else "#tier-medium")
    expect(page.locator("#offline-badge")).to_have_count(1 if offline else 0)


def _send(page: Page, text: str) -> None:
    page.fill("#chat-input", text)
    page.click("#chat-send")


def test_model_markup_stays_inert_while_streaming_stored_in_the_title_and_in_tool_calls(page: Page,
                                                                                         model: ScriptedModel, shot):
    guard = Guard(page)
    model.title = RAW_HTML[1] + " " + LINKS[0]
    pieces = [paragraph + "\n\n" for paragraph in MARKDOWN.split("\n\n")]
    model.script(
        Reply(events=openai_events(Turn(tool_calls=(ToolUse("call_1", "search_documents", (
            '{"query": "<img src=x onerror=\\"window.__pwned=20\\"> <script>window.__pwned=21</script>"}',)),)))),
        answer(*pieces, stall_after=len(pieces) - 2, stall=8),
    )
    _new_chat(page)
    _send(page, "Show me everything about the quokka <img src=x onerror=window.__pwned=22>")

    streaming = page.locator("#streaming-answer")
    expect(streaming).to_contain_text("reference link")  # the stall: most of the answer is shown, not stored yet
    guard.assert_inert(page, *SHOWN)
    assert streaming.count() == 1, "the answer was stored before the streamed view was checked"
    shot(page, "streaming")

    expect(streaming).to_have_count(0, timeout=30_000)
    stored = page.locator(".message-assistant .answer-text")
    expect(stored).to_contain_text("End of the quokka notes.")
    expect(page.locator("#chat-title")).to_have_text(model.title)
    expect(page.locator(".tool-call").first).to_contain_text("window.__pwned=21")
    expect(page.locator(".message-user")).to_contain_text("<img src=x onerror=window.__pwned=22>")
    guard.assert_inert(page, *SHOWN, model.title)
    guard.click_links(page, ".answer-text")
    guard.assert_inert(page)
    shot(page, "stored")

    page.reload()  # the stored chat as it is loaded, not as it was streamed
    expect(page.locator(".message-assistant .answer-text")).to_contain_text("End of the quokka notes.")
    guard.assert_inert(page, *SHOWN, model.title)


#: Documents holding the payloads: (file name, content); two names are payloads themselves.
DOCUMENTS = [
    ("quokka-notes.md", MARKDOWN),
    ("<img src=x onerror=window.__pwned=30>quokka.txt",
     "Quokka field notes in plain text. " + " ".join(RAW_HTML[:3]) + " " + LINKS[0]),
    ("[quokka link](javascript:window.__pwned=31).md", "Quokka diary. " + " ".join(LINKS[1:4])),
    ("quokka-page.html",
     "<!DOCTYPE html><html><head><title>Quokka page</title><script>window.__pwned=32</script></head><body>"
     "<p>Quokka page written in HTML.</p><p>&lt;script&gt;window.__pwned=33&lt;/script&gt;</p>"
     "<p>&lt;img src=x onerror=window.__pwned=34&gt;</p><img src=x onerror=\"window.__pwned=35\"></body></html>"),
]


def _upload_all(page: Page, folder: Path) -> None:
    paths = []
    for name, content in DOCUMENTS:
        path = folder / name
        path.write_text(content)
        paths.append(str(path))
    page.click("#nav-documents")
    page.locator("#documents-upload input[type=file]").set_input_files(paths)
    expect(page.locator(".document-row")).to_have_count(len(DOCUMENTS), timeout=30_000)
    expect(page.locator(".document-row .document-status")).to_have_text(["Ready"] * len(DOCUMENTS), timeout=180_000)


def test_document_markup_stays_inert_in_answers_tool_cards_citations_lists_and_the_viewer(
        page: Page, model: ScriptedModel, shot, tmp_path: Path):
    guard = Guard(page)
    _upload_all(page, tmp_path)
    guard.assert_inert(page, DOCUMENTS[1][0], DOCUMENTS[2][0])
    shot(page, "documents")

    # Offline: the answer quotes the passages (and their titles) as Markdown and cites them.
    _new_chat(page, offline=True)
    _send(page, "What do my notes say about the quokka?")
    offline = page.locator(".message-assistant")
    expect(offline).to_contain_text("These passages from your documents match your question best", timeout=60_000)
    expect(offline.locator(".citation").first).to_be_visible()
    guard.assert_inert(page, RAW_HTML[0], "<script>window.__pwned=33</script>", "<img src=x onerror=window.__pwned=34>",
                       DOCUMENTS[1][0])
    guard.click_links(page, ".answer-text")
    guard.assert_inert(page)
    shot(page, "offline-answer")

    hrefs = [link.get_attribute("href") or "" for link in offline.locator(".citation").all()]

    # With the model: search_documents returns the passages into the tool card, the answer cites them.
    _new_chat(page)
    model.script(
        Reply(events=openai_events(Turn(tool_calls=(
            ToolUse("call_q", "search_documents", ('{"query": "quokka"}',)),)))),
        answer("The quokka notes are in [1] and [2]."),
    )
    _send(page, "Search my documents for the quokka")
    expect(page.locator(".message-assistant").last).to_contain_text("The quokka notes are in [1] and [2].")
    expect(page.locator(".tool-call").last).to_contain_text("Quokka")
    expect(page.locator(".message-assistant").last.locator(".citation")).to_have_count(2)
    guard.assert_inert(page)
    shot(page, "tool-answer")

    # Every cited passage opens in the viewer; its page and the document's name are text.
    base = page.url.split("/chats")[0]
    titles = []
    for href in hrefs:
        assert href.startswith("/documents/"), href
        page.goto(base + href)
        expect(page.locator("#cited-passage")).to_contain_text("uokka")
        titles.append(page.locator("#viewer-title").inner_text())
        guard.assert_inert(page)
        shot(page, "viewer")
    assert set(titles) == {name for name, _ in DOCUMENTS}, titles
