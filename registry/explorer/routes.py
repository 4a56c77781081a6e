"""The explorer's routes: read-only HTML pages over the index, one per thing, every fact linked.

Errors on these routes are HTML pages too (a person reads them, not a program): an unknown id is a
404 page, a malformed one a 422 page naming the field. The routes stay out of the OpenAPI schema,
which describes the JSON API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from functools import cache
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from client.errors import InvalidInput
from registry.api.deps import ADDRESS_PATTERN, address, db, lot_id
from registry.db.models import Lot
from registry.errors import InvalidRequest, NotFound, RegistryError
from registry.explorer import pages
from registry.explorer.facts import Cell, Fact, Links
from registry.explorer.settings import ExplorerSettings
from registry.services import identifiers

log = logging.getLogger(__name__)

HERE = FilePath(__file__).parent
MAX_ID = 2**63 - 1
TX_PATTERN = r"^0x[0-9a-fA-F]{64}$"
# No script, no third-party anything: the pages are documents.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@cache
def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fact"] = fact_html
    env.filters["cell"] = cell_html
    return env


def fact_html(f: Fact) -> Markup:
    """One fact as a link or a span. Markup.format escapes every value it is given (the hot path of
    every table, so a filter rather than a macro: a macro call costs ten times as much)."""
    css = Markup(' class="{}"').format(f.kind) if f.kind else Markup("")
    title = Markup(' title="{}"').format(f.title) if f.title else Markup("")
    if f.href:
        external = f.href.startswith(("http://", "https://"))
        rel = Markup(' rel="external noopener noreferrer"') if external else Markup("")
        return Markup('<a{} href="{}"{}{}>{}</a>').format(css, f.href, title, rel, f.text)
    return Markup("<span{}{}>{}</span>").format(css, title, f.text)


def cell_html(cell: Cell) -> Markup:
    """A cell's facts separated by spaces, with no space before a list's comma."""
    out = Markup("")
    for i, f in enumerate(cell):
        if i and f.kind != "sep":
            out += " "
        out += fact_html(f)
    return out


@cache
def stylesheet() -> bytes:
    return (HERE / "static" / "explorer.css").read_bytes()


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates().get_template(template).render(base=_base(request), **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + "/explorer"


def error_page(
    request: Request, status: int, title: str, detail: str, fields: list[dict[str, str]]
) -> HTMLResponse:
    return render(
        request, "error.html", status=status, status_code=status, heading=title, detail=detail, fields=fields
    )


class HtmlErrors(APIRoute):
    """Answers this router's errors with HTML pages instead of the API's problem+json documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                fields = [
                    {
                        "field": ".".join(
                            str(p) for p in e.get("loc", ()) if p not in ("path", "query", "body", "header")
                        ),
                        "message": str(e.get("msg", "invalid")),
                    }
                    for e in exc.errors()
                ]
                return error_page(request, 422, "Invalid request", "", fields)  # the list says it all
            except InvalidInput as exc:
                return error_page(request, 422, "Invalid request", str(exc), [])
            except RegistryError as exc:
                fields = list(exc.extra.get("errors", [])) if exc.status == 422 else []
                return error_page(request, exc.status, exc.title, exc.detail, fields)
            except OperationalError as exc:
                log.error("database unavailable", extra={"error": str(exc.orig)})
                return error_page(
                    request,
                    503,
                    "Database unavailable",
                    "the registry database is not answering; retry shortly",
                    [],
                )
            except Exception as exc:  # never a bare 500, nor a JSON one, on a page a person reads
                log.exception("explorer page failed", extra={"path": request.url.path})
                return error_page(request, 500, "Internal error", type(exc).__name__, [])

        return guarded


router = APIRouter(prefix="/explorer", include_in_schema=False, route_class=HtmlErrors)


def links(request: Request, session: Annotated[Session, Depends(db)]) -> Links:
    app_state = request.app.state
    settings: ExplorerSettings | None = getattr(app_state, "explorer_settings", None)
    if settings is None:
        settings = ExplorerSettings()
        app_state.explorer_settings = settings
    return Links.load(session, base=_base(request), tx_url=settings.explorer_tx_url)


