"""The "Model tiers" card of the admin page: one form per tier.

Ids per tier ``<name>`` (``small``, ``medium``, ``large``): ``#tier-<name>-provider`` (the select's
trigger), ``#tier-<name>-model``, ``#tier-<name>-max-tokens``, ``#tier-<name>-temperature``,
``#tier-<name>-context-window``, ``#tier-<name>-save``, ``#tier-<name>-status`` (whether the chosen
provider can answer), ``#tier-<name>-list-models`` (asks the provider for its models, which become the model
field's suggestions, ``#tier-<name>-models``; any model name may still be typed).
"""

from __future__ import annotations

import reflex as rx

from assistant.services.llm.base import DEFAULT_TIERS
from assistant.ui.components.forms import field_label
from assistant.ui.i18n import t
from assistant.ui.state.tiers import TiersState


def _number_field(name: str, field: str, label_key: str, **limits: object) -> rx.Component:
    id_ = f"tier-{name}-{field.replace('_', '-')}"
    return rx.vstack(
        field_label(label_key, id_),
        rx.input(
            name=field,
            id=id_,
            type="number",
            default_value=TiersState.tiers[name][field].to(str),
            required=True,
            width="9em",
            **limits,
        ),
        spacing="1",
    )


def _provider_select(name: str) -> rx.Component:
    return rx.vstack(
        field_label("tiers.field.provider", f"tier-{name}-provider"),
        rx.select.root(
            rx.select.trigger(id=f"tier-{name}-provider", min_width="19em"),
            rx.select.content(
                rx.foreach(TiersState.provider_options,
                           lambda option: rx.select.item(option["label"], value=option["value"])),
            ),
            name="provider",
            value=TiersState.tiers[name]["provider"].to(str),
            on_change=lambda provider: TiersState.choose_provider(name, provider),
        ),
        spacing="1",
    )


def _status(name: str) -> rx.Component:
    configured = TiersState.tiers[name]["configured"] == "yes"
    return rx.hstack(
        rx.cond(
            configured,
            rx.icon("circle-check", size=16, color=rx.color("green", 10)),
            rx.icon("circle-alert", size=16, color=rx.color("amber", 10)),
        ),
        rx.text(
            rx.cond(configured, t("tiers.configured"), t("tiers.no_key")),
            size="2",
            color_scheme=rx.cond(configured, "green", "amber"),
        ),
        id=f"tier-{name}-status",
        align="center",
        spacing="1",
    )


def _tier_form(name: str) -> rx.Component:
    row = TiersState.tiers[name]
    return rx.form(
        rx.vstack(
            rx.heading(t(f"chat.tier.{name}"), size="3"),
            rx.hstack(
                _provider_select(name),
                rx.vstack(
                    field_label("tiers.field.model", f"tier-{name}-model"),
                    rx.input(name="model", id=f"tier-{name}-model", default_value=row["model"].to(str),
                             required=True, max_length=200, width="18em", list=f"tier-{name}-models",
                             auto_complete="off"),
                    rx.el.datalist(
                        rx.foreach(TiersState.models.get(name, []).to(list[str]),
                                   lambda model: rx.el.option(value=model)),
                        id=f"tier-{name}-models",
                    ),
                    spacing="1",
                ),
                rx.button(
                    t("tiers.list_models"),
                    type="button",
                    variant="soft",
                    id=f"tier-{name}-list-models",
                    loading=TiersState.listing == name,
                    on_click=TiersState.list_models(name),
                ),
                spacing="4",
                wrap="wrap",
                align="end",
            ),
            _status(name),
            rx.hstack(
                _number_field(name, "max_tokens", "tiers.field.max_tokens", min=1, max=200_000, step=1),
                _number_field(name, "temperature", "tiers.field.temperature", min=0, max=2, step="any"),
                _number_field(name, "context_window", "tiers.field.context_window", min=1024, max=10_000_000,
                              step=1),
                spacing="4",
                wrap="wrap",
            ),
            rx.button(t("common.save"), type="submit", id=f"tier-{name}-save"),
            spacing="2",
            width="100%",
            padding_y="0.6em",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
        ),
        on_submit=lambda form: TiersState.save(name, form),
        key=row["key"].to(str),
        width="100%",
    )


def tiers_card() -> rx.Component:
    """The card with a form per tier (small, medium, large), shown once the tiers are loaded."""
    return rx.card(
        rx.vstack(
            rx.heading(t("tiers.title"), size="4"),
            rx.text(t("tiers.hint"), size="2", color_scheme="gray"),
            rx.cond(
                TiersState.loaded,
                rx.vstack(*[_tier_form(name) for name in DEFAULT_TIERS], spacing="2", width="100%"),
                rx.spinner(),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )
