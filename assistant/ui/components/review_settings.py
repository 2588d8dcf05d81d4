"""The Settings page's "Daily review" section (``#review-settings``): the ``#review-on`` switch, the local time
``#review-time``, ``#review-save``, and the outcome in ``#review-message`` or ``#review-error``."""

from __future__ import annotations

import reflex as rx

from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.review import ReviewSettingsState

_STATE = ReviewSettingsState


def review_settings() -> rx.Component:
    """The section (a card that loads itself when it mounts)."""
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("review.settings_title"), size="4"),
                rx.text(t("review.settings_hint"), size="2", color_scheme="gray"),
                rx.hstack(
                    rx.switch(id="review-on", checked=_STATE.review_on, on_change=_STATE.set_review_on),
                    field_label("review.settings_on", "review-on"),
                    spacing="2",
                    align="center",
                ),
                rx.vstack(field_label("review.settings_time", "review-time"),
                          rx.input(type="time", name="review_time", id="review-time",
                                   default_value=_STATE.review_time, disabled=~_STATE.review_on),
                          spacing="1"),
                rx.cond(_STATE.review_error != "",
                        rx.callout(_STATE.review_error, color_scheme="red", id="review-error", width="100%")),
                rx.cond(_STATE.review_message != "",
                        rx.callout(_STATE.review_message, color_scheme="green", id="review-message", width="100%")),
                rx.button(t("common.save"), type="submit", id="review-save"),
                spacing="2",
                width="100%",
            ),
            on_submit=_STATE.save_review,
            key=_STATE.review_form_key.to(str),
        ),
        id="review-settings",
        width="100%",
        on_mount=_STATE.load_review,
    )