Db = Annotated[Session, Depends(db)]
PageLinks = Annotated[Links, Depends(links)]


@router.get("", response_class=HTMLResponse)
def index(request: Request, session: Db, to: PageLinks) -> HTMLResponse:
    return render(request, "index.html", page=pages.index_page(session, to))


@router.get("/search")
def search(
    request: Request,
    receipt: Annotated[str | None, Query(max_length=32)] = None,
    voucher: Annotated[str | None, Query(max_length=32)] = None,
    lot: Annotated[str | None, Query(max_length=128)] = None,
    account: Annotated[str | None, Query(alias="address", max_length=64)] = None,
) -> RedirectResponse:
    """The index page's search boxes: each a GET form, redirected to the page it names."""
    base = _base(request)
    for name, value in (("receipt", receipt), ("voucher", voucher)):
        if value is not None and value.strip():
            number = value.strip().lstrip("#")
            if not (number.isascii() and number.isdigit()) or int(number) > MAX_ID:
                raise InvalidRequest(
                    f"{name}: {value!r} is not a {name} id (a whole number)",
                    errors=[{"field": name, "message": "not a whole number"}],
                )
            return RedirectResponse(f"{base}/{name}s/{int(number)}", status_code=303)
    if lot is not None and lot.strip():
        return RedirectResponse(
            f"{base}/lots/{lot_id(lot)}?identity={quote(lot.strip(), safe='')}", status_code=303
        )
    if account is not None and account.strip():
        if not re.match(ADDRESS_PATTERN, account.strip()):
            raise InvalidRequest(
                f"address: {account!r} is not an address (0x and 40 hex digits)",
                errors=[{"field": "address", "message": "not an address (0x and 40 hex digits)"}],
            )
        return RedirectResponse(f"{base}/participants/{address(account.strip())}", status_code=303)
    return RedirectResponse(base, status_code=303)


@router.get("/receipts/{receipt_id}", response_class=HTMLResponse)
def receipt(
    request: Request, session: Db, to: PageLinks, receipt_id: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> HTMLResponse:
    return render(request, "page.html", page=pages.receipt_page(session, to, receipt_id))


@router.get("/vouchers/{voucher_id}", response_class=HTMLResponse)
def voucher(
    request: Request, session: Db, to: PageLinks, voucher_id: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> HTMLResponse:
    return render(request, "voucher.html", page=pages.voucher_page(session, to, voucher_id))


@router.get("/lots/{lot}", response_class=HTMLResponse)
def lot_view(
    request: Request,
    session: Db,
    to: PageLinks,
    lot: Annotated[str, Path(min_length=1, max_length=128)],
    identity: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    """A lot by its 0x id or by the goods' identity (a producer's batch or bill-of-lading number)."""
    the_id = lot_id(lot)
    shown = identity if identity and identity.strip() and lot_id(identity) == the_id else None
    if the_id != lot.lower() and not shown:
        shown = lot  # asked for by the goods' identity
    if shown and session.get(Lot, the_id) is not None:
        identifiers.remember(session, "lot", shown)
    return render(request, "lot.html", page=pages.lot_page(session, to, the_id, shown))


@router.get("/participants/{account}", response_class=HTMLResponse)
def participant(
    request: Request, session: Db, to: PageLinks, account: Annotated[str, Path(pattern=ADDRESS_PATTERN)]
) -> HTMLResponse:
    return render(request, "page.html", page=pages.participant_page(session, to, address(account)))


@router.get("/tx/{tx_hash}", response_class=HTMLResponse)
def transaction(
    request: Request, session: Db, to: PageLinks, tx_hash: Annotated[str, Path(pattern=TX_PATTERN)]
) -> HTMLResponse:
    return render(request, "page.html", page=pages.tx_page(session, to, tx_hash.lower()))


@router.get("/static/explorer.css")
def css() -> Response:
    return Response(
        stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{rest:path}", response_class=HTMLResponse)
def not_found(rest: str) -> HTMLResponse:
    raise NotFound(f"the explorer has no page at /explorer/{rest}")
