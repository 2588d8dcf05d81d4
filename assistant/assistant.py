"""The Reflex app: pages, the REST API mount and the lifespan tasks (the live-event listener, the page renderer's
warm-up). Nothing else lives here."""

import asyncio

import reflex as rx

from assistant.api.app import create_api
from assistant.core.logging import configure_from_settings
from assistant.services.rag import page_images
from assistant.ui import routes
from assistant.ui.live import listen_for_events
from assistant.ui.pages.admin import admin_page
from assistant.ui.pages.admin_audit import admin_audit_page
from assistant.ui.pages.admin_providers import admin_providers_page
from assistant.ui.pages.admin_system import admin_system_page
from assistant.ui.pages.admin_users import admin_users_page
from assistant.ui.pages.agents import agents_page
from assistant.ui.pages.analytics import analytics_page
from assistant.ui.pages.auth import login_page, register_page
from assistant.ui.pages.chat import chat_page
from assistant.ui.pages.document_view import document_view_page
from assistant.ui.pages.documents import documents_page
from assistant.ui.pages.memory import memory_page
from assistant.ui.pages.notifications import notifications_page
from assistant.ui.pages.password_setup import change_password_page, invite_page
from assistant.ui.pages.reminders import reminders_page
from assistant.ui.pages.reports import reports_page
from assistant.ui.pages.settings import settings_page
from assistant.ui.pages.tasks import tasks_page
from assistant.ui.pages.verify_email import verify_email_page
from assistant.ui.state.account import ProfileState
from assistant.ui.state.admin import AdminState
from assistant.ui.state.admin_audit import AuditState
from assistant.ui.state.admin_groups import GroupsState
from assistant.ui.state.admin_system import SystemState
from assistant.ui.state.admin_users import AdminUsersState
from assistant.ui.state.agents import AgentsState
from assistant.ui.state.analytics import AnalyticsState
from assistant.ui.state.auth import AuthState
from assistant.ui.state.channels_admin import SmtpSettingsState
from assistant.ui.state.chat import ChatState
from assistant.ui.state.context import PersonalContextState, PrimaryContextState
from assistant.ui.state.document_view import DocumentViewState
from assistant.ui.state.documents import DocumentsState
from assistant.ui.state.email_address import EmailAddressState, VerifyEmailState
from assistant.ui.state.memory import MemoryState
from assistant.ui.state.notifications import NotificationsState
from assistant.ui.state.password_setup import PasswordSetupState
from assistant.ui.state.providers import ProvidersState
from assistant.ui.state.reminders import RemindersState
from assistant.ui.state.reports import ReportsState
from assistant.ui.state.skills import GeneralSkillsState, PersonalSkillsState
from assistant.ui.state.tasks import TasksState
from assistant.ui.state.tiers import TiersState
from assistant.ui.styles import global_style


def index() -> rx.Component:
    page: rx.Component = rx.center(rx.spinner(size="3"), height="100vh")
    return page


#: The browser tab title: the product name, the same in every language.
PAGE_TITLE = "Assistant"



async def warm_page_renderer() -> None:
    """Lifespan task: start the PDF page renderer (:func:`assistant.services.rag.page_images.warm_up`) off the
    event loop, so the first citation opened does not wait for it."""
    await asyncio.to_thread(page_images.warm_up)


app = rx.App(style=global_style, api_transformer=create_api())
app.register_lifespan_task(configure_from_settings)  # first: ASSISTANT_LOG_FORMAT for everything after
app.register_lifespan_task(listen_for_events)
app.register_lifespan_task(warm_page_renderer)
app.add_page(index, route=routes.INDEX, title=PAGE_TITLE, on_load=AuthState.go_home)
app.add_page(login_page, route=routes.LOGIN, title=PAGE_TITLE, on_load=AuthState.redirect_if_signed_in)
app.add_page(register_page, route=routes.REGISTER, title=PAGE_TITLE, on_load=AuthState.redirect_if_signed_in)
app.add_page(chat_page, route=routes.CHAT, title=PAGE_TITLE, on_load=[AuthState.check_login, ChatState.load])
app.add_page(chat_page, route=routes.CHATS, title=PAGE_TITLE, on_load=[AuthState.check_login, ChatState.load])
app.add_page(documents_page, route=routes.DOCUMENTS, title=PAGE_TITLE,
             on_load=[AuthState.check_login, DocumentsState.load])
app.add_page(document_view_page, route=routes.DOCUMENT, title=PAGE_TITLE,
             on_load=[AuthState.check_login, DocumentViewState.load])
app.add_page(memory_page, route=routes.MEMORY, title=PAGE_TITLE, on_load=[AuthState.check_login, MemoryState.load])
app.add_page(reminders_page, route=routes.REMINDERS, title=PAGE_TITLE,
             on_load=[AuthState.check_login, RemindersState.load])
app.add_page(tasks_page, route=routes.TASKS, title=PAGE_TITLE, on_load=[AuthState.check_login, TasksState.load])
app.add_page(notifications_page, route=routes.NOTIFICATIONS, title=PAGE_TITLE,
             on_load=[AuthState.check_login, NotificationsState.load])
app.add_page(reports_page, route=routes.REPORTS, title=PAGE_TITLE, on_load=[AuthState.check_login, ReportsState.load])
app.add_page(agents_page, route=routes.AGENTS, title=PAGE_TITLE, on_load=[AuthState.check_login, AgentsState.load])
app.add_page(
    settings_page,
    route=routes.SETTINGS,
    title=PAGE_TITLE,
    on_load=[AuthState.check_login, ProfileState.load, PersonalContextState.load, PersonalSkillsState.load,
             EmailAddressState.load_email],
)
app.add_page(
    admin_page,
    route=routes.ADMIN,
    title=PAGE_TITLE,
    on_load=[
        AuthState.check_login, AdminState.load, TiersState.load, PrimaryContextState.load, GeneralSkillsState.load,
        SmtpSettingsState.load_smtp,
    ],
)
app.add_page(verify_email_page, route=routes.VERIFY_EMAIL, title=PAGE_TITLE, on_load=VerifyEmailState.verify)
app.add_page(admin_users_page, route=routes.ADMIN_USERS, title=PAGE_TITLE,
             on_load=[AuthState.check_login, AdminUsersState.load, GroupsState.load])
app.add_page(admin_providers_page, route=routes.ADMIN_PROVIDERS, title=PAGE_TITLE,
             on_load=[AuthState.check_login, ProvidersState.load])
app.add_page(admin_audit_page, route=routes.ADMIN_AUDIT, title=PAGE_TITLE,
             on_load=[AuthState.check_login, AuditState.load])
app.add_page(analytics_page, route=routes.ADMIN_ANALYTICS, title=PAGE_TITLE,
             on_load=[AuthState.check_login, AnalyticsState.load])
app.add_page(invite_page, route=routes.INVITE, title=PAGE_TITLE, on_load=PasswordSetupState.open_invitation)
app.add_page(change_password_page, route=routes.CHANGE_PASSWORD, title=PAGE_TITLE,
             on_load=PasswordSetupState.open_change)
app.add_page(admin_system_page, route=routes.ADMIN_SYSTEM, title=PAGE_TITLE,
             on_load=[AuthState.check_login, SystemState.load])
