"""Context files and skills in a real browser: a superadmin edits their personal context (versions,
restore), their own skills and, on the admin page, the primary context and a general skill; a plain
user sees the general skill read-only, nothing of the superadmin's own, and no admin page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from support.browser import ensure_account, login, register

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

OWNER = "owner@example.org"


def _save_context(page: Page, prefix: str, text: str, version: int) -> None:
    page.fill(f"#{prefix}", text)
    page.click(f"#{prefix}-save")
    expect(page.locator(f"#{prefix}-current")).to_have_text(f"Current version: {version}")


def _fill_skill(page: Page, name: str, description: str, prompt: str, icon: str | None = None) -> None:
    expect(page.get_by_role("dialog")).to_be_visible()
    page.fill("#skill-name", name)
    page.fill("#skill-description", description)
    page.fill("#skill-prompt", prompt)
    if icon:
        page.click("#skill-icon")
        page.get_by_role("option", name=icon, exact=True).click()
        expect(page.locator("#skill-icon")).to_have_text(icon)
    page.click("#skill-save")
    expect(page.get_by_role("dialog")).to_have_count(0)


def _skill_row(page: Page, list_id: str, name: str):
    return page.locator(f"#{list_id} [data-testid=skill-row]", has_text=name)


def test_context_versions_and_skills_per_scope(app_url: str, browser, shot) -> None:
    ensure_account(app_url, OWNER, "Olga Owner")
    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(owner, app_url, OWNER)
    owner.click("#nav-settings")
    expect(owner.locator("#page-title")).to_have_text("Settings")
    expect(owner.locator("#personal-context-current")).to_have_text("Not saved yet.")

    # Personal context: two saves, then version 1 restored as version 3.
    _save_context(owner, "personal-context", "I am a cardiologist.", 1)
    _save_context(owner, "personal-context", "I am a cardiologist in Berlin.", 2)
    expect(owner.locator("#personal-context-version-2")).to_contain_text("in Berlin")
    expect(owner.locator("#personal-context-version-1")).to_contain_text("Olga Owner")
    expect(owner.locator("#personal-context-restore-2")).to_have_count(0)  # the current one
    shot(owner, "personal-context-two-versions")
    owner.click("#personal-context-restore-1")
    expect(owner.locator("#personal-context-current")).to_have_text("Current version: 3")
    expect(owner.locator("#personal-context")).to_have_value("I am a cardiologist.")
    expect(owner.locator("#personal-context-version-3")).to_contain_text("I am a cardiologist.")
    expect(owner.locator("#personal-context-version-3")).not_to_contain_text("Berlin")
    shot(owner, "personal-context-restored")

    # A personal skill: create, edit (its prompt is loaded into the dialog), switch off, persist.
    owner.click("#skill-new")
    _fill_skill(owner, "Cardio notes", "Short clinical notes", "Answer as a cardiologist writing brief notes.",
                icon="Stethoscope")
    row = _skill_row(owner, "personal-skills", "Cardio notes")
    expect(row).to_contain_text("Short clinical notes")
    row.get_by_role("button", name="Edit").click()
    expect(owner.locator("#skill-prompt")).to_have_value("Answer as a cardiologist writing brief notes.")
    expect(owner.locator("#skill-icon")).to_have_text("Stethoscope")
    owner.fill("#skill-description", "Brief clinical notes")
    owner.click("#skill-save")
    expect(owner.get_by_role("dialog")).to_have_count(0)
    expect(row).to_contain_text("Brief clinical notes")
    row.get_by_role("switch").click()
    expect(row.get_by_role("switch")).to_have_attribute("data-state", "unchecked")
    shot(owner, "personal-skill")

    # A blank prompt is refused with the field named; the dialog keeps what was typed.
    owner.click("#skill-new")
    owner.fill("#skill-name", "Scratch")
    owner.fill("#skill-prompt", "   ")
    owner.click("#skill-save")
    expect(owner.get_by_text("Check the skill's field: System prompt.")).to_be_visible()
    expect(owner.locator("#skill-name")).to_have_value("Scratch")
    owner.fill("#skill-prompt", "Throwaway.")
    owner.click("#skill-save")
    expect(owner.get_by_role("dialog")).to_have_count(0)

    # Delete asks first.
    scratch = _skill_row(owner, "personal-skills", "Scratch")
    scratch.get_by_role("button", name="Delete").click()
    expect(owner.get_by_role("alertdialog")).to_contain_text("Scratch")
    shot(owner, "delete-confirmation")
    owner.click("#skill-delete-confirm")
    expect(scratch).to_have_count(0)

    owner.reload()
    expect(_skill_row(owner, "personal-skills", "Cardio notes").get_by_role("switch")).to_have_attribute(
        "data-state", "unchecked"
    )
    expect(owner.locator("#personal-context")).to_have_value("I am a cardiologist.")

    # Admin: the primary context and a general skill.
    owner.click("#nav-admin")
    expect(owner.locator("#page-title")).to_have_text("Administration")
    _save_context(owner, "primary-context", "All users are clinicians at Example Hospital.", 1)
    expect(owner.locator("#primary-context-version-1")).to_contain_text("Olga Owner")
    owner.click("#general-skill-new")
    _fill_skill(owner, "Discharge letter", "Drafts a discharge letter", "Write a discharge letter from the notes.",
                icon="Pen")
    expect(_skill_row(owner, "general-skills", "Discharge letter")).to_be_visible()
    shot(owner, "admin-primary-context-and-general-skill")
    owner.click("#nav-settings")
    expect(_skill_row(owner, "available-general-skills", "Discharge letter")).to_be_visible()

    # A plain user: the general skill read-only, none of the owner's own, no admin page.
    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    register(member, app_url, "skills-member@example.org", "Sam Member")
    expect(member.locator("#nav-admin")).to_have_count(0)
    member.click("#nav-settings")
    general = _skill_row(member, "available-general-skills", "Discharge letter")
    expect(general).to_contain_text("Drafts a discharge letter")
    expect(general.get_by_role("button")).to_have_count(0)
    expect(general.get_by_role("switch")).to_have_count(0)
    expect(member.locator("#personal-skills")).to_have_text("No skills yet.")
    expect(member.get_by_text("Cardio notes")).to_have_count(0)
    expect(member.locator("#personal-context")).to_have_value("")
    expect(member.locator("#personal-context-current")).to_have_text("Not saved yet.")
    shot(member, "member-settings")
    member.goto(f"{app_url}/admin")
    expect(member).to_have_url(re.compile(r"/chats/?$"))
    expect(member.locator("#primary-context")).to_have_count(0)

    owner.context.close()
    member.context.close()
