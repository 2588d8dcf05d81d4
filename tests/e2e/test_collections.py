"""Shared collections and upload limits in a real browser: the superadmin creates a collection, uploads a
Markdown file into it and watches the worker make it ready, is told plainly when a grant names nobody,
grants a second user, who then sees the document marked with the collection; after the revoke the second
user no longer sees it. The admin sets the largest upload to 1 MB (an out-of-range value is refused with
its message and changes nothing) and a 2 MB file is refused; deleting the collection takes its document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.browser import register

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

ADMIN = "curator@example.org"
MEMBER = "patient@example.org"


def _toast(page: Page, text: str):
    return page.locator("[data-sonner-toast]", has_text=text)


def _upload(page: Page, path: Path) -> None:
    page.locator("#documents-upload input[type=file]").set_input_files(str(path))


def test_collection_shared_revoked_and_upload_limit(app_url: str, browser, shot, tmp_path: Path) -> None:
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    register(admin, app_url, ADMIN, "Cora Curator")  # the first account: superadmin
    member = browser.new_context(viewport={"width": 1280, "height": 850}).new_page()
    register(member, app_url, MEMBER, "Pat Patient")

    # A collection, created on the admin page.
    admin.click("#nav-admin")
    expect(admin.locator("#collections-empty")).to_be_visible()
    admin.fill("#collection-name", "Clinic leaflets")
    admin.fill("#collection-description", "Handouts for patients")
    admin.click("#collection-create")
    expect(_toast(admin, "Collection created: Clinic leaflets.")).to_be_visible()
    row = admin.locator(".collection-row")
    expect(row).to_have_count(1)
    expect(row.locator(".collection-title")).to_have_text("Clinic leaflets")
    expect(row.locator(".collection-documents")).to_have_text("Documents: 0")
    expect(admin.locator("#collection-name")).to_have_value("")
    admin.fill("#collection-name", "clinic LEAFLETS")
    admin.click("#collection-create")
    expect(_toast(admin, "A collection named “clinic LEAFLETS” already exists.")).to_be_visible()
    expect(row).to_have_count(1)
    shot(admin, "collection-created")

    # A Markdown file uploaded into it; the worker makes it ready.
    leaflet = tmp_path / "vitamin-d-leaflet.md"
    leaflet.write_text("# Vitamin D\n\nAdults usually need 600 IU of vitamin D a day. Ask your doctor first.\n")
    admin.click("#nav-documents")
    expect(admin.locator("#empty-state")).to_be_visible()
    admin.click("#upload-target")
    admin.get_by_role("option", name="Clinic leaflets", exact=True).click()
    expect(admin.locator("#upload-target")).to_have_text("Clinic leaflets")
    _upload(admin, leaflet)
    document = admin.locator(".document-row")
    expect(document).to_have_count(1, timeout=30_000)
    expect(document.locator(".document-name")).to_have_text("vitamin-d-leaflet.md")
    expect(document.locator(".document-name")).to_have_attribute("href", re.compile(r"/documents/[0-9a-f-]{36}$"))
    expect(document.locator(".document-collection")).to_have_text("Clinic leaflets")
    expect(document.locator(".document-status")).to_have_text("Ready", timeout=240_000)
    shot(admin, "uploaded-into-collection")

    # The member sees nothing until granted.
    member.goto(f"{app_url}/documents")
    expect(member.locator("#empty-state")).to_be_visible()
    expect(member.locator("#upload-target")).to_have_count(0)  # only admins upload into collections

    admin.click("#nav-admin")
    row = admin.locator(".collection-row")
    expect(row.locator(".collection-documents")).to_have_text("Documents: 1")
    row.locator(".collection-grant-email input").fill("nobody@example.org")
    row.locator(".collection-grant").click()
    expect(_toast(admin, "There is no user with the e-mail nobody@example.org.")).to_be_visible()
    expect(row.locator(".collection-grantee")).to_have_count(1)  # its creator, so their searches include it
    row.locator(".collection-grant-email input").fill(MEMBER.upper())
    row.locator(".collection-grant").click()
    expect(_toast(admin, f"{MEMBER} can now read “Clinic leaflets”.")).to_be_visible()
    expect(row.locator(".collection-grantee")).to_have_count(2)
    expect(row.locator(".collection-grantee", has_text=MEMBER)).to_have_count(1)
    expect(row.locator(".collection-grants")).to_have_text("Users with access: 2")
    shot(admin, "granted")

    member.reload()
    shared = member.locator(".document-row")
    expect(shared).to_have_count(1)
    expect(shared.locator(".document-name")).to_have_text("vitamin-d-leaflet.md")
    expect(shared.locator(".document-collection")).to_have_text("Clinic leaflets")
    expect(shared.locator(".document-status")).to_have_text("Ready")
    expect(shared.locator(".document-delete")).to_have_count(0)  # reading is not managing
    shot(member, "member-sees-collection")

    row.locator(".collection-grantee", has_text=MEMBER).locator(".collection-revoke").click()
    expect(_toast(admin, f"Access revoked: {MEMBER}.")).to_be_visible()
    expect(row.locator(".collection-grantee")).to_have_count(1)
    expect(row.locator(".collection-grants")).to_have_text("Users with access: 1")
    member.reload()
    expect(member.locator("#empty-state")).to_be_visible()
    expect(member.locator(".document-row")).to_have_count(0)
    shot(member, "member-after-revoke")

    # Upload limits: out of range refused with the message and nothing changed; then 1 MB.
    expect(admin.locator("#max-upload-mb")).to_have_value("100")
    admin.fill("#max-upload-mb", "1")
    admin.fill("#max-documents", "0")
    admin.click("#uploads-save")
    expect(_toast(admin, "Documents per user: enter a whole number from 1 to 1,000,000.")).to_be_visible()
    admin.reload()
    expect(admin.locator("#max-upload-mb")).to_have_value("100")
    expect(admin.locator("#max-documents")).to_have_value("1000")
    admin.fill("#max-upload-mb", "1")
    admin.click("#uploads-save")
    expect(_toast(admin, "Upload limits saved.")).to_be_visible()
    admin.reload()
    expect(admin.locator("#max-upload-mb")).to_have_value("1")
    expect(admin.locator("#user-quota-mb")).to_have_value("2048")
    shot(admin, "upload-limits")

    big = tmp_path / "big-notes.txt"
    big.write_text(("lab results line of plain text\n" * 70_000)[: 2 * 1024 * 1024])
    admin.click("#nav-documents")
    expect(admin.locator(".document-row")).to_have_count(1)
    admin.click("#upload-target")
    admin.get_by_role("option", name="My documents (private)", exact=True).click()
    _upload(admin, big)
    expect(_toast(admin, "big-notes.txt: The file is too large: at most 1 MB.")).to_be_visible(timeout=60_000)
    admin.reload()
    expect(admin.locator(".document-row")).to_have_count(1)
    shot(admin, "too-large-refused")

    # Deleting the collection takes its document with it.
    admin.click("#nav-admin")
    admin.locator(".collection-delete").click()
    admin.locator(".collection-delete-confirm").click()
    expect(_toast(admin, "Collection deleted: Clinic leaflets (documents deleted: 1).")).to_be_visible()
    expect(admin.locator(".collection-row")).to_have_count(0)
    admin.click("#nav-documents")
    expect(admin.locator("#empty-state")).to_be_visible()
    expect(admin.locator("#upload-target")).to_have_text("My documents (private)")
    shot(admin, "collection-deleted")
    admin.context.close()
    member.context.close()
