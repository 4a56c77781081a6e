"""Vouchers, a root's split tree and a core enterprise's penetration, from the index."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.models import PenetrationOut, RootOut, VoucherOut
from registry.db.models import Voucher, VoucherRoot
from registry.errors import NotFound
from registry.indexer.projector import PIECES_PER_ROOT
from registry.services._format import money, when
from registry.services.signin import SessionClaims
from registry.services.visibility import sees_terms

PAID = ("settled",)
GONE = ("settled", "merged")


def voucher_out(v: Voucher, root: VoucherRoot, viewer: SessionClaims | None = None) -> VoucherOut:
    """A piece; its pledge's secured amount only if `viewer` may see it (services.visibility)."""
    terms = v.secured_amount is None or sees_terms(viewer, v.lienholder, v.holder)
    return VoucherOut.model_construct(
        voucher_id=v.voucher_id,
        root_id=v.root_id,
        parent_id=v.parent_id,
        tier=v.tier,
        holder=v.holder,
        value=money(v.value),
        currency=root.currency,
        status=v.status,
        overdue=v.overdue,
        obligor=root.obligor,
        maturity=when(root.maturity),
        lienholder=v.lienholder,
        secured_amount=money(v.secured_amount) if v.secured_amount is not None and terms else None,
        lien_terms_withheld=not terms,
        discounted_by=v.discounted_by,
        discount_price=money(v.discount_price) if v.discount_price is not None else None,
        discount_rate_bps=v.discount_rate_bps,
    )


def list_vouchers(
    session: Session,
    *,
    holder: str | None,
    obligor: str | None,
    root_id: int | None,
    status: str | None,
    after: int | None,
    limit: int,
    viewer: SessionClaims | None = None,
) -> tuple[list[VoucherOut], int | None]:
    query = select(Voucher, VoucherRoot).join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
    if holder:
        query = query.where(Voucher.holder == holder)
    if obligor:
        query = query.where(VoucherRoot.obligor == obligor)
    if root_id is not None:
        query = query.where(Voucher.root_id == root_id)
    if status:
        query = query.where(Voucher.status == status)
    if after is not None:
        query = query.where(Voucher.voucher_id > after)
    rows = session.execute(query.order_by(Voucher.voucher_id).limit(limit + 1)).all()
    items = [voucher_out(v, r, viewer) for v, r in rows[:limit]]
    return items, (items[-1].voucher_id if len(rows) > limit else None)


def get_voucher(session: Session, voucher_id: int, viewer: SessionClaims | None = None) -> VoucherOut:
    voucher = session.get(Voucher, voucher_id)
    root = session.get(VoucherRoot, voucher_id - voucher_id % PIECES_PER_ROOT)
    if voucher is None or root is None:
        raise NotFound(f"voucher {voucher_id} is not in the registry", voucher_id=voucher_id)
    return voucher_out(voucher, root, viewer)


def root_tree(session: Session, voucher_id: int, viewer: SessionClaims | None = None) -> RootOut:
    """The whole tree of the root `voucher_id` belongs to, and whether its sums close."""
    root_id = voucher_id - voucher_id % PIECES_PER_ROOT
    root = session.get(VoucherRoot, root_id)
    if root is None:
        raise NotFound(f"voucher {voucher_id} is not in the registry", voucher_id=voucher_id)
    pieces = session.scalars(
        select(Voucher).where(Voucher.root_id == root_id).order_by(Voucher.voucher_id)
    ).all()
    settled = sum(p.value for p in pieces if p.status in PAID)
    live = sum(p.value for p in pieces if p.status not in GONE)
    return RootOut.model_construct(
        root_id=root_id,
        obligor=root.obligor,
        payer=root.payer,
        lender=root.lender,
        face_value=money(root.face_value),
        currency=root.currency,
        maturity=when(root.maturity),
        document=root.document,
        funded=money(root.funded),
        settled=money(settled),
        outstanding=money(live),
        pieces=[voucher_out(p, root, viewer) for p in pieces],
        closes=live + settled == root.face_value,
    )


def penetration(session: Session, core: str) -> PenetrationOut:
    """How far a core enterprise's credit reaches: live value by tier and holder."""
    rows = session.execute(
        select(Voucher, VoucherRoot)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(VoucherRoot.obligor == core)
        .order_by(Voucher.voucher_id)
    ).all()
    roots = sorted({r.root_id for _, r in rows})
    by_tier: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    outstanding: dict[str, int] = defaultdict(int)
    holders: set[str] = set()
    for voucher, root in rows:
        if voucher.status in GONE or voucher.value == 0:
            continue
        by_tier[voucher.tier][voucher.holder] += voucher.value
        outstanding[root.currency] += voucher.value
        holders.add(voucher.holder)
    return PenetrationOut.model_construct(
        core=core,
        roots=roots,
        outstanding={c: money(v) for c, v in sorted(outstanding.items())},
        tiers={
            str(tier): {holder: money(v) for holder, v in sorted(hs.items())}
            for tier, hs in sorted(by_tier.items())
        },
        suppliers_reached=len(holders),
        deepest_tier=max(by_tier, default=0),
    )
