"""What a new user tripped over (issue 16): one rule for dates, not found is an error, typos give
one clean line, and `bank check` carries its verdict in the exit code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from web3 import Web3

from client.cli import main
from tests.cli.helpers import addr, fails, ok

pytestmark = pytest.mark.usefixtures("devnet_env")


def attest(capsys: pytest.CaptureFixture[str], lot: str, quantity: str = "100") -> None:
    ok(
        capsys,
        *("--as", "inspector1", "inspector", "stocktake", "--warehouse", addr("warehouse1")),
        *("--lot", lot, "--commodity", "CU-CATH", "--quantity", quantity, "--unit", "t"),
    )


def mint(capsys: pytest.CaptureFixture[str], lot: str, *extra: str) -> str:
    minted = ok(
        capsys,
        *("--as", "warehouse1", "warehouse", "mint", "--to", addr("supplier1"), "--lot", lot),
        *("--commodity", "CU-CATH", "--quantity", "100", "--unit", "t", *extra),
    )
    return str(minted["receipt_id"])


def test_an_expiry_date_is_the_end_of_that_day_in_utc_everywhere(
    w3: Web3, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.fromtimestamp(w3.eth.get_block("latest")["timestamp"], UTC)
    day = (now + timedelta(days=200)).date().isoformat()
    attest(capsys, "DATE-LOT-1")
    rid = mint(capsys, "DATE-LOT-1", "--expires", day)

    shown = ok(capsys, "receipt", "show", rid)
    assert shown["receipt"]["expires_at"] == f"{day}T23:59:59+00:00"
    audited = ok(capsys, "audit", "receipt", rid)
    assert audited["state"]["expires_at"] == f"{day}T23:59:59+00:00"
    assert f"expires {day}" in audited["history"][0]["detail"]

    code = main(["audit", "receipt", rid])
    out, _ = capsys.readouterr()
    assert code == 0 and f"expires {day}" in out
    assert (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat() not in out


def test_things_that_do_not_exist_are_errors(w3: Web3, capsys: pytest.CaptureFixture[str]) -> None:
    assert fails(capsys, "receivable", "show", "1") == "VoucherNotFound: there is no voucher 1"
    assert fails(capsys, "receivable", "tree", "5000000") == "RootNotFound: there is no root voucher 5000000"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            [
                *("--as", "inspector1", "inspector", "stocktake", "--warehouse", addr("warehouse1")),
                *("--lot", "TYPO-1", "--commodity", "CU-CATH", "--quantity", "1,200", "--unit", "t"),
            ],
            "InvalidInput: quantity '1,200' is not a number (write it without thousands separators, e.g. 1200.5)",
            id="thousands-separator",
        ),
        pytest.param(
            ["receipt", "show", str(2**256)],
            f"InvalidInput: receipt id {2**256} is too large: ids are below 2^256 (78 digits at most)",
            id="id-beyond-uint256",
        ),
        pytest.param(
            [
                *("--as", "warehouse1", "warehouse", "mint", "--to", addr("supplier1"), "--lot", "TYPO-1"),
                *("--commodity", "CU-CATH", "--quantity", "1", "--unit", "t", "--expires", "2027-02-30"),
            ],
            "InvalidInput: --expires '2027-02-30' is not a date: day is out of range for month",
            id="no-such-day",
        ),
    ],
)
def test_typos_give_one_clean_line(
    w3: Web3, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert fails(capsys, *argv) == expected


def test_bank_check_carries_its_verdict_in_the_exit_code(
    w3: Web3, capsys: pytest.CaptureFixture[str]
) -> None:
    attest(capsys, "VERDICT-LOT-1")
    rid = mint(capsys, "VERDICT-LOT-1")
    assert main(["bank", "check", rid]) == 0
    out = capsys.readouterr().out
    assert "SAFE TO LEND" in out
    lot_id = ok(capsys, "receipt", "show", rid)["receipt"]["lot_id"]
    assert f"lot {lot_id}," in out, "an id a user must copy is never cut"
    ok(capsys, "--as", "regulator1", "regulator", "freeze", rid, "--reason", "court order 2026-118")
    assert main(["bank", "check", rid]) == 2
    assert "NOT SAFE TO LEND" in capsys.readouterr().out
    assert fails(capsys, "bank", "check", "999999") == (
        "ReceiptNotFound: receipt 999999 does not exist (never minted, or delivered and burned)"
    )


def test_a_refusal_names_the_lot_as_typed_and_codes_as_text(
    w3: Web3, capsys: pytest.CaptureFixture[str]
) -> None:
    attest(capsys, "  SHFE-CU-ECHO-1 ")
    err = fails(
        capsys,
        *("--as", "warehouse1", "warehouse", "mint", "--to", addr("supplier1"), "--lot", "SHFE-CU-ECHO-1"),
        *("--commodity", "AL-A00", "--quantity", "100", "--unit", "t"),
    )
    assert (
        err
        == "CommodityMismatch: lot 'SHFE-CU-ECHO-1' was attested as 'CU-CATH' but the receipt says 'AL-A00'"
    )
