"""What lenders and auditors watch: liens by lender, a borrower's exposure across all banks, alerts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from registry.api.schemas import AlertOut, ExposureItemOut, ExposureOut, ReceiptOut
from registry.db.models import IndexedBlock, Lot, Receipt, Voucher, VoucherRoot
from registry.services._format import money, quantity, when
from registry.services.receipts import ReceiptFilter, list_receipts


def liens_of(
    session: Session, lender: str, *, after: int | None, limit: int
) -> tuple[list[ReceiptOut], int | None]:
    return list_receipts(session, ReceiptFilter(lender=lender, status="live"), after=after, limit=limit)


def exposure(session: Session, borrower: str) -> ExposureOut:
    """Every active lien on the borrower's receipts and every voucher piece it pledged or sold at a
    discount, across all banks: the double-financing check a lender runs before lending."""
    items: list[ExposureItemOut] = []
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(kind: str, subject_id: int, lender: str, minor: int, currency: str, maturity: int | None) -> None:
        items.append(
            ExposureItemOut(
                kind=kind,
                subject_id=subject_id,
                lender=lender,
                amount=money(minor),
                currency=currency,
                maturity=when(maturity) if maturity else None,
            )
        )
        totals[lender][currency] += minor

    for r in session.scalars(
        select(Receipt)
        .where(Receipt.owner == borrower, Receipt.lender.is_not(None))
        .order_by(Receipt.receipt_id)
    ):
        add(
            "receipt-lien",
            r.receipt_id,
            r.lender or "",
            r.secured_amount or 0,
            r.currency or "",
            r.loan_maturity,
        )
    rows = session.execute(
        select(Voucher, VoucherRoot)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(
            or_(
                and_(Voucher.holder == borrower, Voucher.lienholder.is_not(None)),
                and_(Voucher.discount_seller == borrower, Voucher.status != "settled"),
            )
        )
        .order_by(Voucher.voucher_id)
    ).all()
    for v, root in rows:
        if v.holder == borrower and v.lienholder is not None:
            maturity = v.loan_maturity or root.maturity
            add("voucher-pledge", v.voucher_id, v.lienholder, v.secured_amount or 0, root.currency, maturity)
        if v.discount_seller == borrower and v.status != "settled":
            price = v.discount_price or 0
            add("voucher-discount", v.voucher_id, v.discounted_by or "", price, root.currency, root.maturity)
    return ExposureOut(
        borrower=borrower,
        items=items,
        totals={lender: {c: money(v) for c, v in cur.items()} for lender, cur in sorted(totals.items())},
    )


def chain_time(session: Session) -> int | None:
    """The time of the newest indexed block: 'now' as the chain, not this server's clock, sees it."""
    return session.scalar(select(func.max(IndexedBlock.timestamp)))


def alerts(session: Session, *, now: int, expiring_within_days: int) -> list[AlertOut]:
    """Shortfalls (frozen lots), overdue voucher pieces, and live receipts about to expire."""
    found: list[AlertOut] = []
    for lot in session.scalars(select(Lot).where(Lot.frozen.is_(True)).order_by(Lot.lot_id)):
        lenders = sorted(
            {
                lender
                for lender in session.scalars(
                    select(Receipt.lender).where(Receipt.lot_id == lot.lot_id, Receipt.lender.is_not(None))
                )
                if lender
            }
        )
        attested, receipted = quantity(lot.attested, lot.decimals), quantity(lot.receipted, lot.decimals)
        found.append(
            AlertOut(
                kind="shortfall",
                subject=lot.lot_id,
                detail=f"{lot.commodity} lot at {lot.warehouse}: {attested} {lot.unit} attested against "
                f"{receipted} {lot.unit} receipted",
                parties=[lot.warehouse, *lenders],
                since=when(lot.last_stocktake_at),
            )
        )
    for v, root in session.execute(
        select(Voucher, VoucherRoot)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(
            Voucher.status.not_in(("settled", "merged")),
            or_(Voucher.overdue.is_(True), VoucherRoot.maturity < now),
        )
        .order_by(Voucher.voucher_id)
    ):
        if v.value == 0:
            continue
        found.append(
            AlertOut(
                kind="overdue",
                subject=str(v.voucher_id),
                detail=f"{money(v.value)} {root.currency} owed by {root.obligor} unpaid since maturity",
                parties=[p for p in (v.holder, root.obligor, v.lienholder) if p],
                since=when(root.maturity),
            )
        )
    horizon = now + expiring_within_days * 86_400
    for r, lot in session.execute(
        select(Receipt, Lot)
        .join(Lot, Lot.lot_id == Receipt.lot_id)
        .where(Receipt.status == "live", Receipt.expires_at > 0, Receipt.expires_at <= horizon)
        .order_by(Receipt.expires_at, Receipt.receipt_id)
    ):
        state = "expired" if r.expires_at <= now else "expires"
        found.append(
            AlertOut(
                kind="expiring",
                subject=str(r.receipt_id),
                detail=f"receipt for {quantity(r.quantity, lot.decimals)} {lot.unit} {lot.commodity} {state} "
                f"{when(r.expires_at).date().isoformat()}",
                parties=[p for p in (r.owner, r.warehouse, r.lender) if p],
                since=when(r.expires_at),
            )
        )
    return found
