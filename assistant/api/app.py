"""The FastAPI application: versioned routes under ``/api/v1`` and typed-error mapping."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.api.context import RequestContext
from assistant.api.routes import analytics, auth, chats, documents, health, reports
from assistant.core.errors import AppError
from assistant.core.i18n import translate


def create_api() -> FastAPI:
    """Build the API. Service errors become ``{"detail": message, "code": key}`` with their status (a 429 that
    names the seconds to wait also sends ``Retry-After``)."""
    api = FastAPI(title="assistant API", version="1", docs_url="/api/docs", openapi_url="/api/openapi.json")
    api.add_middleware(RequestContext)  # request ids in the logs and in X-Request-ID

    @api.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        language = "ru" if request.headers.get("accept-language", "").lower().startswith("ru") else "en"
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if exc.status_code == 429 and isinstance(exc.params.get("seconds"), int):
            headers = {"Retry-After": str(exc.params["seconds"])}
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": translate(exc.code, language, **exc.params), "code": exc.code},
            headers=headers,
        )

    api.include_router(health.router)
    api.include_router(auth.router, prefix="/api/v1")
    api.include_router(documents.router, prefix="/api/v1")
    api.include_router(reports.router, prefix="/api/v1")
    api.include_router(chats.router, prefix="/api/v1")
    api.include_router(analytics.router, prefix="/api/v1")
    return api
