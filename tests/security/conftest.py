"""Attacks on the running app (`assistant run` on a fresh data folder, as `make run` starts it) and on its
services: the same fixtures as the browser tests (``tests/support/app.py``) plus the database ones of
``tests/conftest.py``."""

from __future__ import annotations

from support.app import app_url, browser, patient_expect, shot, start_app  # noqa: F401 - fixtures
