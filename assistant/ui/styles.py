"""Shared sizes and the global style."""

from typing import Any

SIDEBAR_WIDTH = "15em"
#: Radix breakpoints: [initial, xs (520px), sm (768px), md (1024px), ...]. Mobile layout below 768px.
DESKTOP_ONLY = ["none", "none", "flex"]
MOBILE_ONLY = ["flex", "flex", "none"]

#: Tables in rendered Markdown (answers, passages) get cell borders.
_MARKDOWN_TABLE = {"border_collapse": "collapse", "margin": "0.5em 0", "display": "block", "overflow_x": "auto"}
_MARKDOWN_CELL = {"border": "1px solid var(--gray-6)", "padding": "0.3em 0.6em", "text_align": "left"}

global_style: dict[Any, Any] = {
    "html, body": {"min_height": "100%"},
    ".answer-text table, #streaming-answer table": _MARKDOWN_TABLE,
    ".answer-text th, .answer-text td, #streaming-answer th, #streaming-answer td": _MARKDOWN_CELL,
}
