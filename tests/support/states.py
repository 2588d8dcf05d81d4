"""A browser tab's UI state without a browser: a state instance signed in with a token pair, whose events the
tests await as the app would run them for that tab."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import reflex as rx


def open_tab(state_class: type[rx.State], pair: Any = None, lang: str = "en") -> Any:
    """``state_class``'s instance in a fresh state tree, in ``lang``; with ``pair`` (access and refresh token)
    it is signed in and has run ``check_login`` as a page load does."""
    state = rx.State(_reflex_internal_init=True).get_substate(state_class.get_full_name().split(".")[1:])
    state.lang = lang
    if pair is not None:
        state.access_token, state.refresh_token = pair.access_token, pair.refresh_token
        asyncio.run(state.check_login())
    return state


def run_background(state: Any, name: str) -> Any:
    """Run the background event ``name`` of ``state`` to its end: what it returned, or the list of what it
    yielded."""
    result = type(state).event_handlers[name].fn(state)
    if inspect.isasyncgen(result):
        async def drain() -> list[Any]:
            return [item async for item in result]

        return asyncio.run(drain())
    return asyncio.run(result)
