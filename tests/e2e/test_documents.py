"""The documents page in a real browser: upload a real PDF with a progress bar, watch the worker ingest it
live until it is ready; filter;
a file whose content does not match its name is refused with a clear message and nothing is stored;
another user sees none of it; delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from support.browser import register
from support.data import SHARED_DATA

pytestmark = pytest.mark.e2e

HEALTH_PDF = SHARED_DATA / "pdfs" / "health" / "CDC_Outpatient-Guide-508.pdf"


def test_upload_list_filter_and_refusal(app_url: str, browser, shot, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 850})
    page = context.new_page()
    register(page, app_url, "reader@example.org", "Rita Reader")
    page.click("#nav-documents")
    expect(page.locator("#empty-state")).to_be_visible()

    page.locator("#documents-upload input[type=file]").set_input_files(str(HEALTH_PDF))
    row = page.locator(".document-row")
    expect(row).to_have_count(1, timeout=30_000)
    expect(row.locator(".document-name")).to_have_text("CDC_Outpatient-Guide-508.pdf")
    expect(row).to_contain_text("PDF")
    expect(row.locator(".document-status")).to_be_visible()
    shot(page, "uploaded")
    # The worker ingests it; progress reaches the page without a reload.
    expect(row.locator(".document-status")).to_have_text("Ready", timeout=240_000)
    expect(row).to_contain_text("44")
    shot(page, "ingested")

    fake = tmp_path / "results.pdf"
    fake.write_text("not a pdf at all, just words")
    page.locator("#documents-upload input[type=file]").set_input_files(str(fake))
    expect(page.get_by_text("results.pdf: The file is named .pdf but its content is something else")).to_be_visible(
        timeout=30_000)
    expect(page.locator(".document-row")).to_have_count(1)
    shot(page, "refused")

    page.fill("#documents-filter", "outpatient")
    expect(page.locator(".document-row")).to_have_count(1)
    page.fill("#documents-filter", "nothing like this")
    expect(page.locator("#empty-state")).to_be_visible()
    page.fill("#documents-filter", "")
    expect(page.locator(".document-row")).to_have_count(1)

    other = browser.new_context().new_page()
    register(other, app_url, "someone@example.org", "Sam Someone")
    other.goto(f"{app_url}/documents")
    expect(other.locator("#empty-state")).to_be_visible()

    page.locator(".document-delete").click()
    page.locator(".document-delete-confirm").click()
    expect(page.locator(".document-row")).to_have_count(0)
    expect(page.locator("#empty-state")).to_be_visible()
    shot(page, "deleted")
    context.close()
