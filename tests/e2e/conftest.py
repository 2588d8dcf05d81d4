"""Browser tests: the app started exactly as `make run` starts it, driven by Debian chromium.

One app per test module (`assistant run --prebuilt` on a fresh data folder; a module that needs more
settings starts its own through `start_app`;
``model_app_url`` is one with the module's scripted ``model``), all on the one port the frontend
was built for at the start of the run, and one browser for the run; screenshots go to
`tests/e2e/artifacts/`. The fixtures live in ``tests/support/app.py`` (shared with ``tests/security``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.app import app_url, patient_expect, shot, start_app  # noqa: F401 - fixtures
from support.llm_server import LoopbackLLMServer, openai_env
from support.scripted_model import ScriptedModel


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    """A scripted model on a loopback server, one per module."""
    with LoopbackLLMServer() as server:
        yield ScriptedModel(server)


@pytest.fixture(scope="module")
def model_app_url(start_app, model: ScriptedModel) -> Iterator[str]:  # noqa: F811 - the fixture imported above
    """The app with the OpenAI provider pointed at the module's scripted ``model`` (a broken stream fails in 30 s)."""
    with start_app(openai_env(model.server, timeout_seconds=30)) as url:
        yield url
