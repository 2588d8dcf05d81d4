"""Agents in a real browser: the superadmin creates a general agent on the Agents page (one tool only) and grants
it to a user by e-mail; the user starts a chat with it from the empty chat page, sees its name on the chat and
gets an answer (the model was offered only that tool); once the grant is revoked, the next message is refused
with the reason and stays in the input. Then the admin console end to end (issue 15's journey): a loopback
OpenAI-compatible provider added (refused until "allow a local server" is ticked, its key shown only masked) and
tested, the small tier set to it (the provider then cannot be deleted), an agent on that tier with a collection
granted to a group, a member of the group chatting with it through that provider; analytics and the audit log
show it; the member sees the agent and their own usage, and is sent away from the console."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from support.browser import ensure_account, login, register
from support.scripted_model import ScriptedModel, answer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

ADMIN = "agent-admin@example.org"
NURSE = "agent-nurse@example.org"
CARDIO = "cardio-member@example.org"
KEY = "sk-clinic-model-9876"


def _toast(page: Page, text: str):
    return page.locator("[data-sonner-toast]", has_text=text)


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


def test_admin_console_journey(model_app_url: str, model: ScriptedModel, browser, shot) -> None:
    model.reset()
    model.server.models = ["clinic-small", "clinic-large"]
    ensure_account(model_app_url, ADMIN, "Ada Admin")  # the superadmin (the first account of this app)
    ensure_account(model_app_url, CARDIO, "Carl Cardio")
    admin = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    login(admin, model_app_url, ADMIN)

    # A provider: the loopback server, allowed as a local server, tested; the small tier set to it.
    admin.goto(f"{model_app_url}/admin/providers")
    expect(admin.locator("#provider-anthropic")).to_contain_text("From the environment (read-only)")
    expect(admin.locator("#provider-anthropic")).to_contain_text("Not configured")
    admin.click("#providers-add")
    admin.fill("#provider-name", "Clinic model")
    admin.fill("#provider-base-url", f"{model.server.url}/v1")
    admin.fill("#provider-key", KEY)
    admin.fill("#provider-timeout", "10")
    admin.click("#provider-save")
    expect(admin.locator("#provider-form-error")).to_contain_text("127.0.0.1, a loopback or private address")
    admin.fill("#provider-key", KEY)  # the refused form empties the key field
    admin.click("#provider-allow-local")
    expect(admin.locator("#provider-allow-local-warning")).to_contain_text("cloud metadata addresses stay refused")
    admin.click("#provider-save")
    expect(_toast(admin, "Provider saved: Clinic model.")).to_be_visible()
    row = admin.locator("tr", has_text="Clinic model")
    expect(row).to_contain_text("••••9876")
    assert KEY not in admin.content()
    row.locator("[id^=provider-test-]").click()
    expect(row.locator("[id^=provider-result-]")).to_have_text(
        "Models offered by Clinic model: clinic-large, clinic-small")
    admin.click("#admin-nav-admin")
    admin.click("#tier-small-provider")
    admin.get_by_role("option", name="Clinic model", exact=True).click()
    admin.fill("#tier-small-model", "clinic-small")
    admin.click("#tier-small-save")
    expect(_toast(admin, "Model tier saved")).to_be_visible()
    admin.click("#admin-nav-admin-providers")
    admin.locator("tr", has_text="Clinic model").locator("[id^=provider-delete-]").click()
    expect(_toast(admin, "The model tier “small” uses this provider")).to_be_visible()
    admin.click("#admin-nav-admin")

    # A collection and a group holding the member.
    admin.fill("#collection-name", "Heart leaflets")
    admin.click("#collection-create")
    expect(_toast(admin, "Collection created: Heart leaflets.")).to_be_visible()
    admin.click("#admin-nav-admin-users")
    admin.fill("#group-name", "Cardiology")
    admin.click("#group-create")
    group = admin.locator(".group-row", has_text="Cardiology")
    group.locator(".group-member-email input").fill(CARDIO)
    group.locator(".group-member-add").click()
    expect(group.locator(".group-member")).to_have_text([CARDIO])

    # An agent on the small tier searching the collection, granted to the group.
    admin.click("#nav-agents")
    admin.click("#agent-new-general")
    admin.fill("#agent-name", "Cardio helper")
    admin.click("#agent-tier")
    admin.get_by_role("option", name="Fast (small model)", exact=True).click()
    admin.get_by_role("checkbox", name="Heart leaflets").click()
    admin.click("#agent-save")
    expect(admin.get_by_role("dialog")).to_have_count(0)
    row = admin.locator("#general-agents [data-testid=agent-row]", has_text="Cardio helper")
    row.get_by_role("button", name="Access").click()
    admin.click("#grant-group-select")
    admin.get_by_role("option", name="Cardiology", exact=True).click()
    admin.click("#grant-group")
    expect(admin.locator("[data-testid=agent-grantee]", has_text="Cardiology")).to_be_visible()
    admin.keyboard.press("Escape")

    # The member chats with the agent; the answer comes through the new provider with its key and model.
    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(member, model_app_url, CARDIO)
    member.locator("[data-testid=start-with-agent]", has_text="Cardio helper").click()
    expect(member.locator("#chat-agent-badge")).to_have_text("Cardio helper")
    model.script(answer("Your heart rate is fine.", input_tokens=40, output_tokens=9))
    member.fill("#chat-input", "Is a resting pulse of 62 fine?")
    member.click("#chat-send")
    expect(member.locator("#conversation")).to_contain_text("Your heart rate is fine.")
    [request] = model.turn_requests()
    assert request.body["model"] == "clinic-small"
    assert request.headers.get("authorization") == f"Bearer {KEY}"
    shot(member, "member-chats-with-the-agent")

    # Analytics and the audit log show it.
    admin.click("#nav-admin")
    admin.click("#admin-nav-admin-analytics")
    admin.click("#analytics-last-7")
    expect(admin.locator("#analytics-table-tokens_by_model")).to_contain_text("clinic-small")
    expect(admin.locator("#analytics-table-tokens_by_provider")).to_contain_text("Clinic model")
    expect(admin.locator("#analytics-chart-messages_per_day")).to_be_visible()
    today = datetime.now(UTC).date().isoformat()  # the admin's zone is UTC
    expect(admin.locator("#analytics-table-messages_per_day tr", has_text=today).locator("td").nth(1)).to_have_text(
        re.compile(r"^[1-9]\d*$"))
    shot(admin, "analytics")
    admin.click("#admin-nav-admin-audit")
    for action in ("provider.create", "setting.update", "group.add_member", "agent.create", "agent.grant_group"):
        expect(admin.locator("#audit-card")).to_contain_text(action)
    expect(admin.locator("#audit-card")).not_to_contain_text(KEY)
    shot(admin, "audit-log")
    admin.click("#admin-nav-admin-system")
    expect(admin.locator("#system-health")).to_contain_text("PostgreSQL 16")
    expect(admin.locator("#system-versions")).to_contain_text("pgvector")
    shot(admin, "system")

    # The member sees the agent on the Agents page and their own usage in Settings, and no console page.
    member.goto(f"{model_app_url}/admin/providers")
    expect(member).to_have_url(re.compile(r"/chats/?$"))
    member.click("#nav-agents")
    expect(member.locator("#granted-agents")).to_contain_text("Cardio helper")
    member.click("#nav-settings")
    expect(member.locator("#my-usage-models")).to_contain_text("clinic-small")
    shot(member, "my-usage")
    for page in (admin, member):
        page.context.close()
