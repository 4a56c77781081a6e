"""Ledgerhouse on four geth Clique signers: it deploys and its flows land; the loss of one node leaves
the chain sealing; the loss of two halts it, the SDK says so plainly, and nothing sent is lost.

The tests of this module share one network and run in order: each starts from the state the one
before it left (all four nodes up)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from hexbytes import HexBytes
from web3 import Web3

from client import ChainStalled, Ledgerhouse
from client.chain import connect
from client.deployment import Manifest, deployed_code_present
from client.devnet import dev_account, dev_labels
from client.geth import GethNetwork
from client.seed import seed_supply_chain

_lots = iter(range(1_000_000))


def lh(w3: Web3, manifest: Manifest, name: str) -> Ledgerhouse:
    return Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())


def mint_one(w3: Web3, manifest: Manifest) -> int:
    """An inspector's stocktake and a warehouse's mint of a fresh lot: two transactions; the receipt id."""
    lot = f"CONSORTIUM-LOT-{next(_lots)}-{time.time_ns()}"
    warehouse = dev_account("warehouse1").address
    lh(w3, manifest, "inspector1").receipts.stocktake(
        warehouse, lot, commodity="CU-CATHODE", quantity="25.000", unit="t"
    )
    return (
        lh(w3, manifest, "warehouse1")
        .receipts.mint(
            dev_account("supplier1").address,
            lot,
            commodity="CU-CATHODE",
            quantity="25.000",
            expires=datetime.now(UTC).date() + timedelta(days=90),
        )
        .receipt_id
    )


def block_hash(w3: Web3, number: int) -> str:
    return Web3.to_hex(w3.eth.get_block(number)["hash"])


def test_four_signers_seal_free_blocks_and_every_node_has_the_contracts(
    network: GethNetwork, manifest: Manifest
) -> None:
    w3 = connect(network.rpc_url)
    signers = w3.provider.make_request("clique_getSigners", [])["result"]  # type: ignore[arg-type]
    assert sorted(s.lower() for s in signers) == sorted(n.signer.address.lower() for n in network.nodes)
    network.wait_peered()  # raises ChainUnavailable naming each node's peer count if the mesh never forms
    assert all(n.peer_count() == 3 for n in network.nodes)
    head = network.wait_for_blocks(3, timeout=15)
    block = w3.eth.get_block(head)
    assert "baseFeePerGas" not in block, "a consortium chain here has no fee market"
    assert block["gasLimit"] >= 30_000_000
    # Each block is sealed by one of the four signers (Clique writes the sealer's key in the header).
    sealers = {
        w3.provider.make_request("clique_getSigner", [hex(n)])["result"].lower()  # type: ignore[arg-type]
        for n in range(max(1, head - 12), head + 1)
    }
    assert len(sealers) >= 2, f"one signer sealed every block: {sealers}"
    for node in network.nodes:
        assert deployed_code_present(connect(node.rpc_url), manifest), (
            f"node {node.index} lacks the contracts"
        )


def test_the_seed_story_mints_and_pledges_and_every_node_agrees(
    network: GethNetwork, manifest: Manifest
) -> None:
    w3 = connect(network.rpc_url)
    seed = seed_supply_chain(w3, manifest, progress=lambda _line: None)
    aluminium = seed.receipts["aluminium"]
    network.wait_for_blocks(1)
    for node in network.nodes:
        view = lh(connect(node.rpc_url), manifest, "auditor1").receipts.receipt(aluminium)
        assert view.pledge_locked, f"node {node.index} does not see receipt {aluminium} pledged"
        assert view.owner.lower() == dev_account("supplier1").address.lower()


def test_one_node_killed_blocks_continue_and_it_resyncs_on_restart(
    network: GethNetwork, manifest: Manifest
) -> None:
    w3 = connect(network.rpc_url)
    victim = network.nodes[3]
    victim.kill()
    killed_at = w3.eth.block_number
    assert network.wait_for_blocks(4, timeout=20) >= killed_at + 4, "three of four signers keep sealing"
    receipt_id = mint_one(w3, manifest)
    assert lh(w3, manifest, "auditor1").receipts.receipt(receipt_id).quantity > 0

    network.restart(victim)
    back = connect(victim.rpc_url)
    network.wait_for_blocks(2, node=victim)
    assert lh(back, manifest, "auditor1").receipts.receipt(receipt_id).quantity > 0
    settled = min(back.eth.block_number, w3.eth.block_number) - 1
    assert block_hash(back, settled) == block_hash(w3, settled), "the restarted node is on the same chain"


def test_two_nodes_killed_the_chain_halts_the_sdk_says_so_and_resumes_on_restore(
    network: GethNetwork, manifest: Manifest
) -> None:
    w3 = connect(network.rpc_url)
    for node in network.nodes[2:]:
        node.kill()
    # Two of four signers may seal at most two blocks in a row (a signer seals one in any three).
    time.sleep(4)
    halted = w3.eth.block_number
    time.sleep(3)
    assert w3.eth.block_number == halted, "two of four Clique signers cannot keep sealing"

    warehouse = lh(w3, manifest, "inspector1")
    assert warehouse.signer is not None
    warehouse.signer.stall_after = 4
    nonce_before = w3.eth.get_transaction_count(warehouse.signer.address)
    call = warehouse.receipts.stocktake_call(
        dev_account("warehouse1").address, "HALTED-LOT", commodity="CU-CATHODE", quantity="1.000", unit="t"
    )
    pending = warehouse.signer.submit(call)
    started = time.monotonic()
    with pytest.raises(ChainStalled, match=r"no new block for [4-9] s") as stalled:
        warehouse.signer.wait(pending)
    assert time.monotonic() - started < 15
    assert f"head #{halted}" in str(stalled.value)
    print(f"SDK while halted: {stalled.value}")

    for node in network.nodes[2:]:
        network.restart(node)
    warehouse.signer.stall_after = 60
    landed = warehouse.signer.wait(pending, timeout=60)
    assert landed.block_number > halted
    # Exactly once: one nonce used, the same transaction hash, on every node.
    assert w3.eth.get_transaction_count(warehouse.signer.address) == nonce_before + 1
    for node in network.nodes:
        assert connect(node.rpc_url).eth.get_transaction_receipt(HexBytes(pending.tx_hash))["status"] == 1


def _signer_of(w3: Web3, number: int) -> str:
    return str(w3.provider.make_request("clique_getSigner", [hex(number)])["result"]).lower()  # type: ignore[arg-type]


def _isolate(network: GethNetwork, lone: int) -> None:
    node = network.nodes[lone]
    for other in network.nodes:
        if other is not node:
            node.rpc("admin_removePeer", [other.enode])
            other.rpc("admin_removePeer", [node.enode])


def _rejoin(network: GethNetwork, lone: int) -> None:
    node = network.nodes[lone]
    for other in network.nodes:
        if other is not node:
            node.rpc("admin_addPeer", [other.enode])
            other.rpc("admin_addPeer", [node.enode])


def test_a_partitioned_signer_builds_a_fork_that_is_abandoned_and_its_transaction_lands_once(
    network: GethNetwork, manifest: Manifest
) -> None:
    """A real reorganisation: one signer cut off seals a block of its own; the three others seal on.
    When it rejoins, its fork is abandoned for the heavier chain, and the transaction it had taken
    lands on that chain exactly once."""
    main = connect(network.rpc_url)
    reorgs: list[int] = []
    for _attempt in range(4):
        # Cut off a signer that sealed neither of the last two blocks: alone, it may seal one more.
        head = main.eth.block_number
        recent = {_signer_of(main, head), _signer_of(main, head - 1)}
        lone = next(n.index for n in network.nodes if n.signer.address.lower() not in recent)
        majority = next(n for n in network.nodes if n.index != lone)
        ref = connect(majority.rpc_url)  # the majority's view of the chain
        _isolate(network, lone)
        alone = connect(network.nodes[lone].rpc_url)
        inspector = lh(alone, manifest, "inspector1")
        assert inspector.signer is not None
        nonce_before = alone.eth.get_transaction_count(inspector.signer.address)
        pending = inspector.signer.submit(
            inspector.receipts.stocktake_call(
                dev_account("warehouse1").address,
                f"PARTITION-LOT-{time.time_ns()}",
                commodity="CU-CATHODE",
                quantity="1.000",
                unit="t",
            )
        )
        forked_at = alone.eth.block_number
        deadline = time.monotonic() + 8
        while alone.eth.block_number == forked_at and time.monotonic() < deadline:
            time.sleep(0.2)
        fork_tip = alone.eth.block_number
        network.wait_for_blocks(3, node=majority)  # the majority outgrows the lone fork
        fork_hashes = {n: block_hash(alone, n) for n in range(forked_at + 1, fork_tip + 1)}
        _rejoin(network, lone)
        landed = inspector.signer.wait(pending, timeout=60)
        network.wait_for_blocks(2, node=network.nodes[lone])
        abandoned = [n for n, h in fork_hashes.items() if block_hash(alone, n) != h]
        if abandoned:
            reorgs.append(len(abandoned))
            assert all(block_hash(alone, n) == block_hash(ref, n) for n in fork_hashes)
            assert ref.eth.get_transaction_receipt(HexBytes(pending.tx_hash))["blockNumber"] == (
                landed.block_number
            )
            assert ref.eth.get_transaction_count(inspector.signer.address) == nonce_before + 1
            break
    print(f"reorganisations seen: {len(reorgs)}, depth {reorgs}")
    assert reorgs, "the lone signer never sealed a fork of its own in four partitions"


def test_the_sdk_fails_over_when_its_node_dies_and_a_transaction_sent_before_lands_once(
    network: GethNetwork, manifest: Manifest
) -> None:
    """`--rpc URL,URL`: the SDK talks to node 0; node 0 dies (kill -9) with a transaction of ours
    just sent to it; the wait moves to node 1, where the (gossiped) transaction lands exactly once,
    and the next transaction goes through node 1."""
    victim = network.nodes[0]
    w3 = connect(",".join([victim.rpc_url, network.nodes[1].rpc_url]))
    inspector = lh(w3, manifest, "inspector1")
    assert inspector.signer is not None
    address = inspector.signer.address
    nonce_before = w3.eth.get_transaction_count(address)
    pending = inspector.signer.submit(
        inspector.receipts.stocktake_call(
            dev_account("warehouse1").address,
            f"FAILOVER-LOT-{time.time_ns()}",
            commodity="CU-CATHODE",
            quantity="1.000",
            unit="t",
        )
    )
    time.sleep(0.3)  # gossip: geth announces a new transaction to its peers within milliseconds
    victim.kill()
    killed = time.monotonic()
    landed = inspector.signer.wait(pending, timeout=60)
    failover_s = time.monotonic() - killed
    print(f"failover: the pending transaction's receipt came {failover_s:.1f} s after node 0 died")
    assert getattr(w3.provider, "endpoint_uri", None) == network.nodes[1].rpc_url
    assert getattr(w3.provider, "failovers", 0) >= 1
    assert w3.eth.get_transaction_count(address) == nonce_before + 1, "the transaction landed exactly once"
    receipt_id = mint_one(w3, manifest)  # and the next ones go through node 1
    assert receipt_id > 0
    assert landed.block_number > 0
    network.restart(victim)


def test_a_thousand_and_one_pipelined_transactions_are_awaited_in_batches_geth_accepts(
    network: GethNetwork, manifest: Manifest
) -> None:
    """geth refuses a JSON-RPC batch of more than 1,000 calls ("batch too large"); waiting for more
    transactions than that at once must still work (wait_many asks for receipts in smaller batches)."""
    w3 = connect(network.rpc_url)
    inspector = lh(w3, manifest, "inspector1")
    assert inspector.signer is not None
    warehouse = dev_account("warehouse1").address
    tag = time.time_ns()
    calls = [
        inspector.receipts.stocktake_call(
            warehouse, f"MANY-{tag}-{i}", commodity="CU-CATHODE", quantity="1.000", unit="t"
        )
        for i in range(1_001)
    ]
    pendings = []
    for start in range(0, len(calls), 500):
        pendings += inspector.signer.submit_many(calls[start : start + 500])
    results = inspector.signer.wait_many(pendings, timeout=300)
    assert len(results) == 1_001 and all(r.block_number > 0 for r in results)
