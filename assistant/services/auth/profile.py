"""A user's own profile and preferences: the checks of each field and applying a change."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlmodel import Session

from assistant.core.errors import InvalidInput
from assistant.models import TIERS, User, UserUpdate
from assistant.models.user import ANSWER_STYLES, SUPPORTED_LANGUAGES, UNITS


def check_language(language: str) -> str:
    """``language`` if the catalogue has it.

    Raises:
        InvalidInput: ``auth.language_unsupported``.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise InvalidInput("auth.language_unsupported")
    return language


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone.

    Raises:
        InvalidInput: ``auth.timezone_invalid``.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("auth.timezone_invalid") from exc
    return name


def check_display_name(name: str) -> str:
    """The display name trimmed (may be "").

    Raises:
        InvalidInput: ``auth.display_name_too_long`` over 100 characters.
    """
    name = name.strip()
    if len(name) > 100:
        raise InvalidInput("auth.display_name_too_long", max_length=100)
    return name


def _check_preferred_name(name: str) -> str:
    """The name to address the user by, on one line (it goes into the system prompt); "" = the display name."""
    name = " ".join(name.split())
    if len(name) > 100:
        raise InvalidInput("auth.preferred_name_too_long", max_length=100)
    return name


def _check_choice(value: str, allowed: tuple[str, ...], code: str) -> str:
    if value not in allowed:
        raise InvalidInput(code)
    return value


def _parse_user_update(data: UserUpdate | dict[str, Any]) -> UserUpdate:
    try:
        return data if isinstance(data, UserUpdate) else UserUpdate.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("errors.invalid_input") from exc


def update_profile(*, session: Session, user: User, data: UserUpdate | dict[str, Any]) -> User:
    """Change the acting user's own profile and preferences (a ``role`` is ignored): display name,
    language, time zone, the name to address them by (``preferred_name``, "" = the display name; trimmed,
    inner whitespace collapsed), ``answer_style`` (one of ``ANSWER_STYLES``), ``units`` (``UNITS``), the
    model tier of new chats (``default_tier``, one of ``TIERS``) and ``confirm_health_memories``. Fields
    left out (None) keep their value; every field is checked before any is applied.

    Raises:
        InvalidInput: unsupported language (``auth.language_unsupported``), unknown time zone
            (``auth.timezone_invalid``), empty or over-long display name, over-long preferred name
            (``auth.preferred_name_too_long``), unknown answer style, units or tier
            (``auth.answer_style_invalid``, ``auth.units_invalid``, ``auth.tier_invalid``), a value of
            the wrong type (``errors.invalid_input``).
    """
    payload = _parse_user_update(data)
    changes: dict[str, Any] = {}
    if payload.display_name is not None:
        changes["display_name"] = check_display_name(payload.display_name)
        if not changes["display_name"]:
            raise InvalidInput("auth.display_name_required")
    if payload.language is not None:
        changes["language"] = check_language(payload.language)
    if payload.timezone is not None:
        changes["timezone"] = check_timezone(payload.timezone)
    if payload.preferred_name is not None:
        changes["preferred_name"] = _check_preferred_name(payload.preferred_name)
    if payload.answer_style is not None:
        changes["answer_style"] = _check_choice(payload.answer_style, ANSWER_STYLES, "auth.answer_style_invalid")
    if payload.units is not None:
        changes["units"] = _check_choice(payload.units, UNITS, "auth.units_invalid")
    if payload.default_tier is not None:
        changes["default_tier"] = _check_choice(payload.default_tier, TIERS, "auth.tier_invalid")
    if payload.confirm_health_memories is not None:
        changes["confirm_health_memories"] = payload.confirm_health_memories
    for field, value in changes.items():
        setattr(user, field, value)
    session.add(user)
    session.flush()
    return user
