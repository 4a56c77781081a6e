"""The indexer against a real chain and a real database: the tables mirror the chain."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client import ConfigurationError, Ledgerhouse, TxResult
from client.chain import connect
from client.deployment import Manifest
from client.devnet import Anvil
from registry.db.models import ChainEventRow
from registry.indexer.runner import Indexer
from tests.registry.mirror import assert_mirrors_chain, chain_events
from tests.registry.scenario import addr, build_history

AsFactory = Callable[[str], Ledgerhouse]


def test_backfill_mirrors_the_chain(
    w3: Web3, as_: AsFactory, indexer: Indexer, sessions: sessionmaker[Session]
) -> None:
    build_history(w3, as_)
    indexed = indexer.catch_up()
    assert indexed == len(chain_events(w3, as_("auditor1")))
    assert_mirrors_chain(w3, sessions, as_("auditor1"))
    assert indexer.catch_up() == 0  # nothing twice
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChainEventRow)) == indexed


def _snapshot(w3: Web3) -> str:
    return str(w3.provider.make_request("evm_snapshot", [])["result"])  # type: ignore[arg-type]


def _revert(w3: Web3, snapshot: str) -> None:
    assert w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("depth", "window"), [(1, 64), (3, 64), (3, 2)], ids=["depth1", "depth3", "deeper-than-window"]
)
def test_reorganisation_is_rolled_back_to_the_common_ancestor(
    w3: Web3, as_: AsFactory, indexer: Indexer, sessions: sessionmaker[Session], depth: int, window: int
) -> None:
    indexer.reorg_window = window
    h = build_history(w3, as_)
    indexer.catch_up()
    ancestor = w3.eth.block_number
    fork = _snapshot(w3)
    # The branch that will be orphaned: a freeze, a settlement, a suspension (the vouchers have
    # matured and the aluminium lot is frozen, so these are what the participants can still do).
    orphaned: list[Callable[[], TxResult]] = [
        lambda: as_("regulator1").receipts.freeze(h.receipts["steel"], "orphaned order"),
        lambda: as_("core1").receivables.settle(h.vouchers["root"], "PAY-ORPHANED"),
        lambda: as_("admin").participants.suspend(addr("supplier2"), reason="orphaned branch"),
    ]
    for action in orphaned[:depth]:
        action()
    assert w3.eth.block_number == ancestor + depth
    indexer.catch_up()
    with sessions() as session:
        assert session.scalar(
            select(func.count()).select_from(ChainEventRow).where(ChainEventRow.block_number > ancestor)
        )
    _revert(w3, fork)
    # The canonical branch: other transactions at the same heights, and one block more.
    as_("bank1").receipts.release_pledge(h.receipts["steel"])
    for _ in range(depth):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    result = indexer.step()
    # Within the window the journal undoes the orphaned blocks; beyond it, the index starts over.
    expected = ancestor if depth < window else indexer.manifest.deployment_block - 1
    assert result.rolled_back_to == expected
    indexer.catch_up()
    assert_mirrors_chain(w3, sessions, as_("auditor1"))
    with sessions() as session:
        names = session.scalars(select(ChainEventRow.name).where(ChainEventRow.block_number > ancestor)).all()
    assert names == ["PledgeReleased"]


def test_a_database_belongs_to_one_chain_even_with_the_same_id_and_addresses(
    indexer: Indexer, manifest: Manifest, sessions: sessionmaker[Session]
) -> None:
    """Two devnets in one folder share a chain id and (deterministic) contract addresses: the second
    must be refused with a clear message, not taken for a reorganisation of the first (issue 16 item 6)."""
    with Anvil() as other:
        stranger = Indexer(connect(other.rpc_url), manifest, sessions, reorg_window=64, chunk_blocks=50)
        with pytest.raises(
            ConfigurationError, match=r"this database indexes another chain: chain 31337 whose block 0"
        ):
            stranger.ensure_cursor()
    indexer.ensure_cursor()  # its own chain is still welcome
