"""Cited answers in a real browser, offline: upload a real PDF and watch it reach 100 %, ask a question
whose answer is on a known page, see the citation with that page, open it at the passage (the page as
printed with the passage boxed on it, on a laptop and a phone, and its text below), download the
original; a question the document does not cover gets the plain answer; another user cannot open the
viewer of that document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support.browser import register
from support.data import SHARED_DATA

pytestmark = pytest.mark.e2e

WHO_PDF = SHARED_DATA / "pdfs" / "health" / "WHO_EMRO_Healthy-diet_2019.pdf"


def test_an_answer_cites_the_page_and_the_citation_opens_it(app_url: str, browser, shot, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    register(page, app_url, "citations@example.org", "Cleo Citations")
    page.click("#nav-documents")

    progress_seen: list[int] = []
    page.locator("#documents-upload input[type=file]").set_input_files(str(WHO_PDF))
    row = page.locator(".document-row")
    expect(row).to_have_count(1, timeout=30_000)
    percent = row.locator(".document-progress")
    while row.locator(".document-status").inner_text() != "Ready":
        if percent.count():
            text = percent.first.inner_text().strip().rstrip("%").strip()
            if text.isdigit():
                progress_seen.append(int(text))
        page.wait_for_timeout(100)
        assert len(progress_seen) < 3000, "ingestion did not finish in time"
    expect(row).to_contain_text("20")  # pages
    assert progress_seen == sorted(progress_seen), "progress went backwards"
    shot(page, "ready")

    page.click("#nav-chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"), timeout=20_000)
    page.fill("#chat-input", "Should energy intake be in balance with energy expenditure?")
    page.click("#chat-send")
    answer = page.locator(".message-assistant").first
    expect(answer).to_contain_text("Energy intake (calories) should be in balance with energy expenditure",
                                   timeout=30_000)
    first = answer.locator(".citation").first
    expect(first).to_have_text("[1] WHO_EMRO_Healthy-diet_2019.pdf, p. 9")
    shot(page, "cited-answer")

    page.fill("#chat-input", "Who won the 1998 football world cup final?")
    page.click("#chat-send")
    uncovered = page.locator(".message-assistant").last
    expect(uncovered).to_contain_text("Your documents do not cover this question", timeout=30_000)
    expect(uncovered.locator(".citation")).to_have_count(0)
    shot(page, "not-covered")

    first.click()
    expect(page).to_have_url(re.compile(r"/documents/[0-9a-f-]{36}\?page=9&chunk=[0-9a-f-]{36}$"), timeout=20_000)
    expect(page.locator("#viewer-title")).to_have_text("WHO_EMRO_Healthy-diet_2019.pdf")
    expect(page.locator("#viewer-page")).to_have_text("Page 9 / 20")
    passage = page.locator("#cited-passage")
    expect(passage).to_contain_text("Energy intake (calories) should be in balance with energy expenditure")
    image = page.locator("#viewer-image")
    expect(image).to_have_attribute("alt", "Page 9 of WHO_EMRO_Healthy-diet_2019.pdf, as printed")
    page.wait_for_function("() => { const i = document.querySelector('#viewer-image');"
                           " return i && i.complete && i.naturalWidth === 1200; }", timeout=20_000)
    boxes = page.locator(".cited-box")
    expect(boxes.first).to_be_visible()
    expect(boxes.first).to_be_in_viewport()
    picture = image.bounding_box()
    assert picture is not None
    left, top = picture["x"], picture["y"]
    right, bottom = left + picture["width"], top + picture["height"]
    for index in range(boxes.count()):  # every box is drawn on the page image, in its right half (the text)
        box = boxes.nth(index).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        assert (left + right) / 2 <= box["x"] <= box["x"] + box["width"] <= right
        assert top <= box["y"] <= box["y"] + box["height"] <= bottom
    shot(page, "viewer")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page scales to the screen
    expect(boxes.first).to_be_visible()
    phone_picture = image.bounding_box()
    assert phone_picture is not None and phone_picture["x"] + phone_picture["width"] <= 390
    shot(page, "viewer-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    viewer_url = page.url

    page.click("#page-next")
    expect(page.locator("#viewer-page")).to_have_text("Page 10 / 20")
    expect(page.locator("#cited-passage")).to_have_count(0)
    expect(page.locator(".cited-box")).to_have_count(0)
    expect(image).to_have_attribute("alt", "Page 10 of WHO_EMRO_Healthy-diet_2019.pdf, as printed")

    with page.expect_download() as download_info:
        page.click("#document-download")
    download = download_info.value
    assert download.suggested_filename == "WHO_EMRO_Healthy-diet_2019.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == WHO_PDF.read_bytes()

    other = browser.new_context().new_page()
    register(other, app_url, "other-reader@example.org", "Otto Other")
    other.goto(viewer_url)
    expect(other.locator("#viewer-missing")).to_be_visible(timeout=20_000)
    expect(other.locator("#cited-passage")).to_have_count(0)
    expect(other.get_by_text("Energy intake (calories)")).to_have_count(0)
    response = other.request.get(f"{app_url}/api/v1/documents/{viewer_url.split('/documents/')[1].split('?')[0]}/file")
    assert response.status == 401
    shot(other, "other-user")
    context.close()
