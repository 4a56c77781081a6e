"""The indexer's valuation tables across chain reorganisations: a price move and a margin call on
an orphaned branch are undone (within the reorg window by the journal, beyond it by a re-index),
and the loan is valued at the canonical branch's price again, as the chain values it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from registry.db.models import LoanCollateralRow, LoanRow, PriceFeedRow
from registry.indexer.runner import Indexer
from tests.valuation_story import COPPER, TERMS, AsFactory, copper_feed, pledged_copper


@pytest.mark.parametrize("window", [64, 1], ids=["journal", "re-index"])
def test_an_orphaned_price_move_and_margin_call_are_undone(
    w3: Web3, as_: AsFactory, indexer: Indexer, sessions: sessionmaker[Session], window: int
) -> None:
    indexer.reorg_window = window
    copper_feed(as_)
    rid = pledged_copper(as_, "CU-REORG-LOT")
    loan = as_("bank1").valuation.open_loan(
        [rid], amount="210000000.00", currency="CNY", loan_ref="R", terms=TERMS
    )
    indexer.catch_up()
    ancestor = w3.eth.block_number
    fork = str(w3.provider.make_request("evm_snapshot", [])["result"])  # type: ignore[arg-type]
    # The orphaned branch: the price falls 20 %, a keeper raises the margin call, the lien ends.
    as_("publisher1").prices.post_price(COPPER, "48000.00")
    as_("auditor1").valuation.check_margin(loan.loan_id)
    as_("bank1").receipts.release_pledge(rid)
    as_("auditor1").valuation.remove_collateral(rid)
    indexer.catch_up()
    with sessions() as session:
        orphaned = session.get(LoanRow, loan.loan_id)
        assert orphaned is not None and orphaned.ltv_bps == 2**32 - 1 and orphaned.cure_deadline
        removed = session.get(LoanCollateralRow, rid)
        assert removed is not None and removed.removed_at is not None
    assert w3.provider.make_request("evm_revert", [fork])["result"]  # type: ignore[arg-type]
    # The canonical branch: none of that, only more (empty) blocks: nothing but the undo restores
    # the loan's valuation.
    for _ in range(4):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    result = indexer.step()
    assert result.rolled_back_to == (ancestor if window > 1 else indexer.manifest.deployment_block - 1)
    indexer.catch_up()
    chain = as_("auditor1").valuation.value(loan.loan_id)
    with sessions() as session:
        row = session.get(LoanRow, loan.loan_id)
        feed = session.get(PriceFeedRow, COPPER)
        attached = session.get(LoanCollateralRow, rid)
        assert row is not None and feed is not None and attached is not None
        assert (row.ltv_bps, row.value, row.cure_deadline, row.last_status) == (
            chain.ltv_bps,
            30_000_000_000,
            None,
            None,
        )
        assert chain.ltv_bps == 7_000 and feed.price == 6_000_000 and feed.round_id == 1  # 210M / 300M
        assert attached.removed_at is None and attached.loan_id == loan.loan_id
