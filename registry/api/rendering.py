"""The service's one JSON renderer: pydantic-core's serialiser (Rust), for route answers and
problem documents alike.

Routes that declare a `response_model` and return model instances are rendered by FastAPI with the
same serialiser (the model's schema). The hot read routes (receipts, one and by the page) return
`json_response(...)` of plain dicts built straight from Core rows instead: no model instance per
row and no second validation of the answer. Their dicts carry the response model's fields in its
order and types, so the bytes are those the model would give; tests/registry/test_api.py checks
each against its model.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from starlette.background import BackgroundTask
from starlette.responses import Response

MEDIA_TYPE = "application/json"


class JsonResponse(Response):
    """JSON rendered by pydantic-core: compact, UTF-8, datetimes as RFC 3339 (UTC as "Z")."""

    media_type = MEDIA_TYPE

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        return to_json(content)


def json_response(content: Any, *, status_code: int = 200, media_type: str = MEDIA_TYPE) -> JsonResponse:
    return JsonResponse(content, status_code=status_code, media_type=media_type)
