"""The warehouse, inspector, owner, bank and regulator commands end to end against anvil."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from client.cli import main
from tests.cli.helpers import addr, fails, ok

pytestmark = pytest.mark.usefixtures("devnet_env")
MATURITY = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()


def stocktake(
    capsys: pytest.CaptureFixture[str], lot: str, quantity: str, warehouse: str = "warehouse1"
) -> dict[str, Any]:
    return ok(
        capsys,
        "--as",
        "inspector1",
        "inspector",
        "stocktake",
        "--warehouse",
        addr(warehouse),
        "--lot",
        lot,
        "--commodity",
        "STEEL-HRC",
        "--quantity",
        quantity,
        "--unit",
        "t",
    )


def test_receipt_life_through_the_cli(w3: Web3, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "inspection.pdf"
    report.write_bytes(b"%PDF-1.7 inspection of 120 coils")
    stocktake(capsys, "BAOSTEEL-HRC-88231", "500.000")
    minted = ok(
        capsys,
        "--as",
        "warehouse1",
        "warehouse",
        "mint",
        "--to",
        addr("supplier1"),
        "--lot",
        "BAOSTEEL-HRC-88231",
        "--commodity",
        "STEEL-HRC",
        "--quantity",
        "500",
        "--unit",
        "t",
        "--grade",
        "Q235B",
        "--location",
        "Shed 4 bay 12",
        "--document",
        str(report),
        "--expires",
        MATURITY,
    )
    rid = str(minted["receipt_id"])
    assert str(minted["tx_hash"]).startswith("0x")

    checked = ok(capsys, "bank", "check", rid)
    assert checked["safe_to_lend"] is True and checked["genuine"] is True

    ok(
        capsys,
        "--as",
        "supplier1",
        "receipt",
        "pledge",
        rid,
        "--lender",
        addr("bank1"),
        "--amount",
        "2000000.00",
        "--currency",
        "CNY",
        "--maturity",
        MATURITY,
        "--loan-ref",
        "LOAN-2026-0042",
    )
    ok(capsys, "--as", "bank1", "bank", "accept-pledge", rid)
    err = fails(
        capsys,
        "--as",
        "supplier1",
        "receipt",
        "pledge",
        rid,
        "--lender",
        addr("bank2"),
        "--amount",
        "1",
        "--maturity",
        MATURITY,
    )
    assert err == f"ReceiptPledged: receipt {rid} is pledged to 0x15d3…6A65 (bank1)"
    shown = ok(capsys, "receipt", "show", rid)
    assert shown["lien"]["state"] == "active" and shown["lien"]["secured_amount"] == "2000000.00"
    code = main(["--json", "bank", "check", rid])  # the verdict is in the exit code: 2, not safe
    out, err = capsys.readouterr()
    assert (code, err) == (2, "") and json.loads(out)["safe_to_lend"] is False

    ok(capsys, "--as", "bank1", "bank", "release", rid)
    ok(capsys, "--as", "supplier1", "receipt", "transfer", rid, "--to", addr("supplier2"))
    parts = ok(capsys, "--as", "supplier2", "receipt", "split", rid, "--quantities", "350,150")["receipt_ids"]
    assert isinstance(parts, list) and len(parts) == 2
    ok(capsys, "--as", "regulator1", "regulator", "freeze", str(parts[1]), "--reason", "court order 2026-77")
    err = fails(capsys, "--as", "supplier2", "receipt", "transfer", str(parts[1]), "--to", addr("supplier3"))
    assert err == f"ReceiptIsFrozen: receipt {parts[1]} is under a judicial freeze"
    ok(capsys, "--as", "regulator1", "regulator", "unfreeze", str(parts[1]), "--reason", "order lifted")
    ok(capsys, "--as", "supplier2", "receipt", "request-delivery", str(parts[1]), "--quantity", "50")
    delivered = ok(capsys, "--as", "warehouse1", "warehouse", "deliver", str(parts[1]), "--quantity", "50")
    assert delivered["delivered"] == "50.000"
    assert ok(capsys, "receipt", "show", str(parts[1]))["receipt"]["quantity"] == "100.000"


def test_shortfall_through_the_cli_names_the_lender(w3: Web3, capsys: pytest.CaptureFixture[str]) -> None:
    stocktake(capsys, "LOT-SHORT", "100")
    rid = str(
        ok(
            capsys,
            "--as",
            "warehouse1",
            "warehouse",
            "mint",
            "--to",
            addr("supplier1"),
            "--lot",
            "LOT-SHORT",
            "--commodity",
            "STEEL-HRC",
            "--quantity",
            "100",
            "--unit",
            "t",
        )["receipt_id"]
    )
    ok(
        capsys,
        "--as",
        "supplier1",
        "receipt",
        "pledge",
        rid,
        "--lender",
        addr("bank2"),
        "--amount",
        "1000",
        "--maturity",
        MATURITY,
    )
    ok(capsys, "--as", "bank2", "bank", "accept-pledge", rid)
    result = stocktake(capsys, "LOT-SHORT", "60")
    assert result["shortfall"] == {
        "quantity": "40.000",
        "lenders": [addr("bank2")],
        "pledged_receipts": [int(rid)],
    }


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            [
                "warehouse",
                "mint",
                "--to",
                addr("supplier1"),
                "--lot",
                "NEVER-SEEN",
                "--commodity",
                "X",
                "--quantity",
                "1",
                "--unit",
                "t",
            ],
            "InvalidInput: lot 'NEVER-SEEN' has never been attested by an inspector",
        ),
        (
            [
                "warehouse",
                "mint",
                "--to",
                "0x12",
                "--lot",
                "L",
                "--commodity",
                "X",
                "--quantity",
                "1",
                "--unit",
                "t",
            ],
            "InvalidInput: --to '0x12' is not a 20-byte hex address (0x followed by 40 hex digits)",
        ),
        (
            [
                "warehouse",
                "mint",
                "--to",
                addr("supplier1"),
                "--lot",
                "L",
                "--commodity",
                "X",
                "--quantity",
                "1",
                "--unit",
                "t",
                "--expires",
                "2020-02-30",
            ],
            "InvalidInput: --expires '2020-02-30' is not a date: day is out of range for month",
        ),
        (["warehouse", "deliver", "abc"], "InvalidInput: receipt id 'abc' must be a positive whole number"),
        (
            ["receipt", "show", "999"],
            "ReceiptNotFound: receipt 999 does not exist (never minted, or delivered and burned)",
        ),
    ],
)
def test_bad_input_is_one_line(
    w3: Web3, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    block = w3.eth.block_number
    assert fails(capsys, "--as", "warehouse1", *argv) == expected
    assert w3.eth.block_number == block


def test_mint_batch_validates_everything_first_and_never_mints_twice(
    w3: Web3, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for lot in ("B-1", "B-2", "B-3"):
        stocktake(capsys, lot, "80")
    good = tmp_path / "receipts.csv"
    good.write_text(
        "to,lot,commodity,quantity,unit,grade,location\n"
        f"{addr('supplier1')},B-1,STEEL-HRC,80,t,Q235B,Shed 1\n"
        f"{addr('supplier2')},B-2,STEEL-HRC,40.5,t,Q235B,Shed 2\n"
        f"{addr('supplier3')},B-3,STEEL-HRC,10,t,Q345,Shed 3\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text().replace("40.5,t", "90,t"))
    block = w3.eth.block_number
    err = fails(capsys, "--as", "warehouse1", "warehouse", "mint-batch", str(bad))
    assert err == f"InvalidInput: {bad} line 3: field 'quantity': 90 exceeds the attested 80.000 t"
    assert w3.eth.block_number == block, "a bad row must stop the batch before anything is sent"

    first = ok(capsys, "--as", "warehouse1", "warehouse", "mint-batch", str(good))
    assert [m["line"] for m in first["minted"]] == [2, 3, 4]
    assert len({m["tx_hash"] for m in first["minted"]}) == 1, "bulk rows go several to a transaction"
    again = ok(capsys, "--as", "warehouse1", "warehouse", "mint-batch", str(good))
    assert again["minted"] == [] and len(again["skipped"]) == 3


def test_admin_pause_stops_every_state_change_and_reads_still_work(
    w3: Web3, capsys: pytest.CaptureFixture[str]
) -> None:
    stocktake(capsys, "PAUSE-LOT", "10")
    err = fails(capsys, "--as", "bank1", "admin", "pause")
    assert err == "NotConsortiumAdmin: 0x15d3…6A65 (bank1) is not the consortium admin"
    ok(capsys, "--as", "admin", "admin", "pause")
    err = fails(
        capsys,
        "--as",
        "warehouse1",
        "warehouse",
        "mint",
        "--to",
        addr("supplier1"),
        "--lot",
        "PAUSE-LOT",
        "--commodity",
        "STEEL-HRC",
        "--quantity",
        "10",
        "--unit",
        "t",
    )
    assert err == "ReceiptsPaused: warehouse receipts are paused by the consortium admin"
    err = fails(
        capsys,
        "--as",
        "bank1",
        "receivable",
        "credit-line",
        "--core",
        addr("core1"),
        "--limit",
        "1",
        "--expires",
        "2030-01-01",
    )
    assert err == "EnforcedPause: the contract is paused by the consortium admin"
    assert ok(capsys, "admin", "list")["members"]  # reads still work
    ok(capsys, "--as", "admin", "admin", "unpause")
    ok(
        capsys,
        "--as",
        "warehouse1",
        "warehouse",
        "mint",
        "--to",
        addr("supplier1"),
        "--lot",
        "PAUSE-LOT",
        "--commodity",
        "STEEL-HRC",
        "--quantity",
        "10",
        "--unit",
        "t",
    )
