"""Every error as an RFC 9457 problem+json document with a stable type; never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from client.errors import InvalidInput
from registry.api.rendering import JsonResponse
from registry.errors import PROBLEM_BASE, RegistryError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem(status: int, slug: str, title: str, detail: str, request: Request, **extra: Any) -> JsonResponse:
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JsonResponse(body, status_code=status, media_type=MEDIA_TYPE)


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is answered."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None


def _documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


# Every route may answer these; routes that need a session add 401 and 403.
COMMON_PROBLEMS = _documented(400, 404, 422, 500, 503)
AUTH_PROBLEMS = _documented(401, 403)
# Open routes that take an optional session (a lien's terms for those who may see them): a session
# that is sent but bad is refused with 401.
SESSION_PROBLEMS = _documented(401)
TOO_LARGE = _documented(413)
TOO_MANY = _documented(429)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("query", "limit") -> "limit"; ("body", "address") -> "address"
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    async def registry_error(request: Request, exc: RegistryError) -> JsonResponse:
        return problem(exc.status, exc.slug, exc.title, exc.detail, request, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JsonResponse:
        errors = [
            {
                # A body that is not JSON at all is located at its byte offset ("body", 0): name the body.
                "field": "body" if e.get("type") == "json_invalid" else _field(e.get("loc", ())),
                "message": str(e.get("msg", "invalid")),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid-request", "Invalid request", detail, request, errors=errors)

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput) -> JsonResponse:
        return problem(422, "invalid-request", "Invalid request", str(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JsonResponse:
        slug = {400: "bad-request", 404: "not-found", 405: "method-not-allowed"}.get(
            exc.status_code, "http-error"
        )
        response = problem(exc.status_code, slug, str(exc.detail), str(exc.detail), request)
        response.headers.update(exc.headers or {})  # 405 keeps its Allow header
        return response

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> JsonResponse:
        log.error("database unavailable", extra={"error": str(exc.orig)})
        return problem(
            503,
            "database-unavailable",
            "Database unavailable",
            "the registry database is not answering; retry shortly",
            request,
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JsonResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem(500, "internal-error", "Internal error", f"{type(exc).__name__}", request)
