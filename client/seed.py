"""A realistic supply chain for the devnet: what `make run` starts with unless told `--empty`.

Two warehouses with attested lots (aluminium ingots in bulk at Qingdao, steel coils with serials at
Baoshan), receipts minted, split and endorsed, one pledged to bank1 after its due-diligence check
and lent against at an (illustrative) aluminium price, so the registry shows its loan-to-value; a
core enterprise with a credit line whose payable is split down three tiers, one piece discounted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from web3 import Web3

from client import Ledgerhouse
from client._contract import topic_of
from client._encoding import commitment, file_commitment
from client.deployment import Manifest
from client.devnet import dev_account, dev_labels
from client.identifiers import identifier_commitment
from client.valuation import Terms

ALUMINIUM_LOT = "SHFE-AL-2026-000731"
STEEL_LOT = "BAOSTEEL-HRC-2026-118"
STEEL_COILS = [f"BAOSTEEL-COIL-118-{n:03d}" for n in range(1, 5)]
INSPECTION_REPORT = (
    b"SinoSurvey stocktake 2026-11: 500.000 t aluminium ingots A00, bays 7-9, lot SHFE-AL-2026-000731"
)
TRADE_INVOICE = (
    b"Invoice INV-2026-0042: Core Auto Manufacturing Group owes Tier-1 Steel Parts Co CNY 2,000,000.00"
)

# Advance 70 %, margin call at 80 %, liquidation at 85 %, three days to cure.
SEED_TERMS = Terms(
    advance_rate_bps=7_000, margin_call_ltv_bps=8_000, liquidation_ltv_bps=8_500, cure_window_s=3 * 86_400
)


@dataclass
class SeedSummary:
    receipts: dict[str, int] = field(default_factory=dict)
    vouchers: dict[str, int] = field(default_factory=dict)
    loans: dict[str, int] = field(default_factory=dict)


def is_seeded(lh: Ledgerhouse) -> bool:
    """Whether the seed's first stocktake is on chain (a resumed devnet keeps its seed)."""
    return bool(
        lh.receipts.logs(
            [None, topic_of(identifier_commitment(ALUMINIUM_LOT, what="lot"))], event="StocktakeRecorded"
        )
    )


def seed_supply_chain(w3: Web3, manifest: Manifest, progress: Callable[[str], None] = print) -> SeedSummary:
    """Writes the seed story on chain, as each participant would, through the SDK."""

    def as_(name: str) -> Ledgerhouse:
        return Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())

    def address(name: str) -> str:
        return dev_account(name).address

    today = datetime.now(UTC).date()
    seed = SeedSummary()
    inspector = as_("inspector1").receipts
    progress("inspector1 attests 500.000 t aluminium at warehouse1 and 96.000 t of steel coils at warehouse2")
    inspector.stocktake(
        address("warehouse1"),
        ALUMINIUM_LOT,
        commodity="AL-A00",
        quantity="500.000",
        unit="t",
        decimals=3,
        evidence=file_commitment(INSPECTION_REPORT),
    )
    inspector.stocktake(
        address("warehouse2"),
        STEEL_LOT,
        commodity="HRC-Q235",
        quantity="96.000",
        unit="t",
        decimals=3,
        evidence=commitment("iot-weighbridge-2026-11-30-bay3"),
    )
    progress("warehouses mint: 500.000 t aluminium to supplier1, 4 steel coils (96.000 t) to supplier2")
    aluminium = (
        as_("warehouse1")
        .receipts.mint(
            address("supplier1"),
            ALUMINIUM_LOT,
            commodity="AL-A00",
            quantity="500.000",
            expires=today + timedelta(days=180),
            details=file_commitment(INSPECTION_REPORT),
        )
        .receipt_id
    )
    steel = (
        as_("warehouse2")
        .receipts.mint(
            address("supplier2"),
            STEEL_LOT,
            commodity="HRC-Q235",
            quantity="96.000",
            expires=today + timedelta(days=180),
            items=STEEL_COILS,
        )
        .receipt_id
    )
    progress("supplier1 splits the aluminium 300 / 200 t and endorses 200 t to supplier3")
    _, parts = as_("supplier1").receipts.split(aluminium, ["300.000", "200.000"])
    as_("supplier1").receipts.transfer(parts[1], address("supplier3"))
    progress("bank1 checks the 300 t receipt and takes it as collateral for CNY 1,500,000.00")
    report = as_("bank1").receipts.check(aluminium)
    if not report.safe_to_lend:
        raise RuntimeError(f"seed: bank1's check refused receipt {aluminium}: {report.findings}")
    _, seq = as_("supplier1").receipts.request_pledge(
        aluminium,
        address("bank1"),
        amount="1500000.00",
        currency="CNY",
        maturity=today + timedelta(days=90),
        loan_ref="B1-WR-LOAN-2026-0007",
    )
    as_("bank1").receipts.accept_pledge(aluminium, seq)
    seed.receipts.update(aluminium=aluminium, aluminium_part=parts[1], steel=steel)
    progress("publisher1 posts aluminium at CNY 19,250.00/t (illustrative); bank1 values its loan against it")
    as_("admin").prices.create_feed("AL-A00", unit="t", currency="CNY", decimals=2)
    as_("admin").prices.admit_publisher("AL-A00", address("publisher1"))
    as_("publisher1").prices.post_price("AL-A00", "19250.00", source="SHFE-SETTLE")
    seed.loans["aluminium"] = (
        as_("bank1")
        .valuation.open_loan(
            [aluminium],
            amount="1500000.00",
            currency="CNY",
            loan_ref="B1-WR-LOAN-2026-0007",
            terms=SEED_TERMS,
        )
        .loan_id
    )

    progress("bank1 opens a CNY 10,000,000.00 line for core1; core1 issues CNY 2,000,000.00 to supplier1")
    as_("bank1").receivables.set_credit_line(
        address("core1"), limit="10000000.00", currency="CNY", expires=today + timedelta(days=365)
    )
    _, root = as_("core1").receivables.issue(
        address("supplier1"),
        amount="2000000.00",
        currency="CNY",
        maturity=today + timedelta(days=120),
        document=file_commitment(TRADE_INVOICE),
    )
    progress("the voucher goes down the chain: 800,000.00 to supplier2, 300,000.00 of that to supplier3")
    _, tier1 = as_("supplier1").receivables.split(root, address("supplier2"), "800000.00")
    _, tier2 = as_("supplier2").receivables.split(tier1, address("supplier3"), "300000.00")
    progress("supplier3 discounts its 300,000.00 piece at bank2 for 295,000.00")
    as_("supplier3").receivables.offer_discount(tier2, address("bank2"), "295000.00")
    as_("bank2").receivables.accept_discount(tier2, "B2-DISC-2026-0019", "295000.00")
    seed.vouchers.update(root=root, tier1=tier1, tier2=tier2)
    return seed
