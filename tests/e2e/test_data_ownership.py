"""Your data, in a real browser against the real worker: a user with a chat and a document exports their data from
Settings (the progress shows live, then Download gives a zip holding the chat and the file as uploaded), then
deletes the account: a wrong password is explained and changes nothing, the right one signs the tab out to the
login page with a message, and signing in again fails."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support.browser import PASSWORD, ensure_account, register, submit_login

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

EMAIL = "leaving@example.org"
DIARY = b"Blood pressure diary: 120 over 80 in the morning, a little higher at night.\n"


def test_export_my_data_then_delete_my_account(app_url: str, browser, shot, tmp_path: Path) -> None:
    ensure_account(app_url, "admin@example.org", "Admin")  # the first account is the superadmin, not this one
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    register(page, app_url, EMAIL, "Lena Leaving")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"), timeout=20_000)
    chat_id = page.url.rsplit("/", 1)[1]
    diary = tmp_path / "pressure diary.txt"
    diary.write_bytes(DIARY)
    page.click("#nav-documents")
    page.locator("#documents-upload input[type=file]").set_input_files(str(diary))
    expect(page.locator(".document-row")).to_have_count(1, timeout=30_000)

    page.goto(f"{app_url}/settings")
    page.click("#data-export")
    download_button = page.locator("#data-export-download")
    expect(download_button).to_be_visible(timeout=60_000)  # queued, built by the worker, shown live
    shot(page, "export-ready")
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / "export.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert [chat["id"] for chat in json.loads(archive.read("chats.json"))] == [chat_id]
        assert json.loads(archive.read("account.json"))["email"] == EMAIL
        assert archive.read("documents/pressure diary.txt") == DIARY

    page.click("#account-delete")
    expect(page.locator("#account-delete-confirm")).to_be_visible()
    page.fill("#account-delete-password", "not-" + PASSWORD)
    page.click("#account-delete-confirm")
    expect(page.locator("#account-delete-error")).to_contain_text("Nothing was deleted")
    page.fill("#account-delete-password", PASSWORD)
    shot(page, "delete-dialog")
    page.click("#account-delete-confirm")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=20_000)
    expect(page.locator("#notice")).to_contain_text("Your account and all its data were deleted.")
    shot(page, "deleted")

    submit_login(page, app_url, EMAIL)
    expect(page.locator("#form-error")).to_contain_text("Wrong e-mail or password.")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    context.close()
