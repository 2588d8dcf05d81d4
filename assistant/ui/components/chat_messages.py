"""How a chat's stored messages look: the user's bubble, the assistant's answer with its tool calls,
citations and actions, a tool's result (or the card of a memory change, see
:mod:`assistant.ui.components.chat_memory`, or of proposed medication reminders, see
:mod:`assistant.ui.components.proposal_card`, or of a report, see :mod:`assistant.ui.components.report_card`) and
the "what the assistant saw" dialog.

A stored message is ``#message-<id>`` with the classes ``message message-user`` or
``message message-assistant`` (and ``message-marked`` when a link opened it); an answer's text is
``.answer-text``, its notice ``.message-notice``, its citations ``.citation``, its token count
``.token-usage`` and its buttons ``.copy-answer``, ``.show-context`` (the dialog ``#context-dialog``),
``#regenerate`` (last answer) and ``#edit-last`` (last user message). A tool call is ``.tool-call``, its
result ``.tool-result``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from assistant.models import MessageRole
from assistant.ui.components.chat_memory import memory_card, remember_button
from assistant.ui.components.markdown import safe_markdown
from assistant.ui.components.proposal_card import proposal_card
from assistant.ui.components.report_card import report_card
from assistant.ui.i18n import t
from assistant.ui.state.chat import MESSAGE_ELEMENT, ChatState

BUBBLE = {"padding": "0.6em 0.9em", "border_radius": "var(--radius-3)", "max_width": "100%"}
#: How the message a link opened (``?message=<id>``) is marked.
MARKED = {"outline": f"2px solid {rx.color('amber', 8)}", "outline_offset": "-2px", "border_radius": "var(--radius-3)",
          "background": rx.color("amber", 2)}


def tool_card(name: rx.Var[Any], arguments: rx.Var[Any], result: rx.Var[Any], is_error: rx.Var[Any]) -> rx.Component:
    """A tool call: its name and arguments (JSON text), and its result ("" for none; red when ``is_error``)."""
    return rx.card(
        rx.hstack(
            rx.icon("wrench", size=14),
            rx.code(name, variant="ghost"),
            rx.text(arguments, size="1", color_scheme="gray", trim="both", truncate=True),
            align="center", spacing="2",
        ),
        # a long result (a search's passages) scrolls inside the card instead of pushing the answer away
        rx.cond(result != "", rx.text(result, size="1", color_scheme=rx.cond(is_error, "red", "gray"),
                                      white_space="pre-wrap", word_break="break-word", max_height="7.5em",
                                      overflow_y="auto", class_name="tool-result")),
        size="1",
        width="100%",
        class_name="tool-call",
    )


def context_dialog(message_id: rx.Var[Any]) -> rx.Component:
    """The button of an answer that opens "what the assistant saw" for it, and that dialog."""
    def section(item: rx.Var[Any]) -> rx.Component:
        return rx.box(
            rx.hstack(rx.text(item["label"], weight="bold", size="2"), rx.spacer(),
                      rx.text(item["tokens"], size="1", color_scheme="gray")),
            rx.text(item["content"], size="2", white_space="pre-wrap", word_break="break-word"),
            padding="0.5em 0",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
            width="100%",
        )

    return rx.dialog.root(
        rx.dialog.trigger(
            rx.icon_button(rx.icon("scan-eye", size=14), variant="ghost", size="1",
                           on_click=ChatState.show_context(message_id),
                           aria_label=t("chat.what_it_saw"), title=t("chat.what_it_saw"), class_name="show-context"),
        ),
        rx.dialog.content(
            rx.dialog.title(t("chat.what_it_saw")),
            rx.scroll_area(rx.vstack(rx.foreach(ChatState.context_sections, section), width="100%"),
                           max_height="60vh", type="auto", scrollbars="vertical"),
            rx.hstack(rx.dialog.close(rx.button(t("common.close"), variant="soft")), justify="end", margin_top="1em"),
            max_width="48em",
            id="context-dialog",
        ),
    )


def user_bubble(content: rx.Var[Any], *extra: rx.Component, **props: Any) -> rx.Component:
    """A user message's text, right-aligned, ``extra`` below it; ``props`` override the stack's."""
    return rx.vstack(
        rx.box(rx.text(content, white_space="pre-wrap", word_break="break-word"),
               background=rx.color("accent", 3), **BUBBLE),
        *extra,
        **{"align": "end", "width": "100%", "spacing": "1", "class_name": "message message-user", **props},
    )


def _marking(message: rx.Var[Any], role_class: str) -> dict[str, Any]:
    """A stored message's element id and classes, with the mark when a link opened it."""
    marked = message["id"].to(str) == ChatState.marked_message_id
    return {"id": MESSAGE_ELEMENT + message["id"].to(str),
            "class_name": rx.cond(marked, f"message {role_class} message-marked", f"message {role_class}"),
            **{name: rx.cond(marked, value, "") for name, value in MARKED.items()}}


