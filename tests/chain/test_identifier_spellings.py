"""The same goods under another spelling of their identity: refused on chain because the SDK
commits every typed identifier in its canonical form (client.identifiers)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from client import Ledgerhouse
from client._contract_errors import LotAlreadyReceipted, LotAtOtherWarehouse, SerialAlreadyReceipted
from tests.chain.test_receipts import addr, attest

AsFactory = Callable[[str], Ledgerhouse]
LOT = "SHFE-AL-2026-000731"
# What a person reads as the same lot: lower case, spaces for dashes, a full-width digit, a
# Cyrillic A (U+0410) and a zero-width space.
SAME_LOT_SPELLINGS = [
    "shfe al 2026 000731",
    "SHFE_AL_2026_000731",
    "SHFE-AL-2026-00073\uff11",
    "SHFE-\u0410L-2026-000731",
    "SHFE-AL-2026\u200b-000731",
]


@pytest.mark.parametrize("spelling", SAME_LOT_SPELLINGS)
def test_refused_when_the_same_lot_is_receipted_again_under_another_spelling(
    as_: AsFactory, spelling: str
) -> None:
    attest(as_, LOT)
    wh = as_("warehouse1").receipts
    wh.mint(addr("supplier1"), LOT, commodity="AL-A00", quantity="300.000")
    attest(as_, spelling)  # a recount of the same copper, its identity typed another way
    with pytest.raises(LotAlreadyReceipted):
        wh.mint(addr("supplier2"), spelling, commodity="AL-A00", quantity="300.000")
    assert wh.lot(spelling).lot_id == wh.lot(LOT).lot_id


def test_refused_when_another_warehouse_attests_the_same_lot_under_another_spelling(as_: AsFactory) -> None:
    attest(as_, LOT)
    as_("warehouse1").receipts.mint(addr("supplier1"), LOT, commodity="AL-A00", quantity="300.000")
    with pytest.raises(LotAtOtherWarehouse):
        attest(as_, "shfe/al/2026/000731", warehouse="warehouse2")


def test_refused_when_a_serial_is_receipted_again_under_another_spelling(as_: AsFactory) -> None:
    attest(as_, "COILS-A", quantity="50")
    attest(as_, "COILS-B", quantity="50")
    wh = as_("warehouse1").receipts
    wh.mint(addr("supplier1"), "COILS-A", commodity="AL-A00", quantity="20", items=["COIL-001", "COIL-002"])
    with pytest.raises(SerialAlreadyReceipted):
        wh.mint(
            addr("supplier1"), "COILS-B", commodity="AL-A00", quantity="20", items=["coil 002", "COIL-003"]
        )
