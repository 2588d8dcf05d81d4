"""Shared sizes and the global style."""

SIDEBAR_WIDTH = "15em"
#: Radix breakpoints: [initial, xs (520px), sm (768px), md (1024px), ...]. Mobile layout below 768px.
DESKTOP_ONLY = ["none", "none", "flex"]
MOBILE_ONLY = ["flex", "flex", "none"]

global_style = {
    "html, body": {"min_height": "100%"},
}
