"""Receipts, lots and their histories, from the index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from client._encoding import valid_until
from client.models import (
    EventOut,
    LienOut,
    LotDetailOut,
    LotOut,
    PledgeRequestOut,
    ReceiptOut,
    StocktakeOut,
)
from registry.db.models import ChainEventRow, Lot, Receipt, Stocktake
from registry.errors import NotFound
from registry.services._format import money, quantity, when
from registry.services.signin import SessionClaims
from registry.services.visibility import event_args, sees_terms


@dataclass(frozen=True)
class ReceiptFilter:
    owner: str | None = None
    warehouse: str | None = None
    commodity: str | None = None
    lot: str | None = None
    status: str | None = None
    lender: str | None = None


# A page reads Core rows (the receipt's columns and its lot's three) through the session's
# connection, not ORM objects: no identity map, no instance state and no ORM compile step per row.
_RECEIPT_COLUMNS = (
    *Receipt.__table__.columns,
    Lot.unit.label("lot_unit"),
    Lot.decimals.label("lot_decimals"),
    Lot.frozen.label("lot_frozen"),
)


def receipt_dict(r: Any, viewer: SessionClaims | None = None) -> dict[str, Any]:
    """A receipt row (with its lot's unit, decimals and frozen flag) as ReceiptOut's fields, in its
    order and types, for the one JSON renderer (registry.api.rendering); plain dicts, because a model
    instance per row and its validation cost more CPU than the page query. A lien's or pledge
    request's terms only if `viewer` may see them (registry.services.visibility)."""
    decimals = r.lot_decimals
    return {
        "receipt_id": r.receipt_id,
        "status": r.status,
        "owner": r.owner,
        "warehouse": r.warehouse,
        "lot_id": r.lot_id,
        "commodity": r.commodity,
        "unit": r.lot_unit,
        "quantity": quantity(r.quantity, decimals),
        "quantity_base_units": r.quantity,
        "expires_at": valid_until(r.expires_at) if r.expires_at else None,  # the day typed, 23:59:59 UTC
        "details": r.details,
        "frozen": bool(r.frozen or r.lot_frozen),
        "delivery_requested": quantity(r.delivery_requested, decimals) if r.delivery_requested else None,
        "parent_id": r.parent_id,
        "lien": None if r.lender is None else _lien(r, sees_terms(viewer, r.lender, r.owner)),
        "pledge_request": None
        if r.requested_lender is None
        else _request(r, sees_terms(viewer, r.requested_lender, r.owner)),
        "minted_at": when(r.minted_at),
    }


def _lien(r: Any, terms: bool) -> dict[str, Any]:
    return {
        "lender": r.lender,
        "secured_amount": money(r.secured_amount or 0) if terms else None,
        "currency": (r.currency or "") if terms else None,
        "loan_ref": (r.loan_ref or "") if terms else None,
        "loan_maturity": when(r.loan_maturity or 0) if terms else None,
        "pledged_at": when(r.pledged_at or 0),
        "terms_withheld": not terms,
    }


def _request(r: Any, terms: bool) -> dict[str, Any]:
    return {
        "lender": r.requested_lender,
        "request_seq": r.request_seq or 0,
        "secured_amount": money(r.request_amount or 0) if terms else None,
        "currency": (r.request_currency or "") if terms else None,
        "loan_maturity": when(r.request_maturity or 0) if terms else None,
        "terms_withheld": not terms,
    }


def receipt_model(d: dict[str, Any]) -> ReceiptOut:
    """receipt_dict's answer as the model, for callers that want attributes (the explorer, risk)."""
    return ReceiptOut.model_construct(
        **{
            **d,
            "lien": LienOut.model_construct(**d["lien"]) if d["lien"] else None,
            "pledge_request": PledgeRequestOut.model_construct(**d["pledge_request"])
            if d["pledge_request"]
            else None,
        }
    )


def _filtered(f: ReceiptFilter) -> Select[Any]:
    query = select(*_RECEIPT_COLUMNS).join(Lot, Lot.lot_id == Receipt.lot_id)
    if f.owner:
        query = query.where(Receipt.owner == f.owner)
    if f.warehouse:
        query = query.where(Receipt.warehouse == f.warehouse)
    if f.commodity:
        query = query.where(Receipt.commodity == f.commodity)
    if f.lot:
        query = query.where(Receipt.lot_id == f.lot)
    if f.status == "pledged":
        query = query.where(Receipt.lender.is_not(None))
    elif f.status == "frozen":
        # Both sides by index (a receipt frozen itself, or its lot): an OR across the join read
        # every receipt to find the few frozen ones.
        frozen_lots = select(Lot.lot_id).where(Lot.frozen.is_(True))
        query = query.where(or_(Receipt.frozen.is_(True), Receipt.lot_id.in_(frozen_lots)))
    elif f.status:
        query = query.where(Receipt.status == f.status)
    if f.lender:
        query = query.where(Receipt.lender == f.lender)
    return query


def receipt_page(
    session: Session,
    f: ReceiptFilter,
    *,
    after: int | None,
    limit: int,
    viewer: SessionClaims | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of receipts as receipt_dict()s, and the next page's `after` (None on the last)."""
    query = _filtered(f)
    if after is not None:
        query = query.where(Receipt.receipt_id > after)
    rows = session.connection().execute(query.order_by(Receipt.receipt_id).limit(limit + 1)).all()
    items = [receipt_dict(row, viewer) for row in rows[:limit]]
    return items, (items[-1]["receipt_id"] if len(rows) > limit else None)


def list_receipts(
    session: Session,
    f: ReceiptFilter,
    *,
    after: int | None,
    limit: int,
    viewer: SessionClaims | None = None,
) -> tuple[list[ReceiptOut], int | None]:
    items, next_after = receipt_page(session, f, after=after, limit=limit, viewer=viewer)
    return [receipt_model(d) for d in items], next_after


# Built once: its SQL is compiled once and its cache key computed once, not per request.
_BY_ID = _filtered(ReceiptFilter()).where(Receipt.receipt_id == bindparam("receipt_id"))


def receipt_by_id(session: Session, receipt_id: int, viewer: SessionClaims | None = None) -> dict[str, Any]:
    row = session.connection().execute(_BY_ID, {"receipt_id": receipt_id}).first()
    if row is None:
        raise NotFound(f"receipt {receipt_id} is not in the registry", receipt_id=receipt_id)
    return receipt_dict(row, viewer)


def get_receipt(session: Session, receipt_id: int) -> ReceiptOut:
    return receipt_model(receipt_by_id(session, receipt_id))


def event_out(e: ChainEventRow, viewer: SessionClaims | None = None) -> EventOut:
    """One indexed event; a pledge's terms in its arguments only if `viewer` may see them."""
    return EventOut.model_construct(
        event=e.name,
        contract=e.contract,
        block=e.block_number,
        log_index=e.log_index,
        time=when(e.block_time),
        tx_hash=e.tx_hash,
        args=event_args(e.name, e.args, viewer),
    )


def receipt_history(session: Session, receipt_id: int, viewer: SessionClaims | None = None) -> list[EventOut]:
    """Every event of the receipt, and of the receipts it was split from up to each split."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(f"receipt {receipt_id} is not in the registry", receipt_id=receipt_id)
    conditions = [ChainEventRow.receipt_id == receipt_id]
    child_minted_block = receipt.minted_block
    parent_id = receipt.parent_id
    while parent_id is not None:
        # A split part shares its parent's life up to (and including) the split.
        conditions.append(
            and_(ChainEventRow.receipt_id == parent_id, ChainEventRow.block_number <= child_minted_block)
        )
        parent = session.get(Receipt, parent_id)
        if parent is None:
            break
        child_minted_block, parent_id = parent.minted_block, parent.parent_id
    events = session.scalars(
        select(ChainEventRow)
        .where(or_(*conditions))
        .order_by(ChainEventRow.block_number, ChainEventRow.log_index)
    ).all()
    return [event_out(e, viewer) for e in events]


def lot_out(lot: Lot) -> LotOut:
    return LotOut.model_construct(
        lot_id=lot.lot_id,
        warehouse=lot.warehouse,
        commodity=lot.commodity,
        unit=lot.unit,
        decimals=lot.decimals,
        attested=quantity(lot.attested, lot.decimals),
        receipted=quantity(lot.receipted, lot.decimals),
        uncovered=quantity(max(0, lot.receipted - lot.attested), lot.decimals),
        live_receipts=lot.live_receipts,
        frozen=lot.frozen,
        last_stocktake_at=when(lot.last_stocktake_at),
    )


def list_lots(
    session: Session,
    *,
    warehouse: str | None,
    commodity: str | None,
    frozen: bool | None,
    after: str | None,
    limit: int,
) -> tuple[list[LotOut], str | None]:
    query = select(Lot)
    if warehouse:
        query = query.where(Lot.warehouse == warehouse)
    if commodity:
        query = query.where(Lot.commodity == commodity)
    if frozen is not None:
        query = query.where(Lot.frozen.is_(frozen))
    if after:
        query = query.where(Lot.lot_id > after)
    lots = session.scalars(query.order_by(Lot.lot_id).limit(limit + 1)).all()
    items = [lot_out(lot) for lot in lots[:limit]]
    return items, (items[-1].lot_id if len(lots) > limit else None)


def get_lot(session: Session, lot_id: str) -> LotDetailOut:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound(f"lot {lot_id} has never been attested", lot_id=lot_id)
    stocktakes = session.scalars(
        select(Stocktake).where(Stocktake.lot_id == lot_id).order_by(Stocktake.block_number, Stocktake.id)
    ).all()
    return LotDetailOut.model_construct(
        **dict(lot_out(lot)),
        stocktakes=[
            StocktakeOut.model_construct(
                inspector=s.inspector,
                attested=quantity(s.attested, lot.decimals),
                receipted=quantity(s.receipted, lot.decimals),
                shortfall=quantity(s.shortfall, lot.decimals),
                evidence=s.evidence,
                block=s.block_number,
                time=when(s.block_time),
                tx_hash=s.tx_hash,
            )
            for s in stocktakes
        ],
    )
