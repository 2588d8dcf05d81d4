"""``/agents``: the user's own agents, the general agents granted to them and, for admins, every general agent
with who it is granted to."""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.ui.components.agents import (
    agent_row,
    delete_dialog,
    edit_controls,
    editor_dialog,
    grants_dialog,
)
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.agents import AgentsState


def _card(title_key: str, hint_key: str, rows: rx.Var[Any], row: Any, list_id: str,
          new_scope: str | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t(title_key), size="4"),
                rx.spacer(),
                rx.button(rx.icon("plus", size=16), t("agents.new"), on_click=AgentsState.open_new(new_scope),
                          id=f"agent-new-{new_scope}") if new_scope else rx.fragment(),
                align="center", width="100%",
            ),
            rx.text(t(hint_key), size="2", color_scheme="gray"),
            rx.cond(rows.length() > 0, rx.box(rx.foreach(rows, row), id=list_id, width="100%"),
                    rx.text(t("agents.empty"), size="2", color_scheme="gray", id=list_id)),
            spacing="2", width="100%",
        ),
        width="100%",
    )


def _general_row(agent: rx.Var[Any]) -> rx.Component:
    granted = rx.text(
        t("agents.granted_users"), ": ", rx.cond(agent["users"] != "", agent["users"], "—"), " · ",
        t("agents.granted_groups"), ": ", rx.cond(agent["groups"] != "", agent["groups"], "—"),
        size="1", color_scheme="gray")
    return agent_row(agent, rx.button(rx.icon("users", size=14), t("agents.grants"), size="1", variant="soft",
                                      on_click=AgentsState.open_grants(agent["id"], agent["name"])),
                     *edit_controls(agent, "general"), detail=granted)


def agents_page() -> rx.Component:
    """The page (``on_load``: ``AuthState.check_login`` then ``AgentsState.load``)."""
    return app_shell(
        "agents.title",
        rx.vstack(
            _card("agents.mine", "agents.mine_hint", AgentsState.own_agents,
                  lambda agent: agent_row(agent, *edit_controls(agent, "personal")), "own-agents", "personal"),
            _card("agents.granted", "agents.granted_hint", AgentsState.granted_agents, lambda agent: agent_row(agent),
                  "granted-agents"),
            rx.cond(AgentsState.is_admin,
                    _card("agents.general", "agents.general_hint", AgentsState.general_agents, _general_row,
                          "general-agents", "general")),
            editor_dialog(),
            delete_dialog(),
            grants_dialog(),
            spacing="4", width="100%",
        ),
    )
