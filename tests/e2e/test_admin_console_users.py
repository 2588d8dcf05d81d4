"""The admin console's Users, Groups and Audit log pages in a real browser: the superadmin creates an account with a
one-time password (shown once), whose owner is sent to choose a new password at sign-in and cannot go elsewhere
before; an invitation link signs its invitee in once and is refused the second time; a group gets a member and a
collection, is not deleted while it holds the collection, and is renamed; an account is deleted after a
confirmation; the audit log lists these actions and filters them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from support.browser import register, submit_login

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

ADMIN = "head-nurse@example.org"
NORA = "nora@example.org"
IVAN = "ivan@example.org"
CHOSEN = "my-own-secret-7"


def _toast(page: Page, text: str):
    return page.locator("[data-sonner-toast]", has_text=text)


def _create(admin: Page, email: str, method: str) -> str:
    """Create ``email`` on the Users page; returns the secret shown once (and closes its dialog)."""
    admin.fill("#user-new-email", email)
    admin.select_option("#user-new-method", method)
    admin.click("#user-create")
    expect(admin.locator("#user-secret")).to_be_visible()
    expect(admin.locator("#user-secret")).to_contain_text(email)
    secret = admin.locator("#user-secret-value").inner_text().strip()
    admin.click("#user-secret-close")
    expect(admin.locator("#user-secret")).to_have_count(0)
    return secret


def test_users_groups_and_audit(app_url: str, browser, shot) -> None:
    admin = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    register(admin, app_url, ADMIN, "Hana Head")  # the first account: superadmin
    admin.click("#nav-admin")
    admin.click("#admin-nav-admin-users")
    expect(admin).to_have_url(re.compile(r"/admin/users$"))
    expect(admin.locator(".user-row")).to_have_count(1)

    # A one-time password: its owner must choose a new one before anything else.
    one_time = _create(admin, NORA, "password")
    assert len(one_time) >= 12
    row = admin.locator(".user-row", has_text=NORA)
    expect(row).to_contain_text("Must choose a password")
    shot(admin, "user-created")
    nora = browser.new_context().new_page()
    submit_login(nora, app_url, NORA, one_time)
    expect(nora).to_have_url(re.compile(r"/change-password$"), timeout=20_000)
    nora.goto(f"{app_url}/documents")
    expect(nora).to_have_url(re.compile(r"/change-password$"), timeout=20_000)
    nora.fill("#new-password-password", CHOSEN)
    nora.fill("#new-password-password_confirm", CHOSEN)
    nora.click("#new-password-submit")
    expect(nora).to_have_url(re.compile(r"/documents/?$"), timeout=20_000)  # where she was going
    admin.reload()
    expect(admin.locator(".user-row", has_text=NORA)).not_to_contain_text("Must choose a password")

    # An invitation link works once.
    link = _create(admin, IVAN, "invitation")
    assert re.search(r"/invite\?code=[\w-]+$", link), link
    ivan = browser.new_context().new_page()
    ivan.goto(link)
    ivan.fill("#invite-password", CHOSEN)
    ivan.fill("#invite-password_confirm", CHOSEN)
    ivan.click("#invite-submit")
    expect(ivan).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    again = browser.new_context().new_page()
    again.goto(link)
    again.fill("#invite-password", "another-pass-8")
    again.fill("#invite-password_confirm", "another-pass-8")
    again.click("#invite-submit")
    expect(again.locator("#form-error")).to_have_text("This link is not valid or was already used.")
    shot(again, "invitation-used")

    # A group with a member and a collection cannot be deleted.
    admin.fill("#group-name", "Night nurses")
    admin.click("#group-create")
    group = admin.locator(".group-row", has_text="Night nurses")
    group.locator(".group-member-email input").fill(NORA)
    group.locator(".group-member-add").click()
    expect(group.locator(".group-member")).to_have_text([NORA])
    admin.click("#admin-nav-admin")
    admin.fill("#collection-name", "Leaflets")
    admin.click("#collection-create")
    collection = admin.locator(".collection-row", has_text="Leaflets")
    collection.locator(".collection-group-select").select_option(label="Night nurses")
    collection.locator(".collection-group-grant").click()
    expect(collection.locator(".collection-group")).to_have_text(["Night nurses"])
    admin.click("#admin-nav-admin-users")
    group = admin.locator(".group-row", has_text="Night nurses")
    expect(group.locator(".group-uses")).to_contain_text("Leaflets")
    group.locator(".group-delete").click()
    admin.locator(".group-delete-confirm").click()
    expect(_toast(admin, "is still granted: Leaflets")).to_be_visible()
    expect(group).to_have_count(1)
    # Renamed and described in its dialog, which closes once saved.
    group.locator(".group-edit").click()
    admin.fill("#group-edit-name", "Night shift")
    admin.fill("#group-edit-description", "Wards 3 and 4")
    admin.click("#group-edit-save")
    expect(_toast(admin, "Group saved: Night shift.")).to_be_visible()
    expect(admin.locator("#group-edit-name")).to_have_count(0)
    group = admin.locator(".group-row", has_text="Night shift")
    expect(group.locator(".group-title")).to_have_text("Night shift")
    expect(group).to_contain_text("Wards 3 and 4")

    # Deleting an account, after the confirmation.
    admin.locator(".user-row", has_text=IVAN).locator(".user-delete").click()
    admin.locator(".user-delete-confirm").click()
    expect(_toast(admin, f"User deleted: {IVAN}.")).to_be_visible()
    expect(admin.locator(".user-row", has_text=IVAN)).to_have_count(0)
    shot(admin, "users-and-groups")

    # The audit log: newest first, filtered by action; no secret in it.
    admin.click("#admin-nav-admin-audit")
    entries = admin.locator(".audit-row")
    expect(entries.first.locator(".audit-action")).to_have_text("user.delete")
    expect(admin.locator("#audit-card")).not_to_contain_text(one_time)
    admin.select_option("#audit-action", "user.create")
    admin.click("#audit-apply")
    expect(entries).to_have_count(2)
    expect(entries.locator(".audit-target")).to_have_text([f"user {IVAN}", f"user {NORA}"])
    expect(entries.first.locator(".audit-after")).to_contain_text("method: invitation")
    shot(admin, "audit-log")
    for page in (admin, nora, ivan, again):
        page.context.close()
