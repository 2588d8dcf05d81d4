"""Writing and sending one user's daily review.

With a model (the user's default tier answers): the model writes the review from the gathered lists
(:mod:`.materials`, at most :data:`~.materials.MAX_INPUT_CHARS` characters in, :data:`REVIEW_MAX_TOKENS`
tokens out) and it is sent as an ``ai_generated`` notification. Without one (offline mode, or the provider
failed): a plain digest of the same lists, sent as an ``info`` notification. Either goes to the user's channels
for the daily review, those chosen for ``ai_generated`` (:func:`assistant.services.notifications.delivery.
send_notification`), at most once per
user and local day (idempotency key ``review:<user id>:<local date>``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.core.i18n import LANGUAGE_NAMES, format_date, translate
from assistant.models import DeliveryPreferences, NotificationType, User
from assistant.services.chat.upkeep import complete
from assistant.services.llm.base import ChatMessage
from assistant.services.llm.tiers import get_tier, provider_for, tier_offline
from assistant.services.notifications.delivery import send_notification
from assistant.services.review.materials import Materials, as_text, gather
from assistant.services.review.timing import review_schedule
from assistant.services.tasks.due import today

log = logging.getLogger(__name__)

#: The longest review a model may write, in tokens.
REVIEW_MAX_TOKENS = 700
_SYSTEM = (
    "You write the user's daily review as their personal assistant. Write in {language}. Use only the facts "
    "below, which the user keeps in this assistant; do not invent anything and give no medical advice beyond "
    "them. Start with what needs attention today (overdue tasks first), then the reminders coming up, missed "
    "doses if the adherence shows any, and new documents; mention a remembered fact only when it matters for "
    "today. Markdown, at most 200 words, no greeting formulas beyond one short line."
)


@dataclass(frozen=True)
class Review:
    """A written review: its notification type (``ai_generated`` or ``info``), title and Markdown body."""

    type: NotificationType
    title: str
    body: str


def digest(materials: Materials, user: User, now: datetime) -> Review:
    """The plain review without a model: the lists under headings, or one line when nothing is due."""
    language = user.language
    title = translate("review.title", language, date=format_date(now, language, user.timezone))
    body = as_text(materials, language) if not materials.is_empty() else translate("review.nothing", language)
    return Review(NotificationType.INFO, title, body)


def write_review(*, session: Session, user: User, now: datetime, since: datetime | None) -> Review:
    """The review of ``user`` at ``now``: written by the model when one answers for the user's default tier and
    there is something to review, else :func:`digest`. The model is called with the session's data already
    read; a provider failure falls back to the digest (logged)."""
    materials = gather(session=session, user=user, since=since, now=now)
    plain = digest(materials, user, now)
    settings = get_settings()
    if materials.is_empty() or tier_offline(session=session, name=user.default_tier, settings=settings):
        return plain
    tier = get_tier(session=session, name=user.default_tier)
    provider = provider_for(tier, settings)
    if provider is None:
        return plain
    system = _SYSTEM.format(language=LANGUAGE_NAMES.get(user.language, "English"))
    prompt = f"{translate('review.title', user.language, date=format_date(now, user.language, user.timezone))}\n\n" \
             f"{as_text(materials, user.language)}"

    async def _ask() -> str | None:
        try:
            return await complete(provider, tier, system, [ChatMessage(role="user", content=prompt)],
                                  max_tokens=REVIEW_MAX_TOKENS)
        finally:
            await provider.aclose()

    text = asyncio.run(_ask())
    if not text:
        log.warning("the model did not write the daily review of user %s; the plain digest is sent", user.id)
        return plain
    return Review(NotificationType.AI_GENERATED, plain.title, text)


def send_review(user_id: uuid.UUID, *, now: datetime) -> bool:
    """Write and send the daily review of ``user_id`` for its local day of ``now`` (the worker's job).

    Returns False, sending nothing, when the user is gone or inactive, turned the review off, or already had
    this day's review (its idempotency key is taken). ``last_review_at`` becomes ``now``.
    """
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return False
        enabled, _, last = review_schedule(session=session, user=user)
        day = today(now, user.timezone)
        if not enabled or (last is not None and today(last, user.timezone) == day):
            return False
        review = write_review(session=session, user=user, now=now, since=last)
        key = f"review:{user.id}:{day.isoformat()}"
        sent = send_notification(session=session, user_id=user.id, type=review.type, title=review.title,
                                 body=review.body, idempotency_key=key, now=now,
                                 channels_of=NotificationType.AI_GENERATED)
        prefs = session.get(DeliveryPreferences, user.id, with_for_update=True) or DeliveryPreferences(user_id=user.id)
        prefs.last_review_at = now
        session.add(prefs)
        return sent is not None
