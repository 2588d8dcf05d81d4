"""Chat in a real browser, offline (no provider configured): create a chat, get the honest answer,
pick a skill, see what the assistant saw, rename, export as Markdown, search and delete, the chat limit; markup
typed by the user renders inert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.browser import register

pytestmark = pytest.mark.e2e


def _send(page: Page, text: str) -> None:
    page.fill("#chat-input", text)
    page.click("#chat-send")


def test_offline_chat_from_first_message_to_delete(app_url: str, browser, shot, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 850})
    page = context.new_page()
    register(page, app_url, "chatter@example.org", "Chris Chatter")
    expect(page.locator("#empty-state")).to_be_visible()

    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"), timeout=20_000)
    expect(page.locator("#offline-badge")).to_be_visible()
    shot(page, "new-chat")

    _send(page, "What was my LDL cholesterol in March?")
    answer = page.locator(".message-assistant").last
    expect(answer).to_contain_text("No language model is configured", timeout=20_000)
    expect(answer).to_contain_text("You have no documents to search yet")
    expect(page.locator(".message-user").first).to_contain_text("What was my LDL cholesterol in March?")
    expect(page.locator("#chat-title")).to_have_text("What was my LDL cholesterol in March?")
    expect(page.locator(".chat-link")).to_have_count(1)
    shot(page, "offline-answer")

    page.locator(".show-context").last.click()
    dialog = page.locator("#context-dialog")
    expect(dialog).to_contain_text("Your preferences")
    expect(dialog).to_contain_text("Chris Chatter")
    expect(dialog).to_contain_text("Your message")
    shot(page, "what-it-saw")
    page.keyboard.press("Escape")

    # Preferences saved on the settings page stay after a reload and reach what the assistant sees.
    page.goto(f"{app_url}/settings")
    page.fill("#preferred_name", "Chris")
    page.click("#answer-style")
    page.click("#answer-style-concise")
    expect(page.locator("#confirm-health-memories")).to_have_attribute("aria-checked", "true")
    page.click("#confirm-health-memories")
    page.click("#profile-save")
    expect(page.locator("#profile-message")).to_be_visible(timeout=20_000)
    page.reload()
    expect(page.locator("#preferred_name")).to_have_value("Chris", timeout=20_000)
    expect(page.locator("#answer-style")).to_contain_text("Concise")
    expect(page.locator("#confirm-health-memories")).to_have_attribute("aria-checked", "false")

    # A personal skill made on the settings page shows up in the chat's skill picker.
    page.click("#skill-new")
    page.fill("#skill-name", "Lab explainer")
    page.fill("#skill-description", "Explains lab results in plain words")
    page.fill("#skill-prompt", "Explain lab values in plain words and name the reference range.")
    page.click("#skill-save")
    expect(page.get_by_text("Lab explainer").first).to_be_visible(timeout=20_000)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"), timeout=20_000)
    page.click("#skill-select")
    page.get_by_role("option", name="Lab explainer").click()
    expect(page.locator("#skill-select")).to_contain_text("Lab explainer")
    _send(page, "Explain my ferritin")
    expect(page.locator(".message-assistant")).to_have_count(2, timeout=20_000)
    page.locator(".show-context").last.click()
    expect(page.locator("#context-dialog")).to_contain_text("Skill: Lab explainer")
    expect(page.locator("#context-dialog")).to_contain_text("name the reference range")
    expect(page.locator("#context-dialog")).to_contain_text("Answer concisely")
    page.keyboard.press("Escape")
    shot(page, "skill-picked")

    # Markup in a message is shown as text and nothing runs.
    _send(page, 'Hi <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> [x](javascript:alert(1))')
    expect(page.locator(".message-assistant")).to_have_count(3, timeout=20_000)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#conversation img").count() == 0
    assert page.locator("#conversation a[href^='javascript']").count() == 0

    page.click("#chat-rename")
    page.fill("#rename-input", "Blood tests 2026")
    page.click("#rename-save")
    expect(page.locator("#chat-title")).to_have_text("Blood tests 2026")
    expect(page.locator(".chat-link")).to_have_text(["Blood tests 2026"])
    shot(page, "renamed")

    # The chat exported as Markdown: every message, in order, under the chat's title.
    page.click("#chat-export")
    with page.expect_download() as download_info:
        page.click("#chat-export-md")
    download = download_info.value
    assert download.suggested_filename == "Blood-tests-2026.md"
    exported = tmp_path / "chat.md"
    download.save_as(exported)
    transcript = exported.read_text()
    assert transcript.startswith("# Blood tests 2026\n")
    questions = ["What was my LDL cholesterol in March?", "Explain my ferritin", "Hi <img src=x"]
    assert [transcript.index(question) for question in questions] == sorted(transcript.index(q) for q in questions)
    assert transcript.count("### You · ") == 3 and transcript.count("### Assistant · ") == 3
    assert transcript.count("No language model is configured") == 3

    page.fill("#chat-search", "ferritin")
    expect(page.locator(".chat-link")).to_have_text(["Blood tests 2026"])
    page.fill("#chat-search", "no such words")
    expect(page.locator("#chat-list-empty")).to_be_visible()
    page.fill("#chat-search", "")

    page.click("#chat-delete")
    page.click("#delete-confirm")
    expect(page).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    expect(page.locator(".chat-link")).to_have_count(0)
    shot(page, "deleted")

    # Over the chat limit (an admin setting): a clear message, and nothing is deleted to make room.
    page.goto(f"{app_url}/admin")
    page.fill("#default-max-chats", "1")
    page.click("#default-max-chats-save")
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.goto(f"{app_url}/chats")
    page.click("#start-chat")
    expect(page).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"), timeout=20_000)
    _send(page, "The one chat I may keep")
    expect(page.locator(".message-assistant")).to_have_count(1, timeout=20_000)
    page.click("#new-chat")
    expect(page.get_by_text("You have reached the limit of 1 chat.")).to_be_visible()
    expect(page.locator(".chat-link")).to_have_count(1)
    expect(page.locator(".message-user")).to_have_text(["The one chat I may keep"])
    shot(page, "chat-limit")
    context.close()


def test_another_user_cannot_open_my_chat(app_url: str, browser) -> None:
    owner_context = browser.new_context()
    owner = owner_context.new_page()
    register(owner, app_url, "keeper@example.org", "Kim Keeper")
    owner.click("#start-chat")
    expect(owner).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"), timeout=20_000)
    _send(owner, "My private question")
    expect(owner.locator(".message-assistant")).to_have_count(1, timeout=20_000)
    chat_url = owner.url

    other_context = browser.new_context()
    other = other_context.new_page()
    register(other, app_url, "intruder@example.org", "Ian Intruder")
    other.goto(chat_url)
    expect(other).to_have_url(re.compile(r"/chats/?$"), timeout=20_000)
    expect(other.get_by_text("Chat not found.")).to_be_visible()
    expect(other.get_by_text("My private question")).to_have_count(0)
    expect(other.locator(".chat-link")).to_have_count(0)
    owner_context.close()
    other_context.close()
