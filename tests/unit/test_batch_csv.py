"""The SDK reads a batch file itself (issue 18 item 3): a bank's or warehouse's own code calls
`mint_rows_from_csv(path)` then `lh.receipts.mint_batch(rows)`, with the CLI's line-numbered errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from client._encoding import details_commitment, file_commitment
from client.batch import MintRow, mint_rows_from_csv, stocktake_rows_from_csv
from client.errors import InvalidInput


def test_mint_rows_keep_their_line_numbers_and_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "mint.csv"
    path.write_text(
        "to,lot,commodity,quantity,unit,grade,items\n"
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906,LOT-1,AL-A00,300.000,t,A00,\n"
        "0x90F79bf6EB2c4f870365E785982E1f101E93b906,LOT-2,HRC,24,t,, C-1 ;C-2\n"
    )
    first, second = mint_rows_from_csv(path)
    assert first == MintRow(
        line=2,
        to="0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        lot="LOT-1",
        commodity="AL-A00",
        quantity="300.000",
        unit="t",
        details=details_commitment(unit="t", grade="A00", location=None, document=b""),
    )
    assert (second.line, second.items) == (3, ["C-1 ", "C-2"])  # serials are canonicalised when checked


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("to,lot,quantity,unit\n", "header lacks column(s) commodity"),
        ("to,lot,commodity,quantity,unit\n", "has no rows"),
        ("to,lot,commodity,quantity,unit\n0xab,L,C,,t\n", "line 2: field 'quantity' is empty"),
        ("to,lot,commodity,quantity,unit\n0xab,L,C,1,t,extra\n", "line 2: 6 fields, but the header names 5"),
    ],
)
def test_a_malformed_mint_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mint.csv"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        mint_rows_from_csv(path)


def test_stocktake_rows_hash_their_evidence_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(b"%PDF scan")
    path = tmp_path / "stocktake.csv"
    path.write_text("warehouse,lot,commodity,quantity,unit,decimals,evidence\n0xab,L,C,5,t,0,scan.pdf\n")
    (row,) = stocktake_rows_from_csv(path)
    assert (row.line, row.decimals, row.evidence) == (2, 0, file_commitment(b"%PDF scan"))
    path.write_text("warehouse,lot,commodity,quantity,unit,decimals\n0xab,L,C,5,t,19\n")
    with pytest.raises(InvalidInput, match="line 2: field 'decimals' '19' must be 0 to 18"):
        stocktake_rows_from_csv(path)
