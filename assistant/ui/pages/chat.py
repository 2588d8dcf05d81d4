"""The chat page: chat list, the open conversation, streaming answer and composer."""

from __future__ import annotations

from typing import Any, cast

import reflex as rx

from assistant.models import TIERS
from assistant.ui import routes
from assistant.ui.components.agents import agent_icon
from assistant.ui.components.chat_memory import remember_dialog
from assistant.ui.components.chat_messages import message_view, tool_card, user_bubble
from assistant.ui.components.markdown import safe_markdown
from assistant.ui.i18n import t
from assistant.ui.layouts.shell import app_shell
from assistant.ui.state.chat import NO_SKILL, ChatState
from assistant.ui.state.chat_agent import NO_AGENT
from assistant.ui.state.chat_export import ChatExportState
from assistant.ui.state.streaming import STREAM_PARTS


def chat_list() -> rx.Component:
    def entry(chat: rx.Var[Any]) -> rx.Component:
        return rx.link(
            rx.text(chat["title"].to(str) | t("chat.untitled"), size="2", trim="both", truncate=True),
            href=routes.CHATS + "/" + chat["id"].to(str),
            underline="none",
            padding="0.4em 0.6em",
            border_radius="var(--radius-2)",
            width="100%",
            background=rx.cond(chat["id"].to(str) == ChatState.chat_id, rx.color("accent", 4), "transparent"),
            _hover={"background": rx.color("accent", 3)},
            class_name="chat-link",
        )

    return rx.vstack(
        rx.button(rx.icon("plus", size=16), t("chat.new"), on_click=ChatState.new_chat, width="100%", id="new-chat"),
        rx.input(
            placeholder=t("chat.search"),
            value=ChatState.search_query,
            on_change=ChatState.set_search_query.debounce(300),
            width="100%",
            id="chat-search",
        ),
        rx.scroll_area(
            rx.vstack(rx.foreach(ChatState.chats, entry), spacing="1", width="100%"),
            type="auto",
            scrollbars="vertical",
            flex="1",
        ),
        rx.cond(
            ChatState.chats.length() == 0,
            rx.text(rx.cond(ChatState.search_query != "", t("chat.nothing_found"), t("page.chats.empty")),
                    size="2", color_scheme="gray", id="chat-list-empty"),
        ),
        rx.button(
            rx.cond(ChatState.show_archived, t("chat.show_active"), t("chat.show_archived")),
            variant="ghost", size="1", on_click=ChatState.toggle_archived, id="show-archived",
        ),
        width=["100%", "100%", "16em"],
        min_width=["0", "0", "16em"],
        height=["auto", "auto", "calc(100vh - 5em)"],
        spacing="2",
        padding_right="0.5em",
    )


def tier_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t("chat.tier"), id="tier-select"),
        rx.select.content(*[rx.select.item(t(f"chat.tier.{tier}"), value=tier, id=f"tier-{tier}") for tier in TIERS]),
        value=ChatState.chat_tier,
        on_change=ChatState.set_tier,
        size="1",
    )


def skill_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t("chat.skill"), id="skill-select"),
        rx.select.content(
            rx.select.item(t("chat.no_skill"), value=NO_SKILL),
            rx.foreach(ChatState.skills, lambda skill: rx.select.item(skill["name"], value=skill["id"])),
        ),
        value=ChatState.chat_skill,
        on_change=ChatState.set_skill,
        size="1",
    )


def agent_select() -> rx.Component:
    """The agent the chat talks to (the default assistant, or one of :func:`agents_for`); shown when the user
    has any agent or the chat has one."""
    return rx.cond(
        (ChatState.agents.length() > 0) | (ChatState.chat_agent != NO_AGENT),
        rx.select.root(
            rx.select.trigger(aria_label=t("chat.agent"), title=t("chat.agent"), id="agent-select"),
            rx.select.content(
                rx.select.item(t("chat.no_agent"), value=NO_AGENT, id="agent-none"),
                rx.foreach(ChatState.agents, lambda agent: rx.select.item(agent["name"], value=agent["id"])),
            ),
            value=ChatState.chat_agent,
            on_change=ChatState.set_agent,
            size="1",
        ),
    )


