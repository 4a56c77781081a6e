"""Collateral valuation through the SDK against anvil: prices posted, loans valued, margin called,
cured, and a loan in default foreclosable early (issue 19's story, in the contracts' integers)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from web3 import Web3

from client import Ledgerhouse
from client._contract_errors import NotLoanLender, StalePrice
from client.errors import InvalidInput
from client.valuation import MarginStatus
from tests.conftest import increase_time
from tests.valuation_story import (
    COPPER,
    DAY,
    TERMS,
    AsFactory,
    addr,
    copper_feed,
    one_client_each,
    pledged_copper,
)


@pytest.fixture
def as_(as_: AsFactory) -> AsFactory:
    return one_client_each(as_)


def test_price_fall_margin_call_uncured_default_and_a_second_loan_cured_by_top_up(
    as_: AsFactory, w3: Web3
) -> None:
    copper_feed(as_)
    bank = as_("bank1").valuation
    first = pledged_copper(as_, "CU-LOT-A")
    loan = bank.open_loan([first], amount="210000000.00", currency="CNY", loan_ref="B1-CU-001", terms=TERMS)
    opened = bank.value(loan.loan_id)
    assert (opened.value, opened.ltv_bps, opened.status) == (
        Decimal("300000000.00"),
        7_000,
        MarginStatus.HEALTHY,
    )
    assert bank.ltv(first).loan_id == loan.loan_id  # by receipt, as a banker asks
    second = pledged_copper(as_, "CU-LOT-B", "1000.000")
    other = bank.open_loan([second], amount="42000000.00", currency="CNY", loan_ref="B1-CU-002", terms=TERMS)

    as_("publisher1").prices.post_price(COPPER, "48000.00", source="SHFE-SETTLE")  # -20 %
    fallen = bank.value(loan.loan_id)
    assert (fallen.ltv_bps, fallen.ltv, fallen.status) == (
        8_750,
        Decimal("87.50"),
        MarginStatus.ABOVE_MARGIN_CALL,
    )
    keeper = as_("auditor1").valuation  # anyone may run the check
    called = keeper.check_margin(loan.loan_id)
    assert called.margin_called and called.status is MarginStatus.MARGIN_CALLED and called.ltv_bps == 8_750
    assert called.cure_deadline is not None
    assert not bank.is_foreclosable(first)  # within the cure window: not early

    # The second borrower tops up with a further receipt and cures its call.
    assert keeper.check_margin(other.loan_id).margin_called
    top_up = pledged_copper(as_, "CU-LOT-C", "200.000")
    as_("supplier1").valuation.add_collateral(other.loan_id, [top_up])
    cured = bank.value(other.loan_id)
    assert cured.status is MarginStatus.HEALTHY and cured.cure_deadline is None
    assert cured.collateral == Decimal("1200") and cured.ltv_bps == 7_292  # 42M / 57.6M, rounded up

    increase_time(w3, 3 * DAY + 1)
    as_("publisher1").prices.post_price(COPPER, "48000.00", source="SHFE-SETTLE")  # still fresh
    assert bank.value(loan.loan_id).status is MarginStatus.DEFAULT
    assert bank.is_foreclosable(first)
    assert not bank.is_foreclosable(top_up)  # the cured loan is not in default


def test_repayment_cures_and_is_never_more_than_outstanding(as_: AsFactory) -> None:
    copper_feed(as_)
    bank = as_("bank1").valuation
    rid = pledged_copper(as_, "CU-LOT-R")
    loan = bank.open_loan([rid], amount="210000000.00", currency="CNY", loan_ref="B1-CU-003", terms=TERMS)
    as_("publisher1").prices.post_price(COPPER, "48000.00")
    assert bank.check_margin(loan.loan_id).margin_called
    with pytest.raises(
        InvalidInput,
        match=r"a repayment of 300000000.00 CNY on loan \d+ is more than the "
        r"210000000.00 CNY outstanding",
    ):
        bank.repay(loan.loan_id, "300000000.00")
    with pytest.raises(NotLoanLender):
        as_("bank2").valuation.repay(loan.loan_id, "1.00")
    bank.repay(loan.loan_id, "30000000.00")  # 180M / 240M = 75 %
    after = bank.value(loan.loan_id)
    assert (after.outstanding, after.ltv_bps, after.status) == (
        Decimal("180000000.00"),
        7_500,
        MarginStatus.HEALTHY,
    )


def test_a_stale_price_values_nothing_and_checks_nothing(as_: AsFactory, w3: Web3) -> None:
    copper_feed(as_, max_age_s=DAY)
    bank = as_("bank1").valuation
    rid = pledged_copper(as_, "CU-LOT-S")
    loan = bank.open_loan([rid], amount="210000000.00", currency="CNY", loan_ref="B1-CU-004", terms=TERMS)
    increase_time(w3, DAY + 60)
    with pytest.raises(
        StalePrice, match=r"the price of CU-CATH is stale: as of .* s old, more than the 86400 s"
    ):
        bank.value(loan.loan_id)
    with pytest.raises(StalePrice):
        as_("auditor1").valuation.check_margin(loan.loan_id)
    shown = as_("auditor1").prices.show(COPPER)
    assert not shown.fresh and shown.price == Decimal("60000.00") and (shown.age_s or 0) > DAY
    daily = as_("auditor1").valuation.revalue_all()
    assert not daily.valued and "stale" in daily.refused[loan.loan_id] and not daily.checks


def test_bad_price_posts_are_refused_in_the_publishers_terms(as_: AsFactory) -> None:
    copper_feed(as_)
    publisher = as_("publisher1").prices
    for price, message in (
        ("0", "price 0 for CU-CATH must be positive"),
        ("-5", "price -5 for CU-CATH must be positive"),
        ("68,500.00", "not a number (write it without thousands separators"),
        ("68500.001", "has more than 2 decimal places"),
    ):
        with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
            publisher.post_price(COPPER, price)
    with pytest.raises(InvalidInput, match="CU-CATH is priced per t, not per lb"):
        publisher.post_price(COPPER, "68500.00", unit="lb")
    with pytest.raises(InvalidInput, match="CU-CATH is priced in CNY, not in USD"):
        publisher.post_price(COPPER, "68500.00", currency="USD")
    with pytest.raises(InvalidInput, match="is in the future"):
        publisher.post_price(COPPER, "68500.00", as_of=publisher._now() + 3_600)
    with pytest.raises(InvalidInput, match="is not admitted to post prices for CU-CATH"):
        as_("bank1").prices.post_price(COPPER, "68500.00")
    assert publisher.show(COPPER).price == Decimal("60000.00")  # nothing recorded


def test_daily_revaluation_raises_the_margin_calls_due(as_: AsFactory) -> None:
    copper_feed(as_)
    bank = as_("bank1").valuation
    loans = [
        bank.open_loan(
            [pledged_copper(as_, f"CU-LOT-D{n}", "100.000")],
            amount=amount,
            currency="CNY",
            loan_ref=f"B1-CU-D{n}",
            terms=TERMS,
        ).loan_id
        for n, amount in enumerate(("4200000.00", "3000000.00"))
    ]
    as_("publisher1").prices.post_price(COPPER, "48000.00")
    daily = as_("auditor1").valuation.revalue_all()
    assert {v.loan_id: v.ltv_bps for v in daily.valued} == {loans[0]: 8_750, loans[1]: 6_250}
    assert [c.loan_id for c in daily.checks] == [loans[0]] and daily.checks[0].margin_called
    assert bank.value(loans[0]).status is MarginStatus.MARGIN_CALLED
    assert as_("auditor1").valuation.revalue_all().checks == []  # a second run the same day sends nothing
    assert addr("bank1") == bank.loan(loans[0]).lender


def test_a_big_move_waits_for_a_second_publisher(as_: AsFactory, w3: Web3) -> None:
    """The deviation guard: a post moving the median more than the bound is pending until another
    publisher posts within the bound of it; the SDK shows it pending, then counted."""
    from datetime import UTC, datetime, timedelta

    from eth_account import Account

    from client._types import Role

    second = Account.create()
    w3.provider.make_request("anvil_setBalance", [second.address, hex(10**20)])  # type: ignore[arg-type]
    admin = as_("admin")
    next_year = (datetime.now(UTC) + timedelta(days=365)).date()
    admin.signer.transact(  # type: ignore[union-attr]
        admin.participants.admit_call(
            second.address, Role.PRICE_PUBLISHER, name="Exchange Data Co", valid_until=next_year
        )
    )
    admin.prices.create_feed(COPPER, unit="t", currency="CNY", max_age_s=DAY, max_deviation_bps=1_000)
    admin.prices.admit_publisher(COPPER, addr("publisher1"))
    admin.prices.admit_publisher(COPPER, second.address)
    first = as_("publisher1").prices
    first.post_price(COPPER, "60000.00")
    first.post_price(COPPER, "48000.00")  # -20 %: more than the 10 % bound
    held = first.show(COPPER)
    assert held.price == Decimal("60000.00") and [p.pending for p in held.posts] == [True, False]
    other = Ledgerhouse(w3, admin.manifest, account=second).prices
    other.post_price(COPPER, "48500.00")  # within 10 % of the pending post: confirms it
    confirmed = first.show(COPPER)
    assert confirmed.price == Decimal("48250.00") and confirmed.contributors == 2
    assert [p.pending for p in confirmed.posts] == [False, False]
    with pytest.raises(InvalidInput, match="is older than your current post"):
        first.post_price(COPPER, "48100.00", as_of=first._now() - 3_600)
