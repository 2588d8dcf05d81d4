"""Agents in a real browser: the superadmin creates a general agent on the Agents page (one tool only) and grants
it to a user by e-mail; the user starts a chat with it from the empty chat page, sees its name on the chat and
gets an answer (the model was offered only that tool); once the grant is revoked, the next message is refused
with the reason and stays in the input."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from support.browser import ensure_account, login, register
from support.scripted_model import ScriptedModel, answer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

ADMIN = "agent-admin@example.org"
NURSE = "agent-nurse@example.org"


def test_a_general_agent_granted_then_revoked(model_app_url: str, model: ScriptedModel, browser, shot) -> None:
    model.reset()
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    register(admin, model_app_url, ADMIN, "Ada Admin")  # the first account: superadmin
    ensure_account(model_app_url, NURSE, "Nina Nurse")
    admin.click("#nav-agents")
    expect(admin).to_have_url(re.compile(r"/agents$"))
    admin.click("#agent-new-general")
    expect(admin.get_by_role("dialog")).to_be_visible()
    admin.fill("#agent-name", "Heart helper")
    admin.fill("#agent-description", "Answers about the heart")
    admin.get_by_role("checkbox", name="Every tool").click()
    admin.get_by_role("checkbox", name="Current time").click()
    admin.click("#agent-save")
    expect(admin.get_by_role("dialog")).to_have_count(0)
    row = admin.locator("#general-agents [data-testid=agent-row]", has_text="Heart helper")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Access").click()
    admin.fill("#grant-email", NURSE)
    admin.click("#grant-user")
    expect(admin.locator("[data-testid=agent-grantee]", has_text=NURSE)).to_be_visible()
    shot(admin, "agent-granted")

    nurse = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(nurse, model_app_url, NURSE)
    nurse.locator("[data-testid=start-with-agent]", has_text="Heart helper").click()
    expect(nurse).to_have_url(re.compile(r"/chats/[0-9a-f-]{36}$"))
    expect(nurse.locator("#chat-agent-badge")).to_have_text("Heart helper")
    expect(nurse.locator("#tier-select")).to_have_count(0)  # the agent's model answers
    model.script(answer("Hello from the heart helper."))
    nurse.fill("#chat-input", "Hello")
    nurse.click("#chat-send")
    expect(nurse.locator("#conversation")).to_contain_text("Hello from the heart helper.")
    [request] = model.turn_requests()
    assert [tool["function"]["name"] for tool in request.body["tools"]] == ["get_current_time"]
    shot(nurse, "chat-with-agent")

    admin.locator("[data-testid=agent-grantee]", has_text=NURSE).get_by_role("button", name="Revoke").click()
    expect(admin.locator("[data-testid=agent-grantee]")).to_have_count(0)
    nurse.fill("#chat-input", "Are you still there?")
    nurse.click("#chat-send")
    expect(nurse.locator("[data-sonner-toast]", has_text="is no longer available to you")).to_be_visible()
    expect(nurse.locator("#chat-input")).to_have_value("Are you still there?")
    assert len(model.turn_requests()) == 1
