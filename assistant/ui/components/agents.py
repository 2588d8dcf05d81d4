"""Agent pieces shared by the Agents page and the chat: an agent's icon, its rows, the editor dialog, the delete
confirmation and the grants dialog.

Rows carry ``data-testid="agent-row"`` and show the agent's name as text. The editor's fields are ``#agent-name``,
``#agent-description``, ``#agent-icon``, ``#agent-skill``, ``#agent-tier``, and for general agents
``#agent-provider``, ``#agent-model`` (its suggestions, ``#agent-models``, listed from the provider by
``#agent-list-models``) and ``#agent-active``,
the collection boxes ``[data-testid=agent-collection-<id>]``, ``[data-testid=agent-all-tools]`` and
``[data-testid=agent-tool-<name>]`` (state, not form fields), with ``#agent-save``; the grants dialog has
``#grant-email``, ``#grant-user``, ``#grant-group-select`` and ``#grant-group``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.models import TIERS
from assistant.services.agents.editing import AGENT_ICONS, tool_names
from assistant.ui.components.forms import field_label, labelled
from assistant.ui.i18n import t
from assistant.ui.state.agents import NO_PROVIDER, NO_SKILL, AgentsState


def agent_icon(name: rx.Var[Any], size: int = 18) -> rx.Component:
    """The Lucide icon of an agent (one of :data:`AGENT_ICONS`)."""
    return rx.match(name, *[(icon, rx.icon(icon, size=size)) for icon in AGENT_ICONS], rx.icon("bot", size=size))


def _summary(agent: rx.Var[Any], detail: rx.Component | None = None) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(agent["name"], weight="medium", size="2"),
                  rx.cond(agent["is_active"].to(bool) | (agent["is_active"].to(str) == ""), rx.fragment(),
                          rx.badge(t("agents.inactive"), color_scheme="gray")),
                  spacing="2", align="center"),
        rx.cond(agent["description"] != "", rx.text(agent["description"], size="1", color_scheme="gray"),
                rx.fragment()),
        detail or rx.fragment(),
        spacing="0",
        min_width="0",
        flex="1",
    )


def agent_row(agent: rx.Var[Any], *controls: rx.Component, detail: rx.Component | None = None) -> rx.Component:
    """One agent: its icon, name, description (and ``detail``), then ``controls``."""
    return rx.hstack(
        agent_icon(agent["icon"]),
        _summary(agent, detail),
        *controls,
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.4em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        custom_attrs={"data-testid": "agent-row"},
    )


def edit_controls(agent: rx.Var[Any], scope: str) -> list[rx.Component]:
    """The edit and delete buttons of an agent of ``scope``."""
    return [
        rx.icon_button(rx.icon("pencil", size=16), variant="ghost", on_click=AgentsState.open_edit(scope, agent["id"]),
                       aria_label=t("agents.edit"), title=t("agents.edit")),
        rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                       on_click=AgentsState.ask_delete(agent["id"], agent["name"]),
                       aria_label=t("agents.delete"), title=t("agents.delete")),
    ]


def _select(name: str, id_: str, items: list[rx.Component], value: rx.Var[Any], **props: Any) -> rx.Component:
    return rx.select.root(rx.select.trigger(id=id_), rx.select.content(*items), name=name, default_value=value,
                          key=AgentsState.editing_id + AgentsState.editor_scope, **props)


def _checks() -> rx.Component:
    collections = rx.cond(
        AgentsState.collection_options.length() > 0,
        rx.vstack(rx.foreach(AgentsState.collection_options, lambda option: rx.checkbox(
            option["name"], checked=AgentsState.draft_collections.contains(option["id"]),
            on_change=lambda checked: AgentsState.toggle_collection(option["id"], checked),
            custom_attrs={"data-testid": "agent-collection-" + option["id"].to(str)})), spacing="1"),
        rx.text(t("agents.no_collections"), size="1", color_scheme="gray"),
    )
    tools = rx.vstack(
        rx.checkbox(t("agents.all_tools"), checked=AgentsState.draft_all_tools, on_change=AgentsState.set_all_tools,
                    custom_attrs={"data-testid": "agent-all-tools"}),
        rx.cond(~AgentsState.draft_all_tools, rx.grid(*[
            rx.checkbox(t(f"agents.tool.{name}"), checked=AgentsState.draft_tools.contains(name),
                        on_change=lambda checked, name=name: AgentsState.toggle_tool(name, checked),
                        custom_attrs={"data-testid": f"agent-tool-{name}"})
            for name in tool_names()], columns="2", spacing="1", width="100%")),
        spacing="1", width="100%",
    )
    return rx.vstack(
        rx.text(t("agents.field.collection_ids"), size="2", weight="medium"),
        rx.text(t("agents.collections_hint"), size="1", color_scheme="gray"),
        rx.cond(AgentsState.draft_collections_gone & (AgentsState.draft_collections.length() == 0),
                rx.callout(t("agents.collections_gone"), icon="triangle-alert", color_scheme="amber", size="1",
                           id="agent-collections-gone")),
        collections,
        rx.text(t("agents.field.tools"), size="2", weight="medium"),
        tools,
        spacing="2", width="100%",
    )


def _provider_fields() -> rx.Component:
    """A general agent's provider (an administrator's) and model, instead of the tier's."""
    draft = AgentsState.draft
    return rx.vstack(
        rx.hstack(
            labelled("agents.field.provider_id", "agent-provider", _select("provider", "agent-provider", [
                rx.select.item(t("agents.tier_provider"), value=NO_PROVIDER),
                rx.foreach(AgentsState.provider_options,
                           lambda provider: rx.select.item(provider["name"], value=provider["id"]))],
                draft["provider"].to(str), on_change=AgentsState.choose_provider)),
            labelled("agents.field.model", "agent-model", rx.input(
                name="model", id="agent-model", default_value=draft["model"].to(str), max_length=200,
                key=AgentsState.editing_id, list="agent-models", auto_complete="off")),
            rx.el.datalist(rx.foreach(AgentsState.provider_models, lambda model: rx.el.option(value=model)),
                           id="agent-models"),
            rx.button(t("tiers.list_models"), type="button", variant="soft", id="agent-list-models",
                      disabled=AgentsState.draft_provider == NO_PROVIDER, loading=AgentsState.listing_models,
                      on_click=AgentsState.list_models),
            spacing="4", wrap="wrap", align="end",
        ),
        rx.text(t("agents.provider_hint"), size="1", color_scheme="gray"),
        spacing="1",
    )


