"""`ledgerhouse audit …` end to end against anvil: histories, --at-block, sums, JSON, CSV, bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from web3 import Web3

from client import Ledgerhouse
from client._encoding import commitment
from client.cli import main
from client.identifiers import identifier_commitment
from tests.cli.helpers import addr, fails, ok

pytestmark = pytest.mark.usefixtures("devnet_env")
AsFactory = Callable[[str], Ledgerhouse]


def chain_day(w3: Web3, days: int) -> date:
    now = int(w3.eth.get_block("latest")["timestamp"])
    return (datetime.fromtimestamp(now, UTC) + timedelta(days=days)).date()


@dataclass(frozen=True)
class Story:
    receipt: int  # minted, pledged to bank1 and released, endorsed, split
    part: int  # the split-off part, pledged to bank2
    pledged_at: int  # the block where `receipt` was pledged to bank1, still with supplier1
    short_receipt: int  # on a lot found short, pledged to bank1
    root: int
    piece: int  # split from the root to supplier3
    sold: int  # discounted by supplier2 to bank2


def story(as_: AsFactory, w3: Web3) -> Story:
    """Receipts and vouchers of supplier2, financed by two banks, with a shortfall on one lot."""
    due = chain_day(w3, 90)
    inspector = as_("inspector1").receipts
    inspector.stocktake(addr("warehouse1"), "AUD-LOT-1", commodity="CU", quantity="300", unit="t")
    rid = (
        as_("warehouse1")
        .receipts.mint(addr("supplier1"), "AUD-LOT-1", commodity="CU", quantity="300")
        .receipt_id
    )
    as_("supplier1").receipts.request_pledge(
        rid, addr("bank1"), amount="1000.00", currency="CNY", maturity=due
    )
    as_("bank1").receipts.accept_pledge(rid)
    pledged_at = w3.eth.block_number
    as_("bank1").receipts.release_pledge(rid)
    as_("supplier1").receipts.transfer(rid, addr("supplier2"))
    _, (_, part) = as_("supplier2").receipts.split(rid, ["100", "200"])
    as_("supplier2").receipts.request_pledge(
        part, addr("bank2"), amount="2000.00", currency="CNY", maturity=due
    )
    as_("bank2").receipts.accept_pledge(part)

    inspector.stocktake(addr("warehouse1"), "AUD-LOT-2", commodity="CU", quantity="50", unit="t")
    short = (
        as_("warehouse1")
        .receipts.mint(addr("supplier2"), "AUD-LOT-2", commodity="CU", quantity="50")
        .receipt_id
    )
    as_("supplier2").receipts.request_pledge(
        short, addr("bank1"), amount="300.00", currency="CNY", maturity=due
    )
    as_("bank1").receipts.accept_pledge(short)
    inspector.stocktake(addr("warehouse1"), "AUD-LOT-2", commodity="CU", quantity="20", unit="t")

    as_("bank1").receivables.set_credit_line(
        addr("core1"), limit="9000000.00", currency="CNY", expires=chain_day(w3, 365)
    )
    _, root = as_("core1").receivables.issue(
        addr("supplier2"), amount="1000000.00", currency="CNY", maturity=due, document=commitment("AUD-INV")
    )
    s2 = as_("supplier2").receivables
    _, piece = s2.split(root, addr("supplier3"), "300000.00")
    _, sold = s2.split(root, addr("supplier2"), "100000.00")
    s2.offer_discount(sold, addr("bank2"), "98000.00")
    as_("bank2").receivables.accept_discount(sold, payment_ref="AUD-PAY")
    return Story(rid, part, pledged_at, short, root, piece, sold)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return out


def csv_rows(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run(capsys, *argv, "--csv"))))


def entries(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (e["event"], e["receipt_id"], e["scope"], e["by"], e["counterparty"], e["quantity"], e["amount"])
        for e in report["history"]
    ]


def test_receipt_audit_is_the_scripted_history(
    w3: Web3, as_: AsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    s = story(as_, w3)
    report = ok(capsys, "audit", "receipt", str(s.part))
    s1, s2, b1, b2 = (addr(n) for n in ("supplier1", "supplier2", "bank1", "bank2"))
    assert entries(report) == [
        ("ReceiptMinted", s.receipt, "inherited", addr("warehouse1"), s1, "300.000", None),
        ("PledgeRequested", s.receipt, "inherited", s1, b1, None, "1000.00"),
        ("PledgeAccepted", s.receipt, "inherited", b1, s1, None, "1000.00"),
        ("PledgeReleased", s.receipt, "inherited", b1, s1, None, None),
        ("Transfer", s.receipt, "inherited", s1, s2, "300.000", None),
        ("ReceiptSplit", s.receipt, "inherited", s2, None, "100.000", None),
        ("PledgeRequested", s.part, "receipt", s2, b2, None, "2000.00"),
        ("PledgeAccepted", s.part, "receipt", b2, s2, None, "2000.00"),
    ]
    assert report["split_from"] == [s.receipt] and report["findings"] == []
    assert report["stocktake"]["attested"] == "300.000" and report["stocktake"]["by"] == addr("inspector1")
    state = report["state"]
    assert (state["status"], state["owner"], state["quantity"]) == ("pledged", s2, "200.000")
    assert (state["lien"]["lender"], state["lien"]["secured_amount"], state["lien"]["currency"]) == (
        b2,
        "2000.00",
        "CNY",
    )
    for entry in report["history"]:  # every entry: block, UTC ISO time, transaction
        assert entry["block"] > 0 and entry["tx_hash"].startswith("0x") and len(entry["tx_hash"]) == 66
        assert datetime.fromisoformat(entry["time"]).utcoffset() == timedelta(0)

    table = run(capsys, "audit", "receipt", str(s.part))
    for text in (
        "history",
        "ReceiptMinted",
        "ReceiptSplit",
        "(parent)",
        "now: pledged",
        "(bank2)",
        "findings: none",
    ):
        assert text in table, text


def test_at_block_matches_the_state_at_that_block(
    w3: Web3, as_: AsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    s = story(as_, w3)
    then = ok(capsys, "audit", "receipt", str(s.receipt), "--at-block", str(s.pledged_at))
    now = ok(capsys, "audit", "receipt", str(s.receipt))
    assert then["at_block"] == s.pledged_at and now["at_block"] > s.pledged_at
    assert then["history"] == [e for e in now["history"] if e["block"] <= s.pledged_at]
    assert (then["state"]["owner"], then["state"]["quantity"], then["state"]["status"]) == (
        addr("supplier1"),
        "300.000",
        "pledged",
    )
    assert then["state"]["lien"]["lender"] == addr("bank1")
    assert (now["state"]["owner"], now["state"]["quantity"], now["state"]["lien"]) == (
        addr("supplier2"),
        "100.000",
        None,
    )
    exposure = ok(capsys, "audit", "exposure", addr("supplier1"), "--at-block", str(s.pledged_at))
    assert [(i["kind"], i["asset_id"], i["lender"]) for i in exposure["items"]] == [
        ("receipt-pledge", s.receipt, addr("bank1"))
    ]
    assert ok(capsys, "audit", "exposure", addr("supplier1"))["items"] == []
    err = fails(capsys, "audit", "voucher", str(s.root), "--at-block", str(s.pledged_at))
    assert (
        err
        == f"InvalidInput: voucher {s.root} was never issued (no event names it up to block {s.pledged_at})"
    )


def test_voucher_tree_closes(w3: Web3, as_: AsFactory, capsys: pytest.CaptureFixture[str]) -> None:
    s = story(as_, w3)
    report = ok(capsys, "audit", "voucher", str(s.sold))
    assert report["closes"] is True and all(c["ok"] for c in report["checks"])
    assert (report["face_value"], report["live_total"], report["paid_total"]) == (
        "1000000.00",
        "1000000.00",
        "0.00",
    )
    assert report["ancestors"] == [s.root] and report["descendants"] == []
    pieces = {p["voucher_id"]: p for p in report["pieces"]}
    assert [(p["relation"], p["value"], p["holder"]) for p in pieces.values()] == [
        ("root", "600000.00", addr("supplier2")),
        ("other", "300000.00", addr("supplier3")),
        ("self", "100000.00", addr("bank2")),
    ]
    assert pieces[s.sold]["discount"]["seller"] == addr("supplier2")
    assert pieces[s.sold]["discount"]["price"] == "98000.00"
    assert [e["event"] for e in report["history"]] == [
        "VoucherIssued",
        "VoucherSplit",
        "VoucherSplit",
        "DiscountOffered",
        "VoucherDiscounted",
    ]
    table = run(capsys, "audit", "voucher", str(s.root))
    assert "CLOSES" in table and "DOES NOT CLOSE" not in table and "FAIL" not in table


def test_exposure_across_two_banks(w3: Web3, as_: AsFactory, capsys: pytest.CaptureFixture[str]) -> None:
    s = story(as_, w3)
    report = ok(capsys, "audit", "exposure", addr("supplier2"))
    assert [(i["kind"], i["lender"], i["asset_id"], i["amount"], i["price"]) for i in report["items"]] == [
        ("receipt-pledge", addr("bank2"), s.part, "2000.00", None),
        ("receipt-pledge", addr("bank1"), s.short_receipt, "300.00", None),
        ("voucher-discount", addr("bank2"), s.sold, "100000.00", "98000.00"),
    ]
    totals = {t["lender"]: t for t in report["totals"]}
    assert (totals[addr("bank1")]["total"], totals[addr("bank1")]["receipt_pledges"]) == ("300.00", 1)
    assert (totals[addr("bank2")]["total"], totals[addr("bank2")]["discounts"]) == ("102000.00", 1)
    table = run(capsys, "audit", "exposure", addr("supplier2"))
    assert "totals per lender" in table and "102000.00" in table


def test_warehouse_lots_with_a_shortfall(
    w3: Web3, as_: AsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    s = story(as_, w3)
    report = ok(capsys, "audit", "warehouse", addr("warehouse1"))
    assert (report["live_receipts"], report["shortfalls"], report["findings"]) == (3, 1, [])
    first, second = report["lots"]
    assert (first["lot_id"], first["live_receipts"], first["receipted"]) == (
        "0x" + identifier_commitment("AUD-LOT-1").hex(),
        2,
        "300.000",
    )
    assert [(e["event"], e["attested"], e["receipted"], e["shortfall"]) for e in second["timeline"]] == [
        ("StocktakeRecorded", "50.000", "0.000", None),
        ("StockShortfall", "20.000", "50.000", "30.000"),
        ("StocktakeRecorded", "20.000", "50.000", None),
    ]
    assert second["timeline"][1]["lenders"] == [addr("bank1")]
    assert second["timeline"][1]["pledged_receipts"] == [s.short_receipt]
    assert (second["frozen"], second["reconciles"]) == (True, True)
    table = run(capsys, "audit", "warehouse", addr("warehouse1"))
    assert "SHORTFALL" in table and "stock over time" in table


def test_json_and_csv_parse_for_every_report(
    w3: Web3, as_: AsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    s = story(as_, w3)
    history = csv_rows(capsys, "audit", "receipt", str(s.part))
    assert [r["event"] for r in history][-2:] == ["PledgeRequested", "PledgeAccepted"]
    assert history[0]["quantity"] == "300.000" and history[0]["unit"] == "t"
    assert history[-1]["amount"] == "2000.00" and history[-1]["by"] == addr("bank2")

    pieces = csv_rows(capsys, "audit", "voucher", str(s.root))
    assert [(r["voucher_id"], r["value"], r["status"]) for r in pieces] == [
        (str(s.root), "600000.00", "active"),
        (str(s.piece), "300000.00", "active"),
        (str(s.sold), "100000.00", "active"),
    ]
    assert pieces[2]["discount_price"] == "98000.00" and pieces[0]["root_id"] == str(s.root)

    items = csv_rows(capsys, "audit", "exposure", addr("supplier2"))
    assert {r["borrower"] for r in items} == {addr("supplier2")} and len(items) == 3

    lots = csv_rows(capsys, "audit", "warehouse", addr("warehouse1"), "--at-block", str(w3.eth.block_number))
    current = [r for r in lots if r["event"] == "current"]
    assert [(r["live_receipts"], r["reconciles"]) for r in current] == [("2", "true"), ("1", "true")]
    assert [r["event"] for r in lots if r["lot_id"] == current[1]["lot_id"]] == [
        "StocktakeRecorded",
        "StockShortfall",
        "StocktakeRecorded",
        "current",
    ]

    for argv in (
        ["audit", "receipt", str(s.receipt)],
        ["audit", "voucher", str(s.piece)],
        ["audit", "exposure", addr("supplier1")],
        ["audit", "warehouse", addr("warehouse2")],
    ):
        code = main(["--json", *argv])
        out, err = capsys.readouterr()
        assert code == 0 and err == "" and isinstance(json.loads(out), dict)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["audit", "receipt", "999"],
            r"InvalidInput: receipt 999 was never minted \(no event names it up to block \d+\)",
        ),
        (["audit", "receipt", "abc"], r"InvalidInput: receipt id 'abc' must be a positive whole number"),
        (["audit", "receipt", "-3"], r"InvalidInput: receipt id '-3' must be a positive whole number"),
        (
            ["audit", "exposure", "0x12"],
            r"InvalidInput: address '0x12' is not a 20-byte hex address \(0x followed by 40 hex digits\)",
        ),
        (
            ["audit", "warehouse", "warehouse1"],
            r"InvalidInput: address 'warehouse1' is not a 20-byte hex address .*",
        ),
        (
            ["audit", "receipt", "1", "--at-block", "-5"],
            r"InvalidInput: --at-block '-5' must be a block number \(a whole number, 0 or more\)",
        ),
        (
            ["audit", "warehouse", addr("warehouse1"), "--at-block", "123456789"],
            r"InvalidInput: --at-block 123456789 is beyond the chain head \(block \d+\)",
        ),
        (
            ["audit", "voucher", "42"],
            r"InvalidInput: voucher 42 was never issued \(no event names it up to block \d+\)",
        ),
        (["audit", "voucher", "1000000", "--csv", "--json"], r"InvalidInput: choose one of --json and --csv"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], w3: Web3, argv: list[str], expected: str
) -> None:
    err = fails(capsys, *argv)
    assert "Traceback" not in err
    assert re.fullmatch(expected, err), err