def agent_badge() -> rx.Component:
    """The chat's agent, its icon and name; red when the user may no longer use it."""
    return rx.cond(
        ChatState.chat_agent != NO_AGENT,
        rx.badge(agent_icon(ChatState.chat_agent_icon, 14), ChatState.chat_agent_name,
                 color_scheme=rx.cond(ChatState.chat_agent_available, "violet", "red"),
                 title=rx.cond(ChatState.chat_agent_available, t("chat.agent"), t("chat.agent_unavailable")),
                 id="chat-agent-badge", size="2"),
    )


def rename_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.icon_button(rx.icon("pencil", size=16), variant="ghost", on_click=ChatState.start_rename,
                           aria_label=t("chat.rename"), title=t("chat.rename"), id="chat-rename"),
        ),
        rx.dialog.content(
            rx.dialog.title(t("chat.rename")),
            rx.input(value=ChatState.rename_value, on_change=ChatState.set_rename_value, max_length=200,
                     id="rename-input"),
            rx.hstack(
                rx.dialog.close(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.dialog.close(rx.button(t("common.save"), on_click=ChatState.rename, id="rename-save")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                           aria_label=t("chat.delete"), title=t("chat.delete"), id="chat-delete"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("chat.delete")),
            rx.alert_dialog.description(t("chat.delete_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("chat.delete"), color_scheme="red", on_click=ChatState.delete_chat,
                                                 id="delete-confirm")),
                justify="end", spacing="3", margin_top="1em",
            ),
        ),
    )


def export_menu() -> rx.Component:
    """Export the open chat as PDF, Markdown or JSON (a download)."""
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("download", size=16), variant="ghost", aria_label=t("chat_export.menu"),
                                       title=t("chat_export.menu"), id="chat-export")),
        rx.menu.content(*[rx.menu.item(t(f"chat_export.{format}"), id=f"chat-export-{format}",
                                       on_click=ChatExportState.export(ChatState.chat_id, format))
                          for format in ("pdf", "md", "json")]),
    )


def chat_header() -> rx.Component:
    return rx.hstack(
        rx.heading(rx.cond(ChatState.chat_title != "", ChatState.chat_title, t("chat.untitled")),
                   size="4", id="chat-title", trim="both", truncate=True),
        rx.cond(ChatState.offline,
                rx.badge(rx.icon("cloud-off", size=12), t("chat.offline"), color_scheme="amber", id="offline-badge",
                         title=t("chat.offline_hint"))),
        rx.cond(ChatState.chat_archived, rx.badge(t("chat.archived"), color_scheme="gray")),
        agent_badge(),
        rx.spacer(),
        agent_select(),
        rx.cond(ChatState.chat_agent == NO_AGENT, rx.fragment(tier_select(), skill_select())),
        rename_dialog(),
        export_menu(),
        rx.icon_button(rx.icon(rx.cond(ChatState.chat_archived, "archive-restore", "archive"), size=16),
                       variant="ghost", on_click=ChatState.toggle_chat_archived,
                       aria_label=rx.cond(ChatState.chat_archived, t("chat.unarchive"), t("chat.archive")),
                       title=rx.cond(ChatState.chat_archived, t("chat.unarchive"), t("chat.archive")),
                       id="chat-archive"),
        delete_dialog(),
        width="100%",
        align="center",
        spacing="2",
        wrap="wrap",
        padding_bottom="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _streamed_text() -> rx.Var[Any]:
    """The streamed answer so far: the settled parts and the tail, joined in the browser."""
    text: rx.Var[Any] = cast("rx.Var[Any]", ChatState.stream_part_0)
    for index in range(1, STREAM_PARTS):
        text = text + getattr(ChatState, f"stream_part_{index}")
    return text + ChatState.stream_tail


def streaming_view() -> rx.Component:
    return rx.cond(
        ChatState.streaming,
        rx.vstack(
            rx.cond(ChatState.stream_question != "", user_bubble(ChatState.stream_question)),
            rx.foreach(ChatState.stream_tools, lambda call: tool_card(call["name"], call["arguments"], call["result"],
                                                                       call["is_error"].to(bool))),
            rx.cond(
                ChatState.stream_has_text,
                rx.box(safe_markdown(_streamed_text()), width="100%"),
                rx.hstack(rx.spinner(size="1"), rx.text(t("chat.thinking"), size="2", color_scheme="gray")),
            ),
            width="100%",
            spacing="2",
            id="streaming-answer",
        ),
    )


def conversation() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.cond(ChatState.has_older,
                    rx.button(t("chat.load_older"), variant="ghost", size="1", on_click=ChatState.load_older,
                              id="load-older", align_self="center")),
            rx.cond((ChatState.messages.length() == 0) & ~ChatState.streaming,
                    rx.text(t("chat.empty"), color_scheme="gray", id="chat-empty")),
            rx.foreach(ChatState.messages, message_view),
            streaming_view(),
            rx.cond(ChatState.error_notice != "",
                    rx.callout(
                        rx.hstack(
                            rx.text(ChatState.error_notice),
                            rx.cond(ChatState.can_retry,
                                    rx.button(t("chat.retry"), size="1", on_click=ChatState.regenerate, id="retry")),
                            align="center", spacing="3",
                        ),
                        icon="triangle-alert", color_scheme="red", id="chat-error",
                    )),
            spacing="4",
            width="100%",
            padding="0.5em 0",
        ),
        display="flex",
        flex_direction="column-reverse",
        overflow_y="auto",
        flex="1",
        width="100%",
        id="conversation",
    )


