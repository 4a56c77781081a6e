"""Checks that a registry database mirrors the chain: every event once, every row as the chain has it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client import Ledgerhouse
from client._encoding import as_money
from registry.db.models import ChainEventRow, Lot, Receipt, Voucher


def chain_events(w3: Web3, lh: Ledgerhouse) -> list[tuple[int, int]]:
    logs = w3.eth.get_logs(
        {
            "fromBlock": lh.manifest.deployment_block,
            "toBlock": "latest",
            "address": [Web3.to_checksum_address(c.address) for c in lh.manifest.contracts.values()],
        }
    )
    return sorted((int(log["blockNumber"]), int(log["logIndex"])) for log in logs)


def assert_mirrors_chain(w3: Web3, sessions: sessionmaker[Session], lh: Ledgerhouse) -> None:
    """Every event once, and every receipt, lot and voucher as the chain has it now."""
    with sessions() as session:
        rows = session.execute(select(ChainEventRow.block_number, ChainEventRow.log_index)).all()
        assert sorted((r[0], r[1]) for r in rows) == chain_events(w3, lh)
        for receipt in session.scalars(select(Receipt)):
            if receipt.status != "live":
                continue
            view = lh.receipts.receipt(receipt.receipt_id)
            lien = lh.receipts.lien(receipt.receipt_id)
            lot = session.get(Lot, receipt.lot_id)
            assert lot is not None
            # The chain's view counts a frozen lot as freezing its receipts.
            assert (receipt.owner, receipt.frozen or lot.frozen) == (view.owner, view.frozen), (
                receipt.receipt_id
            )
            assert Decimal(receipt.quantity).scaleb(-lot.decimals) == view.quantity
            assert receipt.lender == (lien.lender if lien.state == 2 else None)
        for lot in session.scalars(select(Lot)):
            lot_view = lh.receipts.lot(lot.lot_id)
            assert (lot.warehouse, lot.frozen, lot.live_receipts) == (
                lot_view.warehouse,
                lot_view.frozen,
                lot_view.live_receipts,
            )
            assert Decimal(lot.attested).scaleb(-lot.decimals) == lot_view.attested
            assert Decimal(lot.receipted).scaleb(-lot.decimals) == lot_view.receipted
        for voucher in session.scalars(select(Voucher)):
            v = lh.receivables.voucher(voucher.voucher_id)
            assert (voucher.holder, voucher.tier, voucher.status) == (v.holder, v.tier, v.status.label)
            assert as_money(voucher.value) == v.value, voucher.voucher_id
