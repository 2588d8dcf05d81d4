"""Markdown for text we did not write (model answers, document passages), rendered inert.

``react-markdown`` without ``rehype-raw`` shows raw HTML as text instead of parsing it, and its default
URL transform empties ``javascript:``, ``vbscript:`` and ``data:`` links
(https://github.com/remarkjs/react-markdown#defaulturltransformurl). Images are never loaded from
wherever a model or a document points (a tracking pixel, a request to an internal address): each
becomes a link the user may choose to open.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

_SRC: rx.Var[str] = rx.Var(_js_expr="props.src", _var_type=str)
_ALT: rx.Var[str] = rx.Var(_js_expr="(props.alt || props.src)", _var_type=str)


def _image_as_link(*_children: object, **_props: object) -> rx.Component:
    return rx.link(rx.icon("image", size=14), _ALT, href=_SRC, is_external=True, class_name="md-image-link")


def _external_link(*children: object, **_props: object) -> rx.Component:
    return rx.link(*children, is_external=True)


def safe_markdown(source: rx.Var[Any] | str, **props: object) -> rx.Component:
    """GitHub-flavoured Markdown (code blocks, tables) with raw HTML off and images as links."""
    return rx.markdown(
        source,
        use_raw=False,
        use_math=False,
        use_katex=False,
        component_map={"img": _image_as_link, "a": _external_link},
        **props,
    )