def composer() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(ChatState.editing,
                    rx.hstack(rx.text(t("chat.editing"), size="1", color_scheme="gray"),
                              rx.button(t("common.cancel"), size="1", variant="ghost", on_click=ChatState.cancel_edit,
                                        type="button"),
                              align="center")),
            rx.hstack(
                rx.text_area(
                    value=ChatState.draft,
                    on_change=ChatState.set_draft,
                    placeholder=t("chat.placeholder"),
                    enter_key_submit=True,
                    auto_height=True,
                    max_length=32_000,
                    rows="2",
                    width="100%",
                    id="chat-input",
                ),
                rx.cond(
                    ChatState.streaming,
                    rx.button(rx.icon("square", size=16), t("chat.stop"), color_scheme="red", type="button",
                              on_click=ChatState.stop, id="chat-stop"),
                    rx.button(rx.icon("send", size=16), t("chat.send"), type="submit", id="chat-send",
                              disabled=ChatState.draft.strip() == ""),
                ),
                width="100%",
                align="end",
            ),
            width="100%",
            spacing="1",
        ),
        on_submit=lambda _form: ChatState.send,
        width="100%",
    )


def open_chat() -> rx.Component:
    return rx.vstack(
        chat_header(),
        conversation(),
        composer(),
        remember_dialog(),
        width="100%",
        height=["auto", "auto", "calc(100vh - 6em)"],
        min_height="60vh",
        spacing="2",
    )


def no_chat_open() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("messages-square", size=40, color=rx.color("gray", 8)),
            rx.text(t("chat.pick_or_start"), color_scheme="gray", text_align="center", id="empty-state"),
            rx.button(rx.icon("plus", size=16), t("chat.new"), on_click=ChatState.new_chat, id="start-chat"),
            rx.cond(ChatState.agents.length() > 0, rx.vstack(
                rx.text(t("chat.start_with_agent"), size="2", color_scheme="gray"),
                rx.flex(rx.foreach(ChatState.agents, lambda agent: rx.button(
                    agent_icon(agent["icon"], 16), agent["name"], variant="soft",
                    on_click=ChatState.new_chat_with(agent["id"]), custom_attrs={"data-testid": "start-with-agent"})),
                    wrap="wrap", spacing="2", justify="center"),
                align="center", spacing="2")),
            align="center",
            spacing="3",
            padding_y="4em",
        ),
        width="100%",
    )


def chat_page() -> rx.Component:
    """``/chats`` and ``/chats/<id>``."""
    return app_shell(
        "page.chats.title",
        rx.flex(
            chat_list(),
            rx.cond(ChatState.chat_id != "", open_chat(), no_chat_open()),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3",
            width="100%",
        ),
        wide=True,
    )
