"""A scripted supply-chain history on the session chain, touching every event the indexer handles.

Built from the sample supply chain's shared steps (`client.seed`), with the quantities and documents
these tests assert on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from web3 import Web3

from client import Ledgerhouse
from client._encoding import commitment, file_commitment
from client.seed import ALUMINIUM_LOT, address, attest, finance_down_the_chain, pledge
from client.seed import STEEL_LOT as STEEL_LOT
from tests.conftest import increase_time

AsFactory = Callable[[str], Ledgerhouse]

ALU_LOT = ALUMINIUM_LOT
INSPECTION_REPORT = b"%PDF-1.7 inspection report: 300.000 t aluminium A00, lot SHFE-AL-2026-000731"
RECEIPT_DETAILS = b"%PDF-1.7 warehouse receipt annex: grade A00, bay 7, Qingdao bonded zone"
INVOICE = b"%PDF-1.7 invoice INV-2026-0042 Core Auto to Tier-1 Steel Parts, CNY 1,000,000.00"


def addr(name: str) -> str:
    return address(name)


@dataclass
class History:
    receipts: dict[str, int] = field(default_factory=dict)
    vouchers: dict[str, int] = field(default_factory=dict)
    blocks: dict[str, int] = field(default_factory=dict)


def build_history(w3: Web3, as_: AsFactory) -> History:
    """Stocktakes, mints, split, merge, transfer, pledges, freeze, delivery, shortfall; a voucher
    split down three tiers, discounted, pledged and settled."""
    h = History()
    in_90_days = (datetime.now(UTC) + timedelta(days=90)).date()
    in_60_days = (datetime.now(UTC) + timedelta(days=60)).date()
    attest(
        as_,
        "warehouse1",
        ALU_LOT,
        commodity="AL-A00",
        quantity="300.000",
        evidence=file_commitment(INSPECTION_REPORT),
    )
    attest(
        as_,
        "warehouse2",
        STEEL_LOT,
        commodity="HRC-Q235",
        quantity="120.000",
        evidence=commitment("iot-scan-2026-11-30"),
    )
    wh1, wh2 = as_("warehouse1").receipts, as_("warehouse2").receipts
    alu = wh1.mint(
        addr("supplier1"),
        ALU_LOT,
        commodity="AL-A00",
        quantity="300.000",
        details=file_commitment(RECEIPT_DETAILS),
        expires=in_60_days,
    ).receipt_id
    steel = wh2.mint(addr("supplier2"), STEEL_LOT, commodity="HRC-Q235", quantity="120.000").receipt_id
    h.receipts.update(alu=alu, steel=steel)

    s1 = as_("supplier1").receipts
    _, parts = s1.split(alu, ["100.000", "120.000", "80.000"])
    h.receipts.update(alu_b=parts[1], alu_c=parts[2])
    s1.merge(alu, parts[2])  # alu: 180.000, alu_c gone
    s1.transfer(parts[1], addr("supplier3"))
    pledge(
        as_,
        alu,
        owner="supplier1",
        lender="bank1",
        amount="900000.00",
        maturity=in_90_days,
        loan_ref="LOAN-B1-0001",
    )
    pledge(as_, steel, owner="supplier2", lender="bank2", amount="400000.00", maturity=in_90_days)
    as_("bank2").receipts.release_pledge(steel)
    pledge(as_, steel, owner="supplier2", lender="bank1", amount="350000.00", maturity=in_90_days)
    s3 = as_("supplier3").receipts
    s3.request_delivery(parts[1], "20.000")
    wh1.confirm_delivery(parts[1])  # alu_b: 100 -> 80
    regulator = as_("regulator1").receipts
    regulator.freeze(parts[1], "court order 2026-SH-118")
    regulator.unfreeze(parts[1], "order lifted")
    h.blocks["before_shortfall"] = w3.eth.block_number
    # The stocktake finds 250 t where 280 t are receipted: the lot freezes and bank1 is named.
    attest(
        as_,
        "warehouse1",
        ALU_LOT,
        commodity="AL-A00",
        quantity="250.000",
        evidence=commitment("ai-vision-2026-11-30"),
    )

    # Receivables: core1's payable reaches tier 3.
    maturity = (datetime.now(UTC) + timedelta(days=30)).date()
    payable = finance_down_the_chain(
        as_,
        limit="5000000.00",
        face="1000000.00",
        maturity=maturity,
        document=file_commitment(INVOICE),
        to_tier1="400000.00",
        to_tier2="150000.00",
        discount_price="148000.00",
        discount_ref="PAY-DISC-0001",
    )
    root, t2, t3 = payable.root, payable.tier1, payable.tier2
    as_("supplier2").receivables.request_pledge(
        t2, addr("bank1"), amount="200000.00", maturity=maturity, loan_ref="LOAN-B1-0002"
    )
    as_("bank1").receivables.accept_pledge(t2)
    h.vouchers.update(root=root, tier2=t2, tier3=t3)
    increase_time(w3, 31 * 86_400)
    as_("core1").receivables.settle(t3, "PAY-2026-7781")
    h.blocks["end"] = w3.eth.block_number
    return h