def editor_dialog() -> rx.Component:
    """The dialog creating or editing an agent."""
    draft = AgentsState.draft
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(AgentsState.editing_id != "", t("agents.edit"), t("agents.new"))),
            rx.form(
                rx.vstack(
                    field_label("agents.field.name", "agent-name"),
                    rx.input(name="name", id="agent-name", default_value=draft["name"].to(str), required=True,
                             max_length=100, width="100%", key=AgentsState.editing_id),
                    field_label("agents.field.description", "agent-description"),
                    rx.input(name="description", id="agent-description", default_value=draft["description"].to(str),
                             max_length=500, width="100%", key=AgentsState.editing_id),
                    rx.hstack(
                        labelled("agents.field.icon", "agent-icon", _select("icon", "agent-icon", [
                            rx.select.item(rx.icon(icon, size=14, margin_right="0.4em"), t(f"agents.icon.{icon}"),
                                           value=icon) for icon in AGENT_ICONS], draft["icon"].to(str))),
                        labelled("agents.field.tier", "agent-tier", _select("tier", "agent-tier", [
                            rx.select.item(t(f"chat.tier.{tier}"), value=tier) for tier in TIERS],
                            draft["tier"].to(str))),
                        labelled("agents.field.skill_id", "agent-skill", _select("skill", "agent-skill", [
                            rx.select.item(t("agents.no_skill"), value=NO_SKILL),
                            rx.foreach(AgentsState.skill_options,
                                       lambda skill: rx.select.item(skill["name"], value=skill["id"]))],
                            draft["skill"].to(str))),
                        spacing="4", wrap="wrap",
                    ),
                    rx.cond(AgentsState.editor_scope == "general", _provider_fields()),
                    rx.cond(AgentsState.editor_scope == "general", rx.hstack(
                        rx.switch(name="is_active", id="agent-active", default_checked=draft["is_active"].to(bool),
                                  key=AgentsState.editing_id),
                        field_label("agents.field.is_active", "agent-active"), align="center", spacing="2")),
                    _checks(),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("common.cancel"), type="button", variant="soft",
                                                  color_scheme="gray")),
                        rx.button(t("common.save"), type="submit", id="agent-save"),
                        justify="end", spacing="3", width="100%",
                    ),
                    spacing="2", width="100%",
                ),
                on_submit=AgentsState.save,
            ),
            max_width="40em",
        ),
        open=AgentsState.dialog_open,
        on_open_change=AgentsState.set_dialog_open,
    )