def message_view(message: rx.Var[Any]) -> rx.Component:
    """One stored message (a dict of :func:`assistant.ui.state.chat_view.message_dicts`) by its role."""
    message_id = message["id"].to(str)
    is_last_user = message_id == ChatState.last_user_id
    is_last_answer = message_id == ChatState.last_answer_id
    user = user_bubble(
        message["content"].to(str),
        rx.hstack(
            remember_button(message_id),
            rx.cond(is_last_user & ~ChatState.streaming,
                    rx.icon_button(rx.icon("pencil", size=14), variant="ghost", size="1",
                                   on_click=ChatState.start_edit, aria_label=t("chat.edit"), title=t("chat.edit"),
                                   id="edit-last")),
            spacing="2",
        ),
        **_marking(message, "message-user"),
    )
    tool = rx.cond(message["change_id"].to(str) != "",
                   memory_card(message["memory"].to(dict[str, Any])),
                   rx.cond(message["proposal_id"].to(str) != "",
                           proposal_card(message["proposal"].to(dict[str, Any])),
                           rx.cond(message["report_id"].to(str) != "",
                                   report_card(message["report"].to(dict[str, Any])),
                                   tool_card(message["tool_name"].to(str), rx.Var.create(""),
                                             message["content"].to(str), message["is_error"].to(bool)))))
    calls = rx.foreach(message["calls"].to(list[dict[str, str]]),
                       lambda call: tool_card(call["name"], call["arguments"], rx.Var.create(""), rx.Var.create(False)))
    citations = rx.foreach(
        message["citations"].to(list[dict[str, str]]),
        lambda c: rx.link(
            rx.badge("[" + c["number"] + "] " + c["title"]
                     + rx.cond(c["page"] != "", ", " + t("chat.page") + " " + c["page"], ""), variant="soft"),
            href=c["href"], class_name="citation", underline="none"),
    )
    assistant = rx.vstack(
        calls,
        rx.cond(message["content"].to(str) != "", rx.box(safe_markdown(message["content"].to(str)), width="100%",
                                                            class_name="answer-text")),
        # a failed last answer's notice is already in the error callout below the chat, with its retry
        rx.cond((message["notice"].to(str) != "") & ~(is_last_answer & (ChatState.error_notice != "")),
                rx.callout(message["notice"].to(str), icon="triangle-alert", color_scheme="amber", size="1",
                           class_name="message-notice")),
        rx.hstack(citations, wrap="wrap", spacing="1"),
        rx.hstack(
            rx.text(message["model"].to(str), size="1", color_scheme="gray"),
            rx.text(message["tokens"].to(str), size="1", color_scheme="gray", class_name="token-usage"),
            rx.text(message["seconds"].to(str), size="1", color_scheme="gray"),
            rx.icon_button(rx.icon("copy", size=14), variant="ghost", size="1",
                           on_click=[rx.set_clipboard(message["content"].to(str)), rx.toast.info(t("chat.copied"))],
                           aria_label=t("chat.copy"), title=t("chat.copy"), class_name="copy-answer"),
            context_dialog(message_id),
            rx.cond(message["content"].to(str) != "", remember_button(message_id)),
            rx.cond(is_last_answer & ~ChatState.streaming,
                    rx.icon_button(rx.icon("refresh-cw", size=14), variant="ghost", size="1",
                                   on_click=ChatState.regenerate, aria_label=t("chat.regenerate"),
                                   title=t("chat.regenerate"), id="regenerate")),
            align="center", spacing="2", wrap="wrap",
        ),
        width="100%",
        align="start",
        spacing="1",
        **_marking(message, "message-assistant"),
    )
    return rx.match(message["role"].to(str), (MessageRole.USER.value, user), (MessageRole.TOOL.value, tool), assistant)
