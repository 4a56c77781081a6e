"""`ledgerhouse receivable …` and `bank accept-discount` end to end against anvil."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web3 import Web3

from tests.cli.helpers import addr, fails, ok
from tests.conftest import increase_time

pytestmark = pytest.mark.usefixtures("devnet_env")
MATURITY = (datetime.now(UTC) + timedelta(days=120)).date().isoformat()
EXPIRES = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()


def test_voucher_down_three_tiers_discounted_and_settled(
    w3: Web3, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice-2026-118.pdf"
    invoice.write_bytes(b"%PDF invoice 2026-118 for 1,000,000.00 CNY")
    line = ok(
        capsys,
        "--as",
        "bank1",
        "receivable",
        "credit-line",
        "--core",
        addr("core1"),
        "--limit",
        "20000000.00",
        "--currency",
        "CNY",
        "--expires",
        EXPIRES,
    )
    assert line["credit_line"]["available"] == "20000000.00"
    issued = ok(
        capsys,
        "--as",
        "core1",
        "receivable",
        "issue",
        "--to",
        addr("supplier1"),
        "--amount",
        "1000000.00",
        "--currency",
        "CNY",
        "--maturity",
        MATURITY,
        "--invoice-number",
        "INV-2026-118",
        "--invoice-date",
        "2026-11-20",
        "--invoice",
        str(invoice),
    )
    root = str(issued["voucher_id"])
    assert issued["invoice"]["canonical_number"] == "INV2026118" and issued["evidence"].startswith("0x")
    # The same invoice again, its number typed another way, for a 5.00 voucher: refused, naming the
    # invoice as typed and the voucher that finances it, never the hash.
    err = fails(
        capsys,
        "--as",
        "core1",
        "receivable",
        "issue",
        "--to",
        addr("supplier1"),
        "--amount",
        "5.00",
        "--maturity",
        MATURITY,
        "--invoice-number",
        "inv 2026/118",
        "--invoice-date",
        "2026-11-20",
        "--invoice-amount",
        "1000000.00",
    )
    assert err.startswith("DocumentAlreadyFinanced: invoice inv 2026/118 (2026-11-20, 1000000.00 CNY) of ")
    assert err.endswith(f"is already financed by voucher {root}") and "0x" not in err
    # A file's bytes alone no longer identify an invoice (a re-scan has other bytes).
    err = fails(
        capsys,
        "--as",
        "core1",
        "receivable",
        "issue",
        "--to",
        addr("supplier1"),
        "--amount",
        "5.00",
        "--maturity",
        MATURITY,
        "--invoice",
        str(invoice),
    )
    assert err.startswith("InvalidInput: give the invoice's own fields: --invoice-number and --invoice-date")

    tier2 = str(
        ok(
            capsys,
            "--as",
            "supplier1",
            "receivable",
            "split",
            root,
            "--to",
            addr("supplier2"),
            "--amount",
            "300000.00",
        )["voucher_id"]
    )
    tier3 = str(
        ok(
            capsys,
            "--as",
            "supplier2",
            "receivable",
            "split",
            tier2,
            "--to",
            addr("supplier3"),
            "--amount",
            "100000.00",
        )["voucher_id"]
    )
    ok(
        capsys,
        "--as",
        "supplier3",
        "receivable",
        "discount",
        tier3,
        "--lender",
        addr("bank2"),
        "--price",
        "98000.00",
    )
    bought = ok(capsys, "--as", "bank2", "bank", "accept-discount", tier3, "--payment-ref", "BANK2-TT-0091")
    assert bought["discount"]["price"] == "98000.00" and bought["discount"]["rate_bps"] > 0

    pieces = ok(capsys, "receivable", "tree", root)["pieces"]
    assert [(p["tier"], p["value"]) for p in pieces] == [(0, "700000.00"), (1, "200000.00"), (2, "100000.00")]
    reach = ok(capsys, "receivable", "penetration", "--core", addr("core1"))
    assert reach["tiers"]["2"] == {addr("bank2"): "100000.00"}

    err = fails(capsys, "--as", "core1", "receivable", "settle", root, "--payment-ref", "EARLY")
    assert err.startswith("VoucherNotMatured:")
    increase_time(w3, 125 * 86_400)  # past maturity and the 3-day grace period
    assert ok(capsys, "--as", "auditor1", "receivable", "mark-overdue", tier2)["overdue"] is True
    assert ok(capsys, "receivable", "show", tier2)["voucher"]["overdue"] is True
    for piece in (root, tier2, tier3):
        ok(capsys, "--as", "core1", "receivable", "settle", piece, "--payment-ref", f"CORE1-{piece}")
    shown = ok(capsys, "receivable", "show", root)
    assert shown["root"]["settled"] == "1000000.00" and shown["root"]["outstanding"] == "0.00"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            [
                "--as",
                "core1",
                "receivable",
                "issue",
                "--to",
                addr("supplier1"),
                "--amount",
                "1.00",
                "--maturity",
                MATURITY,
            ],
            "InvalidInput: give the invoice's own fields: --invoice-number and --invoice-date "
            "(--invoice FILE alone does not identify an invoice: a re-scan has other bytes)",
        ),
        (
            [
                "--as",
                "core1",
                "receivable",
                "issue",
                "--to",
                addr("supplier1"),
                "--amount",
                "1.001",
                "--maturity",
                MATURITY,
                "--invoice-id",
                "X",
                "--invoice-date",
                "2026-11-20",
                "--lender",
                addr("bank1"),
            ],
            "InvalidInput: amount 1.001 has more than 2 decimal places",
        ),
        (
            ["--as", "supplier1", "receivable", "split", "x1", "--to", addr("supplier2"), "--amount", "1"],
            "InvalidInput: voucher id 'x1' must be a positive whole number",
        ),
        (
            [
                "--as",
                "core1",
                "receivable",
                "issue",
                "--to",
                addr("supplier1"),
                "--amount",
                "1.00",
                "--maturity",
                MATURITY,
                "--invoice-id",
                "X",
                "--invoice-date",
                "2026-11-20",
            ],
            "InvalidInput: no open CNY credit line(s) with room for 1.00: name the lender with --lender",
        ),
    ],
)
def test_bad_input_is_one_line(
    w3: Web3, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    block = w3.eth.block_number
    assert fails(capsys, *argv) == expected
    assert w3.eth.block_number == block