def delete_dialog() -> rx.Component:
    """The confirmation before an agent is deleted."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("agents.delete_title")),
            rx.alert_dialog.description(rx.text(AgentsState.delete_name, weight="bold"),
                                        rx.text(t("agents.delete_confirm"))),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.button(t("agents.delete"), color_scheme="red", on_click=AgentsState.confirm_delete,
                          id="agent-delete-confirm"),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
        open=AgentsState.delete_id != "",
        on_open_change=AgentsState.set_delete_open,
    )


def _grantee(label: rx.Component, on_revoke: Any) -> rx.Component:
    return rx.hstack(label, rx.spacer(),
                     rx.button(t("agents.revoke"), size="1", variant="soft", color_scheme="red", on_click=on_revoke),
                     width="100%", align="center", custom_attrs={"data-testid": "agent-grantee"})


def grants_dialog() -> rx.Component:
    """Who a general agent is granted to, and granting it to a user (by e-mail) or a group (admins)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("agents.grants_title")),
            rx.text(AgentsState.grants_name, weight="bold"),
            rx.vstack(
                rx.text(t("agents.granted_users"), size="2", weight="medium"),
                rx.foreach(AgentsState.grant_users, lambda user: _grantee(
                    rx.text(user["email"], size="2"), AgentsState.revoke_user(user["id"]))),
                rx.hstack(
                    rx.input(value=AgentsState.grant_email, on_change=AgentsState.set_grant_email, type="email",
                             placeholder=t("agents.grant_email"), id="grant-email", flex="1"),
                    rx.button(t("agents.grant"), on_click=AgentsState.grant_user, id="grant-user"),
                    width="100%",
                ),
                rx.text(t("agents.granted_groups"), size="2", weight="medium"),
                rx.foreach(AgentsState.grant_groups, lambda group: _grantee(
                    rx.text(group["label"], size="2"),
                    AgentsState.revoke_group(group["id"]))),
                rx.cond(
                    AgentsState.group_options.length() > 0,
                    rx.hstack(
                        rx.select.root(
                            rx.select.trigger(placeholder=t("agents.pick_group"), id="grant-group-select", flex="1"),
                            rx.select.content(rx.foreach(AgentsState.group_options, lambda group: rx.select.item(
                                group["name"], value=group["id"]))),
                            value=AgentsState.grant_group_id, on_change=AgentsState.set_grant_group_id,
                        ),
                        rx.button(t("agents.grant"), on_click=AgentsState.grant_group, id="grant-group",
                                  disabled=AgentsState.grant_group_id == ""),
                        width="100%",
                    ),
                    rx.text(t("agents.no_groups"), size="1", color_scheme="gray"),
                ),
                rx.hstack(rx.dialog.close(rx.button(t("agents.close"), variant="soft", color_scheme="gray")),
                          justify="end", width="100%"),
                spacing="2", width="100%", margin_top="0.5em",
            ),
            max_width="36em",
        ),
        open=AgentsState.grants_id != "",
        on_open_change=AgentsState.set_grants_open,
    )
