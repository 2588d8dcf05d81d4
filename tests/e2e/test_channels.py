"""Reaching the user beyond the app, in a real browser against the real worker, a real SMTP server (aiosmtpd), a
loopback Telegram Bot API and the loopback model: the admin sets SMTP and sends a test mail, and checks the bot;
a user verifies their address through the mailed link, links Telegram through the deep link, chooses e-mail
and Telegram for reminders, gets a reminder in the app, by mail and in Telegram (once each), presses Taken in
Telegram and sees it taken in the app; then asks for reminders from their prescription and confirms the card
the assistant proposes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select
from support.app import app_on_test_database
from support.browser import choose, register
from support.delivery import signalled_reminder
from support.llm_server import LoopbackLLMServer, openai_env
from support.prescription import ingested_prescription
from support.scripted_model import ScriptedModel, answer, tool_call
from support.smtp_server import SmtpServer, smtp_server
from support.telegram_api import BOT_USERNAME, VALID_TOKEN, TelegramApiServer, telegram_api

from assistant.core.db import session_scope
from assistant.models import Notification, Reminder, User

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

ADMIN, PATIENT = "ada@example.org", "pavel@example.org"
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-secret-9"
CHAT_ID = 777001
PILL = "Metformin 500 mg"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[SmtpServer, TelegramApiServer, ScriptedModel]]:
    with smtp_server(username=SMTP_USER, password=SMTP_PASSWORD) as smtp, telegram_api() as bot, \
            LoopbackLLMServer() as llm:
        yield smtp, bot, ScriptedModel(llm)


@pytest.fixture(scope="module")
def channels_app(start_app, database, servers) -> Iterator[str]:
    """The app on the test database, its worker talking to the loopback Bot API and model."""
    _, bot, model = servers
    env = {"ASSISTANT_TELEGRAM_API_URL": bot.url} | openai_env(model.server, timeout_seconds=30)
    with app_on_test_database(start_app, database.url, env) as url:
        yield url


def _admin_sets_smtp_and_the_bot(page: Page, url: str, smtp: SmtpServer, shot) -> None:
    register(page, url, ADMIN, "Ada")
    page.goto(f"{url}/admin")
    card = page.locator("#smtp-settings")
    expect(card.locator("#smtp-password-not-set")).to_be_visible()
    page.fill("#smtp-host", "127.0.0.1")
    page.fill("#smtp-port", str(smtp.port))
    choose(page, "smtp-tls", "none")
    page.fill("#smtp-username", SMTP_USER)
    page.fill("#smtp-password", "wrong-password")
    page.fill("#smtp-sender", "assistant@example.org")
    page.click("#smtp-save")
    expect(page.locator("#smtp-message")).to_be_visible()
    page.click("#smtp-test")
    expect(page.locator("#smtp-test-error")).to_contain_text("535")
    page.fill("#smtp-password", SMTP_PASSWORD)
    page.click("#smtp-save")
    expect(page.locator("#smtp-password-set")).to_be_visible()
    expect(page.locator("#smtp-password")).to_have_value("")  # the password never comes back to the browser
    page.click("#smtp-test")
    expect(page.locator("#smtp-test-result")).to_contain_text("Message accepted")
    [mail] = smtp.wait_for(1)
    assert mail["To"] == ADMIN and "assistant@example.org" in mail["From"]
    page.fill("#bot-token", VALID_TOKEN)
    page.click("#bot-token-save")
    expect(page.locator("#bot-token-set")).to_be_visible()
    page.click("#bot-check")
    expect(page.locator("#bot-username")).to_contain_text(BOT_USERNAME)
    assert VALID_TOKEN not in page.content() and SMTP_PASSWORD not in page.content()
    shot(page, "admin-channels")


def _mailed_link(smtp: SmtpServer, count: int) -> str:
    mail = smtp.wait_for(count)[count - 1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/verify-email\?code=[\w-]+", text).group(0)


def _patient_verifies_and_links(page: Page, url: str, smtp: SmtpServer, bot: TelegramApiServer, shot) -> None:
    register(page, url, PATIENT, "Pavel")
    page.goto(f"{url}/settings")
    expect(page.locator("#email-not-verified")).to_be_visible()
    page.click("#email-send-link")
    expect(page.locator("#email-address-message")).to_be_visible()
    link = _mailed_link(smtp, 2)
    page.goto(link)
    expect(page.locator("#verify-email-done")).to_be_visible()
    page.goto(f"{url}/settings")
    expect(page.locator("#email-verified")).to_be_visible()

    page.click("#telegram-link-start")
    deep_link = page.locator("#telegram-link-url").get_attribute("href") or ""
    assert deep_link.startswith(f"https://t.me/{BOT_USERNAME}?start=")
    code = parse_qs(urlsplit(deep_link).query)["start"][0]
    bot.send_text(CHAT_ID, f"/start {code}", username="pavel")
    expect(page.locator("#telegram-linked-chat")).to_contain_text("@pavel")
    shot(page, "patient-linked")


def _user(email: str) -> User:
    with session_scope() as session:
        return session.exec(select(User).where(User.email == email)).one()


def _patient_chooses_mail_and_telegram_for_reminders(page: Page) -> None:
    expect(page.locator("#delivery-reason-telegram")).to_have_count(0)  # linking refreshed the section
    for channel in ("email", "telegram"):
        box = page.locator(f"#delivery-reminder-{channel}")
        expect(box).to_be_enabled()
        box.click()
        expect(box).to_have_attribute("data-state", "checked")
    page.click("#delivery-save")
    expect(page.locator("#delivery-message")).to_be_visible()


def _reminder_arrives_everywhere_and_taken_in_telegram_counts_everywhere(
        page: Page, url: str, smtp: SmtpServer, bot: TelegramApiServer, shot) -> None:
    # a few seconds ahead, as the reminders service leaves it (the form's whole minutes are tested on the
    # Reminders page; here the channels are)
    patient = _user(PATIENT)
    signalled_reminder(patient, in_seconds=5, title=PILL, kind="medication", timezone="Europe/Berlin")
    expect(page.locator("#bell-count")).to_have_text("1", timeout=60_000)
    mail = smtp.wait_for(3)[2]
    assert mail["To"] == PATIENT and PILL in mail["Subject"]
    assert "With breakfast" in mail.get_body(preferencelist=("plain",)).get_content()
    assert "With breakfast" in mail.get_body(preferencelist=("html",)).get_content()
    [message] = bot.wait_messages(CHAT_ID, 2)[1:]  # after the linking confirmation
    assert PILL in message.text
    taken = next(data for row in message.buttons for text, data in row if text == "Taken")
    bot.press(CHAT_ID, message.message_id, taken, username="pavel")
    expect(page.locator("#bell-count")).to_have_count(0, timeout=20_000)
    page.goto(f"{url}/notifications")
    rows = page.locator(".notification-item")
    expect(rows.locator(".notification-status").first).to_contain_text("Taken")
    shot(page, "taken-in-telegram")
    time.sleep(2)  # what a second worker pass would send
    assert len(smtp.messages) == 3 and len(bot.messages(CHAT_ID)) == 2
    with session_scope() as session:
        rows_of_occurrence = session.exec(select(Notification).where(Notification.user_id == patient.id)).all()
        assert sorted(row.channel for row in rows_of_occurrence) == ["email", "in_app", "telegram"]
        assert {row.status for row in rows_of_occurrence} == {"acknowledged"}


def _patient_confirms_the_medication_proposal(page: Page, url: str, model: ScriptedModel, shot) -> None:
    patient = _user(PATIENT)
    document_id = ingested_prescription(patient).id
    start = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    model.script(
        tool_call("search_documents", {"query": "prescription dose"}),
        tool_call("propose_reminders", {"document_id": str(document_id), "items": [
            {"drug": "Amoxicillin", "dose": "500 mg", "times": ["08:00", "14:00", "20:00"], "start": start,
             "days": 7, "page": 2}]}),
        answer("Please check the card and confirm."),
    )
    page.goto(f"{url}/documents/{document_id}")
    page.click("#propose-reminders")
    card = page.locator(".proposal-card")
    expect(card).to_have_attribute("data-status", "proposed", timeout=40_000)
    expect(card.locator(".proposal-times")).to_have_text("08:00, 14:00, 20:00")
    with session_scope() as session:  # nothing is scheduled before the user confirms
        assert session.exec(select(Reminder).where(Reminder.title.startswith("Amoxicillin"))).all() == []  # type: ignore[attr-defined]
    shot(page, "proposal")
    card.locator(".proposal-confirm").click()
    expect(card).to_have_attribute("data-status", "confirmed")
    expect(card.locator(".proposal-reminder")).to_contain_text("Amoxicillin 500 mg")
    with session_scope() as session:
        [reminder] = session.exec(select(Reminder).where(Reminder.title == "Amoxicillin 500 mg")).all()
        assert (reminder.source_document_id, reminder.source_page, reminder.kind) == (document_id, 2, "medication")
    shot(page, "proposal-confirmed")


def test_mail_and_telegram_reach_the_user_and_a_prescription_becomes_confirmed_reminders(
        channels_app: str, browser, servers, shot) -> None:
    smtp, bot, model = servers
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _admin_sets_smtp_and_the_bot(admin, channels_app, smtp, shot)
    admin.context.close()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _patient_verifies_and_links(page, channels_app, smtp, bot, shot)
    _patient_chooses_mail_and_telegram_for_reminders(page)
    _reminder_arrives_everywhere_and_taken_in_telegram_counts_everywhere(page, channels_app, smtp, bot, shot)
    _patient_confirms_the_medication_proposal(page, channels_app, model, shot)
    assert model.pending() == 0
