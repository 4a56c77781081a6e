"""Batches from CSV files: every row checked against the chain first, every bad row named with its
line number in one run, nothing sent when any row is bad, and an exact account of what went through
when the chain refuses a transaction after sending began (issue 16, items 2 and 13)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from web3 import Web3

from client import Ledgerhouse
from client.batch import BatchPartlyDone, BatchRefused, MintRow, check_mint_rows, mint_plan
from client.cli import main
from tests.cli.helpers import addr, ok

pytestmark = pytest.mark.usefixtures("devnet_env")
STRANGER = "0x1111111111111111111111111111111111111111"


def attest(capsys: pytest.CaptureFixture[str], lot: str, quantity: str = "50") -> None:
    ok(
        capsys,
        *("--as", "inspector1", "inspector", "stocktake", "--warehouse", addr("warehouse1")),
        *("--lot", lot, "--commodity", "ZN-0", "--quantity", quantity, "--unit", "t"),
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_mint_batch_names_every_bad_row_with_its_line_and_mints_nothing(
    w3: Web3, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for lot in ("ZB-1", "ZB-2", "ZB-3"):
        attest(capsys, lot)
    path = tmp_path / "zinc.csv"
    path.write_text(
        "to,lot,commodity,quantity,unit\n"
        f"{addr('supplier1')},ZB-1,ZN-0,25,t\n"  # good
        f"{STRANGER},ZB-2,ZN-0,25,t\n"  # not a member
        f"{addr('supplier2')},ZB-NEVER,ZN-0,25,t\n"  # never attested
        f"{addr('supplier3')},ZB-1,ZN-0,25,t\n"  # the same lot again
        f"{addr('supplier3')},ZB-3,ZN-0,51,t\n"  # more than the stock cover
    )
    block = w3.eth.block_number
    code, out, err = run(capsys, "--as", "warehouse1", "warehouse", "mint-batch", str(path))
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith(f"InvalidInput: {path}: 4 of 5 rows refused, nothing sent (lines 3-6); line 3: ")
    lines = out.splitlines()
    assert [line.split(" ", 2)[1] for line in lines] == ["3", "4", "5", "6"]
    assert "NotAMember" in lines[0] and STRANGER in lines[0]
    assert "lot 'ZB-NEVER' has never been attested" in lines[1]
    assert "lot 'ZB-1' is also on line 2" in lines[2]
    assert "51 exceeds the attested 50.000 t" in lines[3]
    assert w3.eth.block_number == block, "a bad row must stop the batch before anything is sent"

    code, out, _ = run(capsys, "--json", "--as", "warehouse1", "warehouse", "mint-batch", str(path))
    assert code == 1 and [p["line"] for p in json.loads(out)["refused"]] == [3, 4, 5, 6]


def test_mint_batch_lists_the_new_receipt_ids(
    w3: Web3, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for lot in ("ZI-1", "ZI-2"):
        attest(capsys, lot)
    path = tmp_path / "zinc.csv"
    path.write_text(
        "to,lot,commodity,quantity,unit\n"
        f"{addr('supplier1')},ZI-1,ZN-0,25,t\n{addr('supplier2')},ZI-2,ZN-0,25,t\n"
    )
    code, out, err = run(capsys, "--as", "warehouse1", "warehouse", "mint-batch", str(path))
    assert (code, err) == (0, ""), err
    first = int(out.split("receipt id(s) ")[1].split("-")[0])
    assert out.strip() == (
        f"minted 2 receipt(s) from {path}: receipt id(s) {first}-{first + 1}; 0 row(s) already minted, skipped"
    )


def test_a_refusal_after_minting_began_says_which_rows_were_minted_and_which_not(
    w3: Web3, as_: Callable[[str], Ledgerhouse], capsys: pytest.CaptureFixture[str]
) -> None:
    lots = [f"ZM-{i}" for i in range(11)]
    for lot in lots:
        attest(capsys, lot, "5")
    # Ten rows fill one multicall transaction; the eleventh goes in a second one, to supplier2.
    rows = [
        MintRow(
            line=i + 2,
            to=addr("supplier1" if i < 10 else "supplier2"),
            lot=lot,
            commodity="ZN-0",
            quantity="5",
            unit="t",
        )
        for i, lot in enumerate(lots)
    ]
    warehouse = as_("warehouse1")
    plan = check_mint_rows(warehouse.receipts, rows, source="zinc.csv")
    as_("admin").participants.suspend(addr("supplier2"), reason="KYC review")  # between check and mint

    with pytest.raises(BatchPartlyDone) as raised:
        mint_plan(warehouse.receipts, plan)
    result = raised.value.result
    assert [row.line for row in result.done] == list(range(2, 12))
    assert result.not_done == [(12, "ZM-10")]
    ids = result.receipt_ids
    assert ids == list(range(ids[0], ids[0] + 10))
    assert all(warehouse.receipts.receipt(i).owner == addr("supplier1") for i in ids)
    message = str(raised.value)
    assert f"10 row(s) minted (receipt ids {ids[0]}-{ids[-1]})" in message
    assert "line(s) 12 not done" in message and "MemberSuspended" in message

    with pytest.raises(BatchRefused, match=r"line 12: recipient .* cannot hold a receipt: MemberSuspended"):
        warehouse.receipts.mint_batch(rows, source="zinc.csv")  # a re-run: the rest skipped, row 12 named


def test_stocktake_batch_checks_every_row_first_then_records_them_all(
    w3: Web3, as_: Callable[[str], Ledgerhouse], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    attest(capsys, "ZS-OLD")
    evidence = tmp_path / "scan.txt"
    evidence.write_text("bay 12: 30 t zinc\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "warehouse,lot,commodity,quantity,unit,evidence\n"
        f"{addr('warehouse1')},ZS-1,ZN-0,30,t,scan.txt\n"  # good
        f"{addr('bank1')},ZS-2,ZN-0,30,t,\n"  # not a warehouse
        f"{addr('warehouse1')},ZS-OLD,CU-CATH,30,t,\n"  # attested as another commodity
        f"{addr('warehouse1')},ZS-1,ZN-0,31,t,\n"  # counted twice in one file
        f'{addr("warehouse1")},ZS-3,ZN-0,"1,200",t,\n'  # a thousands separator
    )
    block = w3.eth.block_number
    code, out, err = run(capsys, "--as", "inspector1", "inspector", "stocktake-batch", str(bad))
    assert code == 1 and err.startswith(f"InvalidInput: {bad}: 4 of 5 rows refused, nothing sent (lines 3-6)")
    lines = out.splitlines()
    assert "WrongRole" in lines[0]
    assert "was attested as 'ZN-0', not 'CU-CATH'" in lines[1]
    assert "lot 'ZS-1' is also on line 2" in lines[2]
    assert "field 'quantity' '1,200' is not a number" in lines[3]
    assert w3.eth.block_number == block

    good = tmp_path / "good.csv"
    good.write_text(
        "warehouse,lot,commodity,quantity,unit,evidence\n"
        f"{addr('warehouse1')},ZS-1,ZN-0,30,t,scan.txt\n{addr('warehouse1')},ZS-OLD,ZN-0,45.5,t,\n"
    )
    recorded = ok(capsys, "--as", "inspector1", "inspector", "stocktake-batch", str(good))
    assert [r["line"] for r in recorded["recorded"]] == [2, 3]
    receipts = as_("auditor1").receipts
    assert str(receipts.lot("ZS-1").attested) == "30.000"
    assert str(receipts.lot("ZS-OLD").attested) == "45.500"
