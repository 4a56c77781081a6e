"""Receivables through the SDK against anvil: a core enterprise's credit reaching tier 3."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from client import Ledgerhouse
from client._contract_errors import (
    CreditLimitExceeded,
    DocumentAlreadyFinanced,
    SplitBelowMinimumDenomination,
    VoucherPledged,
    VoucherTierTooDeep,
)
from client._encoding import commitment
from client.devnet import dev_account
from client.receivables import VoucherStatus
from tests.conftest import increase_time

AsFactory = Callable[[str], Ledgerhouse]
MATURITY = (datetime.now(UTC) + timedelta(days=180)).date()
LINE_EXPIRY = (datetime.now(UTC) + timedelta(days=365)).date()


def addr(name: str) -> str:
    return dev_account(name).address


def open_line(as_: AsFactory, limit: str = "5000000.00") -> None:
    as_("bank1").receivables.set_credit_line(addr("core1"), limit=limit, currency="CNY", expires=LINE_EXPIRY)


def issue(as_: AsFactory, invoice: str = "INV-2026-0001", amount: str = "1000000.00", **kw: Any) -> int:
    _, voucher_id = as_("core1").receivables.issue(
        addr("supplier1"),
        amount=amount,
        currency="CNY",
        maturity=MATURITY,
        document=commitment(invoice),
        **kw,
    )
    return voucher_id


def test_credit_reaches_tier_three_is_discounted_and_settled(as_: AsFactory, w3: Web3) -> None:
    open_line(as_)
    root = issue(as_)
    _, tier2 = as_("supplier1").receivables.split(root, addr("supplier2"), "400000.00")
    _, tier3 = as_("supplier2").receivables.split(tier2, addr("supplier3"), "150000.00")
    tree = {v.voucher_id: v for v in as_("auditor1").receivables.tree(root)}
    assert [(tree[i].tier, tree[i].value, tree[i].holder) for i in (root, tier2, tier3)] == [
        (0, Decimal("600000.00"), addr("supplier1")),
        (1, Decimal("250000.00"), addr("supplier2")),
        (2, Decimal("150000.00"), addr("supplier3")),
    ]
    assert tree[tier3].parent_id == tier2 and tree[tier3].root_id == root

    as_("supplier3").receivables.offer_discount(tier3, addr("bank2"), "147000.00")
    as_("bank2").receivables.accept_discount(tier3, payment_ref="BANK2-PAY-77")
    sold = as_("auditor1").receivables.discount(tier3)
    assert (sold["seller"], sold["price"], sold["value"]) == (addr("supplier3"), "147000.00", "150000.00")
    assert sold["rate_bps"] > 0 and sold["days_to_maturity"] >= 179
    assert as_("auditor1").receivables.voucher(tier3).holder == addr("bank2")

    penetration = as_("auditor1").receivables.penetration(addr("core1"))
    assert penetration["tiers"]["2"] == {addr("bank2"): "150000.00"}
    assert penetration["outstanding"] == "1000000.00"

    increase_time(w3, 181 * 86_400)
    core = as_("core1").receivables
    for piece in (root, tier2, tier3):
        core.settle(piece, payment_ref=f"CORE1-PAY-{piece}")
    settled = as_("auditor1").receivables.root(root)
    assert (settled.settled, settled.outstanding) == (Decimal("1000000.00"), Decimal("0.00"))
    assert all(v.status is VoucherStatus.SETTLED for v in as_("auditor1").receivables.tree(root))
    assert as_("auditor1").receivables.credit_line(addr("bank1"), addr("core1")).outstanding == Decimal("0")


def test_the_same_invoice_cannot_back_a_second_voucher(as_: AsFactory) -> None:
    open_line(as_)
    first = issue(as_, invoice="INV-DOUBLE-1", amount="100.00")
    with pytest.raises(DocumentAlreadyFinanced) as caught:
        issue(as_, invoice="INV-DOUBLE-1", amount="100.00")
    assert caught.value.voucherId == first
    # Another lender's line makes no difference: the invoice is spent everywhere.
    as_("bank2").receivables.set_credit_line(addr("core1"), limit="1000", currency="CNY", expires=LINE_EXPIRY)
    with pytest.raises(DocumentAlreadyFinanced):
        issue(as_, invoice="INV-DOUBLE-1", amount="100.00", lender=addr("bank2"))


def test_line_limit_depth_and_denomination_are_enforced(as_: AsFactory) -> None:
    open_line(as_, limit="1000.00")
    with pytest.raises(CreditLimitExceeded):
        issue(as_, invoice="INV-BIG", amount="1000.01", lender=addr("bank1"))
    root = issue(as_, invoice="INV-SMALL", amount="1000.00", max_depth=1, min_denomination="10.00")
    _, child = as_("supplier1").receivables.split(root, addr("supplier2"), "100.00")
    with pytest.raises(VoucherTierTooDeep):
        as_("supplier2").receivables.split(child, addr("supplier3"), "50.00")
    with pytest.raises(SplitBelowMinimumDenomination):
        as_("supplier1").receivables.split(root, addr("supplier3"), "9.99")


def test_a_pledged_piece_cannot_move(as_: AsFactory) -> None:
    open_line(as_)
    root = issue(as_, invoice="INV-PLEDGE")
    holder = as_("supplier1").receivables
    holder.request_pledge(root, addr("bank1"), amount="500000.00", maturity=MATURITY, loan_ref="LOAN-9")
    as_("bank1").receivables.accept_pledge(root)
    with pytest.raises(VoucherPledged) as caught:
        holder.split(root, addr("supplier2"), "1.00")
    assert caught.value.lienholder == addr("bank1")
    as_("bank1").receivables.release_pledge(root)
    holder.transfer(root, addr("supplier2"))


def test_settlement_cost_per_piece_is_flat_for_a_root_of_5000_pieces(as_: AsFactory, w3: Web3) -> None:
    open_line(as_, limit="5000000.00")
    big = issue(as_, invoice="INV-5000", amount="50010.00", min_denomination="0.01")
    small = issue(as_, invoice="INV-1", amount="10.00")
    holder = as_("supplier1").receivables
    split = holder.contract.functions.split
    calls = [split(big, addr("supplier2"), 1000) for _ in range(5000)]  # 10.00 CNY each
    pieces: list[int] = []
    for start in range(0, len(calls), 500):
        sent = holder.signer.submit_many(calls[start : start + 500], gas=120_000)
        for result in holder.signer.wait_many(sent):
            pieces.append(int(holder.events_in(result, "VoucherSplit")[0]["args"]["childId"]))
    assert as_("auditor1").receivables.root(big).pieces == 5001
    increase_time(w3, 181 * 86_400)
    core = as_("core1").receivables
    single = core.settle(small, "PAY-SMALL").gas_used
    first = core.settle(pieces[0], "PAY-FIRST").gas_used
    last = core.settle(pieces[-1], "PAY-LAST").gas_used
    assert abs(first - single) <= 200 and abs(last - first) <= 200, (single, first, last)
    assert as_("auditor1").receivables.root(big).settled == Decimal("20.00")
