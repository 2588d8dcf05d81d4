"""The event socket of the running app, attacked with crafted frames and from foreign origins.

The compiled frontend sends events by name over Socket.IO (``/_event``); nothing stops a signed-in user
from sending any name and payload themselves (``support.event_socket`` does). So:

* no event sets the account the page shows or trusts: not Reflex's ``setvar``, not a ``set_user_role``
  setter (Reflex 0.10 makes none unless ``state_auto_setters`` is on), not the client-storage update the
  frontend uses for LocalStorage, not the server-side helpers of ``AuthState`` (named with a leading
  underscore, which Reflex never exposes as events; every state's events are checked against an explicit
  allow-list), and admin events re-check the role in the database;
* a WebSocket opened by a page of another origin is refused at the handshake, while the app's own page
  (``localhost`` and its ``127.0.0.1`` twin in dev) connects. A client that sends no ``Origin`` at all is
  not a browser and could claim any origin anyway; browsers always send it on WebSocket handshakes;
* the REST API's CORS answers only the app's own origin.

A demoted admin's next event being refused is shown in the browser by
``tests/e2e/test_foundation.py::test_demoted_admin_loses_access_on_next_event`` and at the service by
``tests/services/test_auth_tokens.py::test_demoted_admin_is_refused_on_the_next_call``.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect
from support.event_socket import FIELD, SocketRefused, event_socket, run
from support.live_app import OWNER, LiveApp, bearer

ACCOUNT_VARS = ("access_token", "refresh_token", "lang", "user_email", "user_name", "user_role", "notice")
#: Every event a socket may call, by state class: anything public that is not listed here fails the test below.
ALLOWED_EVENTS = {
    "AuthState": {"check_login", "go_home", "logout", "redirect_if_signed_in", "set_language"},
    "LoginState": {"submit"},
    "RegisterState": {"submit"},
    "ProfileState": {"change_password", "load", "save_profile"},
    "ChatState": {"cancel_edit", "confirm_memory_change", "delete_chat", "load", "load_older", "new_chat",
                  "open_remember", "regenerate", "reject_memory_change", "rename", "save_remembered", "send",
                  "set_draft", "set_remember_open", "set_rename_value", "set_search_query", "set_skill", "set_tier",
                  "show_context", "start_edit", "start_rename", "stop", "toggle_archived", "toggle_chat_archived",
                  "undo_memory_change", "cancel_proposal_edit", "confirm_proposal", "edit_proposal_row",
                  "reject_proposal", "remove_proposal_row", "save_proposal_row", "download_report", "set_agent",
                  "new_chat_with"},
    "AgentsState": {"ask_delete", "choose_provider", "confirm_delete", "fetch_models", "grant_group", "grant_user",
                    "list_models", "load", "open_edit", "open_grants", "open_new", "revoke_group", "revoke_user",
                    "save", "set_all_tools", "set_delete_open", "set_dialog_open", "set_grant_email",
                    "set_grant_group_id", "set_grants_open", "toggle_collection", "toggle_tool"},
    "DocumentsState": {"cancel", "delete", "load", "reindex", "set_query", "set_upload_target", "upload",
                       "upload_progress"},
    "DocumentViewState": {"download", "load", "show_page"},
    "DocumentProposalState": {"check", "start"},
    "MemoryState": {"add", "cancel_edit", "confirm", "forget", "load", "pin", "reject", "restore", "save_edit",
                    "set_author_filter", "set_category_filter", "set_health_filter", "set_query",
                    "set_status_filter", "start_edit", "toggle_history", "unpin"},
    "PersonalContextState": {"load", "restore", "save"},
    "PrimaryContextState": {"load", "restore", "save"},
    "PersonalSkillsState": {"ask_delete", "confirm_delete", "load", "open_edit", "open_new", "save", "set_active",
                            "set_delete_open", "set_dialog_open"},
    "GeneralSkillsState": {"ask_delete", "confirm_delete", "load", "open_edit", "open_new", "save", "set_active",
                           "set_delete_open", "set_dialog_open"},
    "AdminState": {"load", "save_default_max_chats", "save_upload_limits", "set_registration"},
    "AdminUsersState": {"change_role", "close_secret", "create", "delete_user", "load", "reset_password",
                        "save_max_chats", "toggle_active"},
    "GroupsState": {"add_member", "close_edit", "create", "delete", "edit", "load", "remove_member", "update"},
    "AuditState": {"apply_filters", "load", "next_page", "previous_page"},
    "SystemState": {"load"},
    "AnalyticsState": {"download_csv", "load", "show_last", "show_range"},
    "UsageState": {"load_usage"},
    "PasswordSetupState": {"accept_invitation", "choose_password", "open_change", "open_invitation"},
    "CollectionsState": {"create", "delete", "grant", "grant_group", "load", "revoke", "revoke_group"},
    "TiersState": {"choose_provider", "fetch_models", "list_models", "load", "save"},
    "ProvidersState": {"delete", "load", "open_edit", "open_new", "remove_key", "run_test", "save", "set_dialog_open",
                       "set_form_allow_local", "set_form_kind", "test"},
    "TasksState": {"add", "add_subtask", "cancel_edit", "cancel_run", "cancel_subtask", "close_runs", "delete",
                   "hand_over", "load", "open_runs", "remove_reminder", "remove_schedule", "save_edit",
                   "set_due_filter", "set_priority_filter", "set_run_mode", "set_run_repeat", "set_sort",
                   "set_status_filter", "set_task_status", "start_edit", "start_subtask", "toggle_done"},
    "BellState": {"acknowledge", "load", "mark_all_read", "mark_read", "snooze", "snooze_custom"},
    "NotificationsState": {"load", "set_show", "show_more"},
    "RemindersState": {"ask_delete", "cancel_delete", "close_form", "confirm_delete", "load", "open_edit", "open_new",
                       "pause", "resume", "save", "set_form_end", "set_form_recurrence", "set_status_filter", "snooze",
                       "snooze_custom"},
    "LiveState": {"receive"},
    "ReportsState": {"create", "delete", "download", "load"},
    "SmtpSettingsState": {"load_smtp", "remove_smtp_password", "save_smtp_settings", "send_smtp_test"},
    "EmailAddressState": {"load_email", "send_verification_link"},
    "VerifyEmailState": {"verify"},
    "TelegramLinkState": {"load_telegram", "start_telegram_link", "unlink_telegram"},
    "TelegramBotState": {"check_telegram_bot", "load_bot", "remove_bot_token", "save_bot_token"},
    "DeliverySettingsState": {"load_delivery", "save_delivery", "set_quiet_on"},
    "ReviewSettingsState": {"load_review", "save_review", "set_review_on"},
    "ChatExportState": {"export"},
    "AccountDataState": {"delete_my_account", "download_export", "export_data", "load_data_export",
                         "set_delete_open"},
}
#: Reflex's own event on every state: it sets only vars that have a setter (none of the account's, see below).
REFLEX_EVENTS = {"setvar"}
#: Server-side helpers of ``AuthState``, under their old public names and their names now.
SERVER_ONLY = ("t", "client_address", "acting_user", "handle_error", "run_as_user", "sign_in", "_t",
               "_client_address", "_run_as_user", "_handle_error", "_sign_in", "_show_user", "_forget")


def _app_states() -> list[type]:
    from reflex.state import State

    import assistant.ui.state as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    found, todo = [], [State]
    while todo:
        state = todo.pop()
        todo.extend(state.get_substates())
        if state.__module__.startswith("assistant."):
            found.append(state)
    return found


def test_every_states_events_are_exactly_the_allowed_ones() -> None:
    """Reflex makes every public method of a state an event any socket can call: each state class's
    ``event_handlers`` must be exactly its allow-list (a new state or event is added there on purpose)."""
    exposed = {state.__name__: set(state.event_handlers) - REFLEX_EVENTS for state in _app_states()}
    assert exposed == ALLOWED_EVENTS


def test_no_state_exposes_a_setter_of_the_account_or_a_server_only_helper() -> None:
    from reflex_base.config import get_state_auto_setters

    assert get_state_auto_setters() is False
    states = _app_states()
    assert {state.__name__ for state in states} >= {"AuthState", "LoginState", "RegisterState", "AdminState"}
    for state in states:
        exposed = set(state.event_handlers)
        assert not exposed & {f"set_{var}" for var in ACCOUNT_VARS}, state
        assert not exposed & set(SERVER_ONLY), state


# --- crafted events --------------------------------------------------------------------------------


def _attacks(names: dict[str, str]) -> dict[str, tuple[str, dict]]:
    auth = names["auth"]
    superadmin = {"email": OWNER, "display_name": "Owner", "role": "superadmin", "language": "en"}
    return {
        "setvar": ("auth.setvar", {"var_name": "user_role", "value": "superadmin"}),
        "setvar-on-a-substate": ("admin.setvar", {"var_name": "user_role", "value": "superadmin"}),
        "setter": ("auth.set_user_role", {"value": "superadmin"}),
        "computed-var-setter": ("auth.set_is_admin", {"value": True}),
        "var-name-as-event": ("auth.user_role", {"value": "superadmin"}),
        "client-storage-update": ("update_vars.update_vars_internal", {"vars": {
            f"{auth}.user_role{FIELD}": "superadmin", f"{auth}.user_role": "superadmin",
            f"{auth}.is_admin{FIELD}": True, f"{auth}.user_email{FIELD}": OWNER}}),
        "private-helper": ("auth._show_user", {"user": superadmin}),
        "sign-in-helper": ("auth.sign_in", {"pair": {"access_token": "x", "refresh_token": "y",
                                                     "user": superadmin, "session_id": "z"}}),
        "acting-user-helper": ("auth.acting_user", {"session": {}, "minimum_role": "superadmin"}),
        "run-as-user-helper": ("auth.run_as_user", {"action": "print", "minimum_role": "user"}),
        "error-helper": ("auth.handle_error", {"exc": {"code": "auth.token_invalid", "params": {}}}),
        "private-sign-in-helper": ("auth._sign_in", {"pair": {"access_token": "x", "refresh_token": "y",
                                                              "user": superadmin, "session_id": "z"}}),
        "private-run-as-user-helper": ("auth._run_as_user", {"work": "print", "minimum_role": "user"}),
        "private-error-helper": ("auth._handle_error", {"exc": {"code": "auth.token_invalid", "params": {}}}),
    }


ATTACKS = list(_attacks({"auth": "auth"}))


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_crafted_event_cannot_make_a_user_admin(live_app: LiveApp, attack: str) -> None:
    email = f"socket-{attack}@example.org"
    tokens = live_app.account(email)

    async def scenario() -> tuple[dict, list, dict]:
        async with event_socket(live_app.url) as tab:
            before = await tab.sign_in(tokens["access_token"], tokens["refresh_token"])
            name, payload = _attacks(tab.names)[attack]
            await tab.send(name, payload)
            await tab.send("auth.check_login")  # what every page load does next
            return before, await tab.updates(), await tab.state()

    before, replies, after = run(scenario())
    assert (before["user_email"], before["user_role"], before["is_admin"]) == (email, "user", False)
    assert after["user_role"] == "user" and after["is_admin"] is False
    assert after["user_email"] == email
    # The tab is still signed in as itself (its tokens were not replaced either).
    assert not [e for reply in replies for e in reply.get("events", []) if e["name"] == "_redirect"], replies
    with live_app.api() as client:
        assert client.get("/auth/me", headers=bearer(tokens["access_token"])).json()["role"] == "user"


def test_control_legitimate_events_do_change_what_is_read(live_app: LiveApp) -> None:
    """The reads above would see a change: events any user may send change the language (seen in the
    update) and the name the page shows (seen in the state read as in the attacks)."""
    tokens = live_app.account("socket-control@example.org")

    async def scenario() -> tuple[dict, dict]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(tokens["access_token"], tokens["refresh_token"])
            await tab.send("auth.set_language", {"language": "ru"})
            update = await tab.wait_for("auth", "lang")
            await tab.send("profile.save_profile", {"form": {"display_name": "Renamed", "timezone": "UTC"}},
                           path="/settings")
            return update, await tab.state()

    update, after = run(scenario())
    assert update["lang"] == "ru"
    assert after["user_name"] == "Renamed"
    with live_app.api() as client:
        account = client.get("/auth/me", headers=bearer(tokens["access_token"])).json()
    assert (account["language"], account["display_name"]) == ("ru", "Renamed")


def test_admin_events_from_a_plain_user_are_refused_and_change_nothing(live_app: LiveApp) -> None:
    tokens = live_app.account("socket-admin-events@example.org")
    with live_app.api() as client:
        owner = client.get("/auth/me", headers=bearer(live_app.login(OWNER)["access_token"])).json()

    async def scenario() -> tuple[list, dict]:
        async with event_socket(live_app.url) as tab:
            await tab.sign_in(tokens["access_token"], tokens["refresh_token"])
            replies = []
            for name, payload in [
                ("admin.load", {}),
                ("admin.set_registration", {"enabled": False}),
            ]:
                await tab.send(name, payload, path="/admin")
                replies.append(await tab.updates())
            return replies, await tab.state("admin")

    replies, admin_view = run(scenario())
    for reply in replies:  # each one is sent home with "You do not have permission to do this."
        events = [event for update in reply for event in update.get("events", [])]
        assert any(e["name"] == "_redirect" and e["payload"]["path"] == "/chats" for e in events), reply
        assert any("You do not have permission" in str(e["payload"]) for e in events), reply
    assert admin_view["default_max_chats"] == ""  # the settings were never sent

    with live_app.api() as client:
        assert client.get("/auth/me", headers=bearer(tokens["access_token"])).json()["role"] == "user"
        assert client.get("/auth/me", headers=bearer(live_app.login(OWNER)["access_token"])).json() == owner
    assert live_app.register("still-open@example.org").status_code == 201  # registration is still on


# --- origins -----------------------------------------------------------------------------------------


def _connects(live_app: LiveApp, origin: str | None) -> bool:
    async def attempt() -> bool:
        try:
            async with event_socket(live_app.url, origin=origin):
                return True
        except SocketRefused as refused:
            assert refused.status == 403
            return False

    return run(attempt())


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "null",  # sandboxed frames, file: pages
        "http://localhost:{port}.evil.example",
        "http://evil.example/http://localhost:{port}",
        "https://localhost:{port}",
        "http://localhost:{other_port}",
        "http://localhost",
        "http://LOCALHOST:{port}.evil.example",
    ],
)
def test_a_websocket_from_a_foreign_origin_is_refused(live_app: LiveApp, origin: str) -> None:
    assert not _connects(live_app, origin.format(port=live_app.port, other_port=live_app.port + 1))


@pytest.mark.parametrize("origin", ["same", "http://127.0.0.1:{port}", None], ids=["localhost", "127.0.0.1", "none"])
def test_the_apps_own_origin_connects(live_app: LiveApp, origin: str | None) -> None:
    assert _connects(live_app, origin.format(port=live_app.port) if origin else None)


def test_api_cors_answers_only_the_apps_own_origin(live_app: LiveApp) -> None:
    def preflight(origin: str) -> httpx.Response:
        with live_app.api() as client:
            return client.options("/auth/me", headers={
                "Origin": origin, "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization"})

    foreign = preflight("http://evil.example")
    assert "access-control-allow-origin" not in foreign.headers
    own = preflight(live_app.url)
    assert own.headers.get("access-control-allow-origin") == live_app.url


PROBE = """async (url) => await new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onmessage = (event) => { resolve('open ' + String(event.data).slice(0, 1)); ws.close(); };
    ws.onerror = () => resolve('refused');
    setTimeout(() => resolve('timeout'), 15000);
})"""


@pytest.fixture
def foreign_site() -> Iterator[str]:
    """Another web site on this machine (another port of localhost is another origin), serving a page."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = b"<html><body>cute cats</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.e2e
def test_a_page_of_another_site_cannot_open_the_apps_socket(live_app: LiveApp, browser, foreign_site: str) -> None:
    """The attack itself: a page elsewhere, visited by a signed-in user, opens the app's socket as them.

    The foreign site is a real server on the loopback, so the browser's own rules for pages of the
    internet reaching local addresses play no part: the refusal is the app's."""
    socket_url = f"ws://localhost:{live_app.port}/_event/?token=attacker-tab&EIO=4&transport=websocket"
    page = browser.new_context().new_page()
    page.goto(f"{foreign_site}/")
    expect(page.locator("body")).to_have_text("cute cats")
    assert page.evaluate(PROBE, socket_url) == "refused"

    # The same probe from the app's own page connects.
    page.goto(f"{live_app.url}/login")
    expect(page.locator("#login-submit")).to_be_visible()
    assert page.evaluate(PROBE, socket_url) == "open 0"
    page.context.close()
