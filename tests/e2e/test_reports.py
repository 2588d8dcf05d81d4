"""Reports in a real browser, with the app's worker building them and the tests' loopback server playing the
model: a fact typed on the Memory page; on the Reports page a refused period is explained, a health summary is
queued, becomes ready live (no reload) and downloads as a PDF whose first page (rendered to PNG in the artifacts)
holds the user's name, the fact and its footnote; asked in a chat, the assistant calls ``generate_pdf`` and the
chat's card becomes ready with Download; Delete (confirmed) removes a report."""

from __future__ import annotations

import re

import pymupdf
import pytest
from playwright.sync_api import expect
from support.app import ARTIFACTS
from support.browser import choose, register
from support.scripted_model import answer, tool_call

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

FACT = "Lisinopril 10 mg every morning"


def test_a_health_summary_from_the_page_and_from_the_assistant(model_app_url, model, browser, shot, tmp_path):
    url = model_app_url
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    register(page, url, "rosa-reports@example.org", "Rosa Report")
    page.goto(f"{url}/memory")
    page.fill("#memory-new-content", FACT)
    choose(page, "memory-new-category", "medication")
    page.click("#memory-add")
    expect(page.locator(".memory-content")).to_have_text(FACT)

    page.click("#nav-reports")
    expect(page).to_have_url(re.compile(r"/reports/?$"))
    expect(page.locator("#reports-empty")).to_be_visible()
    page.fill("#report-date-from", "2026-05-01")
    page.fill("#report-date-to", "2026-04-01")
    page.click("#report-create")
    expect(page.locator("#report-form-error")).to_contain_text("must not be after the end date")
    page.fill("#report-date-from", "")
    page.fill("#report-date-to", "")
    page.fill("#report-title", "For Dr. Weiß")
    page.click("#report-create")
    row = page.locator(".report-row").filter(has_text="For Dr. Weiß")
    expect(row.locator(".report-download")).to_be_visible(timeout=60_000)  # built by the worker, shown live
    expect(row).to_have_attribute("data-status", "completed")
    expect(row.locator(".report-detail")).to_contain_text("page")
    shot(page, "ready")
    with page.expect_download() as download_info:
        row.locator(".report-download").click()
    download = download_info.value
    assert re.fullmatch(r"For Dr\. Weiß \d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    saved = tmp_path / "summary.pdf"
    download.save_as(saved)
    with pymupdf.open(saved) as pdf:
        first = pdf[0]
        text = " ".join(first.get_text().split())
        ARTIFACTS.mkdir(exist_ok=True)
        first.get_pixmap(dpi=80).save(str(ARTIFACTS / "test_reports-summary-page-1.png"))
    assert "For Dr. Weiß" in text and "Rosa Report" in text and "Current medications" in text
    assert FACT in text and "Entered by you" in text

    model.script(tool_call("generate_pdf", {"sections": ["medications", "allergies"],
                                            "title": "Summary for my cardiologist"}),
                 answer("I am compiling it; the card below offers the PDF in a moment."))
    page.click("#nav-chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    page.fill("#chat-input", "Make a one-page summary for my cardiologist")
    page.click("#chat-send")
    card = page.locator(".report-card")
    expect(card.locator(".report-title")).to_have_text("Summary for my cardiologist")
    expect(card.locator(".report-download")).to_be_visible(timeout=60_000)
    expect(card).to_have_attribute("data-status", "completed")
    shot(page, "chat-card")
    with page.expect_download() as download_info:
        card.locator(".report-download").click()
    assert download_info.value.suggested_filename.startswith("Summary for my cardiologist ")

    page.click("#nav-reports")
    expect(page.locator(".report-row")).to_have_count(2)
    page.locator(".report-row").filter(has_text="For Dr. Weiß").locator(".report-delete").click()
    page.locator(".report-delete-confirm").click()
    expect(page.locator(".report-row")).to_have_count(1)
    expect(page.locator(".report-row .report-title")).to_have_text("Summary for my cardiologist")
