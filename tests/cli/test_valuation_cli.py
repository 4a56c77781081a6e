"""`ledgerhouse oracle` and `ledgerhouse bank loan` end to end against anvil: a publisher posts, a
bank opens and values a loan, the price falls, a keeper's margin check raises the call, a repayment
cures it; every bad input is one line, exit 1, and nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3 import Web3

from tests.cli.helpers import fails, ok
from tests.conftest import increase_time
from tests.valuation_story import COPPER, DAY, AsFactory, addr, pledged_copper

pytestmark = pytest.mark.usefixtures("devnet_env")


def feed(capsys: pytest.CaptureFixture[str], max_age: str = "2d") -> None:
    ok(
        capsys,
        "--as",
        "admin",
        "oracle",
        "feed",
        "create",
        COPPER,
        "--unit",
        "t",
        "--currency",
        "CNY",
        "--max-age",
        max_age,
    )
    ok(capsys, "--as", "admin", "oracle", "feed", "admit", COPPER, addr("publisher1"))


def post(capsys: pytest.CaptureFixture[str], price: str) -> dict[str, object]:
    return ok(
        capsys,
        "--as",
        "publisher1",
        "oracle",
        "post",
        "--commodity",
        COPPER,
        "--price",
        price,
        "--unit",
        "t",
        "--currency",
        "CNY",
        "--source",
        "SHFE-SETTLE",
    )


def open_loan(capsys: pytest.CaptureFixture[str], receipt: int) -> int:
    opened = ok(
        capsys,
        "--as",
        "bank1",
        "bank",
        "loan",
        "open",
        str(receipt),
        "--amount",
        "210000000.00",
        "--currency",
        "CNY",
        "--ref",
        "B1-CU-CLI-1",
        "--advance-rate",
        "70%",
        "--margin-call",
        "80%",
        "--liquidation",
        "85%",
        "--cure-window",
        "3d",
    )
    assert (opened["ltv_bps"], opened["ltv_percent"], opened["value"]) == (7000, "70.00", "300000000.00")
    return int(str(opened["loan_id"]))


def test_price_post_valuation_margin_call_and_cure_by_repayment(
    capsys: pytest.CaptureFixture[str], as_: AsFactory, w3: Web3
) -> None:
    feed(capsys)
    posted = post(capsys, "60000.00")
    assert posted["reference"]["price"] == "60000.00"  # type: ignore[index]
    receipt = pledged_copper(as_, "CU-CLI-LOT-1")
    loan = open_loan(capsys, receipt)
    assert ok(capsys, "bank", "loan", "value", "--receipt", str(receipt))["loan_id"] == loan
    post(capsys, "48000.00")
    shown = ok(capsys, "oracle", "show", COPPER)
    assert shown["price"] == "48000.00" and shown["fresh"] and shown["posts"][0]["source"] == "SHFE-SETTLE"
    check = ok(capsys, "--as", "auditor1", "bank", "loan", "margin-check", str(loan))
    assert check["margin_called"] and check["ltv_percent"] == "87.50" and check["cure_deadline"]
    book = ok(capsys, "--as", "bank1", "bank", "margin")
    assert [(v["loan_id"], v["status"]) for v in book["loans"]] == [(loan, "margin-called")]
    repaid = ok(capsys, "--as", "bank1", "bank", "loan", "repay", str(loan), "--amount", "30000000.00")
    assert repaid["outstanding"] == "180000000.00"
    after = ok(capsys, "bank", "loan", "value", str(loan))
    assert (after["ltv_percent"], after["status"], after["cure_deadline"]) == ("75.00", "healthy", None)
    assert "E+" not in after["collateral"], after["collateral"]  # 300 t, never 3E+2 t
    assert main_exit(capsys, "bank", "loan", "foreclosable", str(receipt)) == 2
    # The tables people read: every human form prints without a failure.
    for argv in (
        ["oracle", "show", COPPER],
        ["oracle", "feed", "list"],
        ["--as", "bank1", "bank", "margin"],
        ["--as", "auditor1", "bank", "loan", "revalue"],
        ["bank", "loan", "value", str(loan)],
    ):
        assert main_human(capsys, *argv) == 0, argv


def main_human(capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    from client.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    assert err == "" and out.strip(), (argv, err)
    return code


def main_exit(capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    from client.cli import main

    code = main(["--json", *argv])
    capsys.readouterr()
    return code


def test_post_batch_from_a_csv_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, w3: Web3) -> None:
    feed(capsys)
    ok(capsys, "--as", "admin", "oracle", "feed", "create", "AL-A00", "--unit", "t", "--currency", "CNY")
    ok(capsys, "--as", "admin", "oracle", "feed", "admit", "AL-A00", addr("publisher1"))
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "commodity,unit,currency,price,source\nCU-CATH,t,CNY,68500.00,SHFE-SETTLE\n"
        "AL-A00,t,CNY,19250.00,SHFE-SETTLE\n"
    )
    done = ok(capsys, "--as", "publisher1", "oracle", "post-batch", str(prices))
    assert done["posted"] == 2 and len(done["tx_hashes"]) == 1
    assert ok(capsys, "oracle", "show", "AL-A00")["price"] == "19250.00"
    bad = tmp_path / "bad.csv"
    bad.write_text("commodity,unit,currency,price\nCU-CATH,t,CNY,69000.00\nAL-A00,kg,CNY,19300.00\n")
    assert fails(capsys, "--as", "publisher1", "oracle", "post-batch", str(bad)) == (
        f"InvalidInput: AL-A00 is priced per t, not per kg ({bad} line 3)"
    )
    assert ok(capsys, "oracle", "show", COPPER)["price"] == "68500.00"  # the good row was not posted either


def test_bad_price_inputs_are_one_line_and_record_nothing(
    capsys: pytest.CaptureFixture[str], as_: AsFactory, w3: Web3
) -> None:
    feed(capsys, max_age="1d")
    post(capsys, "60000.00")
    receipt = pledged_copper(as_, "CU-CLI-LOT-2")
    loan = open_loan(capsys, receipt)
    head = w3.eth.block_number
    base = ["--as", "publisher1", "oracle", "post", "--commodity", COPPER]
    for argv, line in (
        ([*base, "--price", "0"], "InvalidInput: price 0 for CU-CATH must be positive"),
        ([*base, "--price", "-48000"], "InvalidInput: price -48000 for CU-CATH must be positive"),
        (
            [*base, "--price", "68,500.00"],
            "InvalidInput: price '68,500.00' for CU-CATH is not a number (write it without thousands "
            "separators, e.g. 68500.00)",
        ),
        ([*base, "--price", "68500", "--unit", "lb"], "InvalidInput: CU-CATH is priced per t, not per lb"),
        (
            [*base, "--price", "68500", "--currency", "USD"],
            "InvalidInput: CU-CATH is priced in CNY, not in USD",
        ),
        (
            [*base, "--price", "68500", "--as-of", "2026-12-03"],
            "InvalidInput: as-of '2026-12-03' needs a time as well as a date, e.g. 2026-12-03T15:00:00Z",
        ),
        (
            ["--as", "bank1", "oracle", "post", "--commodity", COPPER, "--price", "68500"],
            f"InvalidInput: {addr('bank1')} is not admitted to post prices for CU-CATH",
        ),
        (
            ["--as", "publisher1", "oracle", "post", "--commodity", "NI-PLATE", "--price", "1"],
            "FeedNotFound: there is no price feed for commodity NI-PLATE",
        ),
        (
            ["--as", "bank1", "bank", "loan", "repay", str(loan), "--amount", "300000000.00"],
            f"InvalidInput: a repayment of 300000000.00 CNY on loan {loan} is more than the 210000000.00 CNY "
            "outstanding",
        ),
        (
            [
                "--as",
                "bank1",
                "bank",
                "loan",
                "open",
                str(receipt),
                "--amount",
                "1",
                "--currency",
                "CNY",
                "--ref",
                "X",
                "--advance-rate",
                "70%",
            ],
            "InvalidInput: give all of --advance-rate, --margin-call, --liquidation and --cure-window, or none "
            "of them (your default terms for the commodity)",
        ),
        (["bank", "loan", "value", "x1"], "InvalidInput: loan id 'x1' must be a positive whole number"),
    ):
        assert fails(capsys, *argv) == line
    assert w3.eth.block_number == head  # nothing recorded
    increase_time(w3, DAY + 60)
    stale = fails(capsys, "--as", "auditor1", "bank", "loan", "margin-check", str(loan))
    assert stale.startswith("StalePrice: the price of CU-CATH is stale: as of ")
    assert stale.endswith("s old, more than the 86400 s allowed")
