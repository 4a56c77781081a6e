"""The valuation story shared by the chain, CLI and registry tests: a copper feed, a publisher, and
copper receipts pledged to bank1 (issue 19: 5,000 t at 60,000 CNY/t against 210,000,000 CNY)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from client import Ledgerhouse
from client.devnet import dev_account
from client.valuation import Terms

AsFactory = Callable[[str], Ledgerhouse]
COPPER = "CU-CATH"
DAY = 86_400
TERMS = Terms(
    advance_rate_bps=7_000, margin_call_ltv_bps=8_000, liquidation_ltv_bps=8_500, cure_window_s=3 * DAY
)
IN_180_DAYS = (datetime.now(UTC) + timedelta(days=180)).date()


def one_client_each(as_: AsFactory) -> AsFactory:
    """`as_`, but one client per participant: each key's nonces come from one allocator."""
    made: dict[str, Ledgerhouse] = {}

    def get(name: str) -> Ledgerhouse:
        if name not in made:
            made[name] = as_(name)
        return made[name]

    return get


def addr(name: str) -> str:
    return dev_account(name).address


def copper_feed(as_: AsFactory, *, price: str | None = "60000.00", max_age_s: int = 2 * DAY) -> None:
    """The consortium admin creates the copper feed and admits publisher1, who posts `price`."""
    admin = as_("admin").prices
    admin.create_feed(COPPER, unit="t", currency="CNY", decimals=2, max_age_s=max_age_s)
    admin.admit_publisher(COPPER, addr("publisher1"))
    if price is not None:
        as_("publisher1").prices.post_price(COPPER, price, source="SHFE-SETTLE")


def pledged_copper(
    as_: AsFactory, lot: str, quantity: str = "5000.000", *, owner: str = "supplier1", lender: str = "bank1"
) -> int:
    """A copper receipt of `quantity` t minted to `owner` and pledged to `lender` (lien active)."""
    as_("inspector1").receipts.stocktake(
        addr("warehouse1"),
        lot,
        commodity=COPPER,
        quantity=quantity,
        unit="t",
        decimals=3,
        evidence=b"\x02" * 32,
    )
    rid = as_("warehouse1").receipts.mint(addr(owner), lot, commodity=COPPER, quantity=quantity).receipt_id
    _, seq = as_(owner).receipts.request_pledge(
        rid, addr(lender), amount="210000000.00", currency="CNY", maturity=IN_180_DAYS, loan_ref=f"LOAN-{lot}"
    )
    as_(lender).receipts.accept_pledge(rid, seq)
    return rid
