"""The sample supply chain, scripted once: the devnet's seed (what `make run` starts with unless told
`--empty`), the steps `ledgerhouse demo` tells, and the history the registry's tests index.

The steps are written as each participant would take them, through the SDK, with names of the devnet
participants (`client.devnet`): `attest`, `pledge` and `finance_down_the_chain` are shared; each
caller picks its own quantities. `seed_supply_chain` is the seed: two warehouses with attested lots
(aluminium ingots in bulk at Qingdao, steel coils with serials at Baoshan), receipts minted, split and
endorsed, one pledged to bank1 after its due-diligence check and lent against at an (illustrative)
aluminium price, so the registry shows its loan-to-value; a core enterprise with a credit line whose
payable is split down three tiers, one piece discounted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from web3 import Web3

from client import Ledgerhouse
from client._contract import topic_of
from client._encoding import commitment, file_commitment
from client.chain import TxResult
from client.deployment import Manifest
from client.devnet import dev_account, dev_labels
from client.identifiers import identifier_commitment
from client.valuation import Terms

__all__ = [
    "ALUMINIUM_LOT",
    "STEEL_COILS",
    "STEEL_LOT",
    "Cast",
    "Payable",
    "SeedSummary",
    "address",
    "attest",
    "cast_of",
    "finance_down_the_chain",
    "is_seeded",
    "pledge",
    "seed_supply_chain",
]

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


Cast = Callable[[str], Ledgerhouse]  # a devnet participant's name -> the SDK signed with its key
Amount = Decimal | int | str


def address(name: str) -> str:
    """A devnet participant's address."""
    return dev_account(name).address


def cast_of(w3: Web3, manifest: Manifest) -> Cast:
    """Each participant by name, signing with its own devnet key."""
    labels = dev_labels()

    def as_(name: str) -> Ledgerhouse:
        return Ledgerhouse(w3, manifest, account=dev_account(name), labels=labels)

    return as_


def attest(
    as_: Cast,
    warehouse: str,
    lot: str,
    *,
    commodity: str,
    quantity: Amount,
    evidence: bytes = b"",
    inspector: str = "inspector1",
) -> TxResult:
    """An inspector's stocktake of a lot at a warehouse, in tonnes to three decimals."""
    return as_(inspector).receipts.stocktake(
        address(warehouse),
        lot,
        commodity=commodity,
        quantity=quantity,
        unit="t",
        decimals=3,
        evidence=evidence,
    )


def pledge(
    as_: Cast,
    receipt_id: int,
    *,
    owner: str,
    lender: str,
    amount: Amount,
    maturity: date,
    loan_ref: str = "",
) -> int:
    """The owner asks `lender` for a CNY loan against the receipt and the lender accepts; returns
    the request number."""
    _, seq = as_(owner).receipts.request_pledge(
        receipt_id, address(lender), amount=amount, currency="CNY", maturity=maturity, loan_ref=loan_ref
    )
    as_(lender).receipts.accept_pledge(receipt_id, seq)
    return seq


@dataclass(frozen=True)
class Payable:
    """A core enterprise's payable passed down the chain: the root and the pieces split from it."""

    root: int
    tier1: int  # split from the root to supplier2
    tier2: int  # split from tier1 to supplier3, then discounted at bank2


def finance_down_the_chain(
    as_: Cast,
    *,
    limit: Amount,
    face: Amount,
    maturity: date,
    document: bytes,
    to_tier1: Amount,
    to_tier2: Amount,
    discount_price: Amount,
    discount_ref: str,
) -> Payable:
    """bank1 opens a CNY credit line for core1 (a year); core1 issues `face` to supplier1, due
    `maturity`; supplier1 passes `to_tier1` to supplier2, who passes `to_tier2` to supplier3, who
    discounts that piece at bank2 for `discount_price`."""
    today = datetime.now(UTC).date()
    as_("bank1").receivables.set_credit_line(
        address("core1"), limit=limit, currency="CNY", expires=today + timedelta(days=365)
    )
    _, root = as_("core1").receivables.issue(
        address("supplier1"), amount=face, currency="CNY", maturity=maturity, document=document
    )
    _, tier1 = as_("supplier1").receivables.split(root, address("supplier2"), to_tier1)
    _, tier2 = as_("supplier2").receivables.split(tier1, address("supplier3"), to_tier2)
    as_("supplier3").receivables.offer_discount(tier2, address("bank2"), discount_price)
    as_("bank2").receivables.accept_discount(tier2, discount_ref, discount_price)
    return Payable(root=root, tier1=tier1, tier2=tier2)


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
    as_ = cast_of(w3, manifest)
    today = datetime.now(UTC).date()
    seed = SeedSummary()
    progress("inspector1 attests 500.000 t aluminium at warehouse1 and 96.000 t of steel coils at warehouse2")
    attest(
        as_,
        "warehouse1",
        ALUMINIUM_LOT,
        commodity="AL-A00",
        quantity="500.000",
        evidence=file_commitment(INSPECTION_REPORT),
    )
    attest(
        as_,
        "warehouse2",
        STEEL_LOT,
        commodity="HRC-Q235",
        quantity="96.000",
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
    pledge(
        as_,
        aluminium,
        owner="supplier1",
        lender="bank1",
        amount="1500000.00",
        maturity=today + timedelta(days=90),
        loan_ref="B1-WR-LOAN-2026-0007",
    )
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
    progress("the voucher goes down the chain: 800,000.00 to supplier2, 300,000.00 of that to supplier3")
    progress("supplier3 discounts its 300,000.00 piece at bank2 for 295,000.00")
    payable = finance_down_the_chain(
        as_,
        limit="10000000.00",
        face="2000000.00",
        maturity=today + timedelta(days=120),
        document=file_commitment(TRADE_INVOICE),
        to_tier1="800000.00",
        to_tier2="300000.00",
        discount_price="295000.00",
        discount_ref="B2-DISC-2026-0019",
    )
    seed.vouchers.update(root=payable.root, tier1=payable.tier1, tier2=payable.tier2)
    return seed
