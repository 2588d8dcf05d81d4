"""Account routes: register, login, refresh, logout, profile."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from assistant.api.deps import CurrentSessionId, CurrentUser, SessionDep, request_address
from assistant.models import UserCreate, UserPublic, UserUpdate
from assistant.services.auth import profile
from assistant.services.auth import service as auth

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    email: str
    password: str


class RefreshRequest(BaseModel):
    refresh_token: str


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    user: UserPublic


def _tokens(pair: auth.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        user=UserPublic.model_validate(pair.user, from_attributes=True),
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
def register(body: UserCreate, session: SessionDep) -> UserPublic:
    user = auth.register(session=session, data=body)
    return UserPublic.model_validate(user, from_attributes=True)


@router.post("/login", response_model=TokenResponse)
def login(body: LoginRequest, request: Request, session: SessionDep) -> TokenResponse:
    pair = auth.login(
        session=session,
        email=body.email,
        password=body.password,
        client_address=request_address(request),
        device_info=request.headers.get("user-agent", ""),
    )
    return _tokens(pair)


@router.post("/refresh", response_model=TokenResponse)
def refresh(body: RefreshRequest, session: SessionDep) -> TokenResponse:
    return _tokens(auth.refresh(session=session, refresh_token=body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, session: SessionDep) -> None:
    auth.logout(session=session, refresh_token=body.refresh_token)


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch("/me", response_model=UserPublic)
def update_me(body: UserUpdate, user: CurrentUser, session: SessionDep) -> UserPublic:
    changed = profile.update_profile(session=session, user=user, data=body)
    return UserPublic.model_validate(changed, from_attributes=True)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, user: CurrentUser, session_id: CurrentSessionId, session: SessionDep
) -> None:
    auth.change_password(
        session=session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=session_id,  # other devices are signed out, not the one asking
    )
