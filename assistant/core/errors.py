"""Typed errors raised by services.

Each carries an i18n message key (see ``assistant/i18n/en.json``) and parameters, so the UI shows a
translated message and the API maps the class to an HTTP status.
"""

from __future__ import annotations

from typing import Any


class ConfigurationError(RuntimeError):
    """The process cannot start with the current configuration (message is for the operator)."""


class AppError(Exception):
    """Base of the errors a user may see. ``code`` is an i18n key, ``params`` fill its placeholders."""

    status_code = 400
    default_code = "errors.generic"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or self.default_code
        self.params = params
        super().__init__(self.code)


class InvalidInput(AppError):
    status_code = 422
    default_code = "errors.invalid_input"


class Unauthorized(AppError):
    status_code = 401
    default_code = "errors.unauthorized"


class Forbidden(AppError):
    status_code = 403
    default_code = "errors.forbidden"


class NotFound(AppError):
    status_code = 404
    default_code = "errors.not_found"


class Conflict(AppError):
    status_code = 409
    default_code = "errors.conflict"


class TooManyRequests(AppError):
    status_code = 429
    default_code = "errors.too_many_requests"


class ProviderError(AppError):
    status_code = 502
    default_code = "errors.provider"
