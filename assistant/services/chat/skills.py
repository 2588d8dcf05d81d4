"""Skills: system-prompt presets. General skills (``owner_id`` None) are managed by admins and offered to
every user; personal skills belong to one user and are invisible to everyone else."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import or_
from sqlmodel import Session, col, select

from assistant.core.errors import Forbidden, InvalidInput, NotFound
from assistant.models import Role, Skill, User
from assistant.models.base import utcnow
from assistant.services.admin import audit
from assistant.services.auth.permissions import has_role

#: Lucide icon names a skill may show.
SKILL_ICONS = (
    "sparkles", "stethoscope", "pill", "heart-pulse", "book-open", "graduation-cap", "code", "pen-line",
    "languages", "briefcase", "calculator", "lightbulb",
)
MAX_SYSTEM_PROMPT_CHARS = 20_000

SkillScope = Literal["general", "personal"]


class SkillInput(BaseModel):
    """What an editor submits for a skill.

    Raises:
        pydantic.ValidationError: blank name or prompt, too long, or an icon not in :data:`SKILL_ICONS`.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    system_prompt: str = Field(min_length=1, max_length=MAX_SYSTEM_PROMPT_CHARS)
    icon: str = "sparkles"
    is_active: bool = True
    position: int = Field(default=0, ge=0, le=10_000)

    @field_validator("icon")
    @classmethod
    def _known_icon(cls, value: str) -> str:
        if value not in SKILL_ICONS:
            raise ValueError("unknown icon")
        return value


def _validated(data: dict[str, Any]) -> SkillInput:
    try:
        return SkillInput.model_validate(data)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "skill"
        raise InvalidInput("skills.invalid", field=field) from exc


def list_skills(*, session: Session, user: User, scope: SkillScope | None = None,
                active_only: bool = False) -> list[Skill]:
    """Skills ``user`` may see, general ones first, each group by ``position`` then name.

    Args:
        scope: only ``general`` or only ``personal`` (the user's own) skills; None for both.
        active_only: leave out switched-off skills (the chat's skill picker).
    """
    query = select(Skill)
    if scope == "general":
        query = query.where(col(Skill.owner_id).is_(None))
    elif scope == "personal":
        query = query.where(Skill.owner_id == user.id)
    else:
        query = query.where(or_(col(Skill.owner_id).is_(None), col(Skill.owner_id) == user.id))
    if active_only:
        query = query.where(col(Skill.is_active).is_(True))
    query = query.order_by(col(Skill.owner_id).is_not(None), col(Skill.position), col(Skill.name))
    return list(session.exec(query))


def _visible(session: Session, user: User, skill_id: uuid.UUID) -> Skill:
    skill = session.get(Skill, skill_id)
    if skill is None or (skill.owner_id is not None and skill.owner_id != user.id):
        raise NotFound("skills.not_found")
    return skill


def _editable(session: Session, user: User, skill_id: uuid.UUID) -> Skill:
    skill = _visible(session, user, skill_id)
    if skill.owner_id is None and not has_role(user, Role.ADMIN):
        raise Forbidden("errors.forbidden")
    return skill


def get_usable_skill(*, session: Session, user: User, skill_id: uuid.UUID) -> Skill:
    """The active skill ``skill_id`` if ``user`` may use it (general, or their own).

    Raises:
        NotFound: ``skills.not_found`` for another user's skill, a missing one or a switched-off one.
    """
    skill = _visible(session, user, skill_id)
    if not skill.is_active:
        raise NotFound("skills.not_found")
    return skill


def create_skill(*, session: Session, user: User, scope: SkillScope, data: dict[str, Any]) -> Skill:
    """Create a personal skill for ``user`` or, for an admin, a general one.

    Raises:
        Forbidden: a general skill by a non-admin.
        InvalidInput: ``skills.invalid`` (see :class:`SkillInput`).
    """
    if scope == "general" and not has_role(user, Role.ADMIN):
        raise Forbidden("errors.forbidden")
    values = _validated(data)
    skill = Skill(owner_id=None if scope == "general" else user.id, **values.model_dump())
    session.add(skill)
    session.flush()
    if skill.owner_id is None:
        audit.record(session, actor=user, action="skill.create", target_type="skill", target_id=skill.id,
                     target_label=skill.name, after=_logged(skill))
    return skill


def update_skill(*, session: Session, user: User, skill_id: uuid.UUID, data: dict[str, Any]) -> Skill:
    """Replace a skill's fields.

    Raises:
        NotFound: another user's personal skill, or none.
        Forbidden: a general skill edited by a non-admin.
        InvalidInput: ``skills.invalid``.
    """
    skill = _editable(session, user, skill_id)
    before = _logged(skill)
    for key, value in _validated(data).model_dump().items():
        setattr(skill, key, value)
    skill.updated_at = utcnow()
    session.add(skill)
    session.flush()
    if skill.owner_id is None:
        audit.record(session, actor=user, action="skill.update", target_type="skill", target_id=skill.id,
                     target_label=skill.name, before=before, after=_logged(skill))
    return skill


def delete_skill(*, session: Session, user: User, skill_id: uuid.UUID) -> None:
    """Delete a skill; chats that used it go on without one.

    Raises:
        NotFound, Forbidden: as :func:`update_skill`.
    """
    skill = _editable(session, user, skill_id)
    if skill.owner_id is None:
        audit.record(session, actor=user, action="skill.delete", target_type="skill", target_id=skill.id,
                     target_label=skill.name, before=_logged(skill))
    session.delete(skill)
    session.flush()


def _logged(skill: Skill) -> dict[str, Any]:
    """What the audit log keeps of a general skill: its name, whether it is on, the prompt's length."""
    return {"name": skill.name, "active": skill.is_active, "prompt_characters": len(skill.system_prompt)}
