"""Fixtures shared by the service tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def call(db) -> Callable[..., Any]:
    """``call(fn, **kwargs)``: ``fn(session=..., **kwargs)`` in its own committed transaction, as one
    request of the UI or the API would run it."""
    from assistant.core.db import session_scope

    def _call(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        with session_scope() as session:
            return fn(session=session, **kwargs)

    return _call
