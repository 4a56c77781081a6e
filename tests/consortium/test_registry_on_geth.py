"""The registry service (indexer with --confirmations, real HTTP, SQLite) on the 4-node geth network,
under faults: a real reorganisation it must undo, a node lost, the chain halted.

The reorganisation is provoked deterministically: Clique's even split. With the miners stopped at a
block K, the four signers are split two and two so that one side seals two blocks (K+1, K+2, both
out of turn: difficulty 1 + 1) and the other one block (K+1 in turn: difficulty 2), and then neither
side may seal again (each node has signed one of its fork's last blocks, or block K). Rejoined, the
two forks weigh the same, so no node switches (geth syncs only to a heavier chain): the network stays
stuck, all four nodes up and peered. That is the deadlock the devnet's watchdog (GethNetwork) heals,
by rewinding the side that does not hold node 0. The registry reads the two-block side first, so it
has indexed block K+1 of the fork the watchdog abandons, and must undo it.

The tests of this module share one network and one registry, and run in order."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hexbytes import HexBytes

from client.chain import PendingTx, connect
from client.deployment import Manifest, write_manifest
from client.devnet import dev_account
from client.geth import GethNetwork, GethNode
from client.registry_api import RegistryApi
from client.seed import seed_supply_chain
from tests.cli.helpers import ok
from tests.consortium.test_clique_network import lh, mint_one
from tests.registry.conftest import running_registry, service_settings

CONFIRMATIONS = 1
STALL_AFTER_S = 4.0
# The registry reads node 3 first (then 2, 1, 0): the node it is told about first is the one it
# follows until that node stops answering.
REGISTRY_ORDER = (3, 2, 1, 0)


class _Reorgs(logging.Handler):
    """Every rollback the indexer logs: (from block, common ancestor, events removed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[tuple[int, int, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("chain reorganised"):
            extra: Any = record.__dict__
            self.seen.append((int(extra["from_block"]), int(extra["ancestor"]), int(extra["events_removed"])))

    def report(self) -> str:
        depths = [old - ancestor for old, ancestor, _ in self.seen]
        return f"registry reorgs seen: {len(self.seen)}, depth {depths} (from, ancestor, events undone): {self.seen}"


@dataclass
class Registry:
    url: str
    api: RegistryApi
    reorgs: _Reorgs
    deployments: Path
    rpc: str
    notes: list[str] = field(default_factory=list)

    def health(self) -> dict[str, Any]:
        return self.api.health()

    def wait_indexed(self, block: int, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (health := self.health())["indexed_block"] < block:
            assert time.monotonic() < deadline, f"the registry did not index block {block}: {health}"
            time.sleep(0.1)
        return health


@pytest.fixture(scope="module")
def registry(
    network: GethNetwork, manifest: Manifest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    """The seed story on the chain, and a registry indexing it `CONFIRMATIONS` behind the head through
    every node (failing over in REGISTRY_ORDER)."""
    seed_supply_chain(connect(network.rpc_url), manifest, progress=lambda _line: None)
    root = tmp_path_factory.mktemp("registry")
    path = write_manifest(manifest, root / "deployments")
    rpc = ",".join(network.nodes[i].rpc_url for i in REGISTRY_ORDER)
    settings = service_settings(rpc, path, root / "data", None).model_copy(
        update={"confirmations": CONFIRMATIONS, "stall_after_s": STALL_AFTER_S, "poll_interval_s": 0.2}
    )
    reorgs = _Reorgs()
    runner_log = logging.getLogger("registry.indexer.runner")
    runner_log.addHandler(reorgs)
    try:
        with running_registry(settings) as url:
            service = Registry(url, RegistryApi(url), reorgs, path.parent, rpc)
            service.wait_indexed(connect(network.rpc_url).eth.block_number - CONFIRMATIONS)
            yield service
            print("\n" + reorgs.report())
    finally:
        runner_log.removeHandler(reorgs)


def assert_reconciles(registry: Registry, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`ledgerhouse audit reconcile --sign-in` as an auditor, through every node: no divergence."""
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("LEDGERHOUSE_DEPLOYMENTS_DIR", str(registry.deployments))
        mp.delenv("LEDGERHOUSE_PRIVATE_KEY", raising=False)
        capsys.readouterr()
        report = ok(
            capsys,
            "--rpc",
            registry.rpc,
            "--as",
            "auditor1",
            "audit",
            "reconcile",
            "--registry",
            registry.url,
            "--sign-in",
            "--wait",
            "60",
        )
    finally:
        mp.undo()
    assert report["clean"] is True and report["divergences"] == [], report
    return report


# ---------------------------------------------------------------- the even split


def _hash(node: GethNode, number: int) -> str | None:
    block = node.rpc("eth_getBlockByNumber", [hex(number), False])
    return str(block["hash"]) if block else None


def _signer(node: GethNode, number: int) -> str:
    return str(node.rpc("clique_getSigner", [hex(number)])).lower()


def _freeze(network: GethNetwork) -> int:
    """Stops every miner and waits until all four nodes hold the same head for 3 s (a block being
    sealed when the miners stopped, out of turn, may still come up to 1.5 s + a period later)."""
    for node in network.nodes:
        node.rpc("miner_stop")
    deadline = time.monotonic() + 30
    last, since = None, time.monotonic()
    while True:
        heads = {_hash(n, n.block_number()) for n in network.nodes}
        if len(heads) == 1 and heads == last:
            if time.monotonic() - since >= 3:
                return network.nodes[0].block_number()
        else:
            last, since = heads, time.monotonic()
        assert time.monotonic() < deadline, f"the nodes did not settle on one head: {heads}"
        time.sleep(0.2)


@dataclass(frozen=True)
class Split:
    k: int
    long_side: list[GethNode]  # seals K+1 and K+2, both out of turn
    short_side: list[GethNode]  # seals K+1, in turn


def _plan_split(network: GethNetwork, k: int) -> Split | None:
    """The two-and-two split that deadlocks from head K, if K allows one with node 0 on the short side
    and the registry's node on the long side (None otherwise: try at a later K)."""
    signers = sorted((n.signer.address.lower() for n in network.nodes), key=lambda a: int(a, 16))
    node_of = {n.signer.address.lower(): n for n in network.nodes}
    head = network.nodes[0]
    last, before = _signer(head, k), _signer(head, k - 1)
    in_turn = signers[(k + 1) % 4]  # seals K+1 at difficulty 2
    if in_turn in (last, before) or signers[(k + 2) % 4] == before:
        return None
    fresh = next(s for s in signers if s not in (last, before, in_turn))
    short = [node_of[in_turn], node_of[last]]  # in_turn seals K+1; `last` signed K, so not K+2
    long = [node_of[fresh], node_of[before]]  # fresh seals K+1, `before` (signed K-1) seals K+2
    if network.nodes[0] not in short or network.nodes[REGISTRY_ORDER[0]] not in long:
        return None
    return Split(k, long, short)


def _cut(a: list[GethNode], b: list[GethNode]) -> None:
    for x in a:
        for y in b:
            x.rpc("admin_removePeer", [y.enode])
            y.rpc("admin_removePeer", [x.enode])


def _peers(node: GethNode) -> set[str]:
    return {str(p["enode"]).split("@")[0] for p in node.rpc("admin_peers")}


def _join(network: GethNetwork, timeout: float = 60.0) -> None:
    """Makes the full mesh again, asking again for any link still missing (a dial that failed while
    the other side was dialling too is retried by geth only after a backoff)."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [
            (x, y)
            for x in network.nodes
            for y in network.nodes
            if x.index < y.index and y.enode.split("@")[0] not in _peers(x)
        ]
        if not missing:
            return
        assert time.monotonic() < deadline, f"links still missing: {[(x.index, y.index) for x, y in missing]}"
        for x, y in missing:
            x.rpc("admin_addPeer", [y.enode])
            y.rpc("admin_addPeer", [x.enode])
        time.sleep(1.0)


def _wait_heads(nodes: list[GethNode], number: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(n.block_number() < number for n in nodes):
        assert time.monotonic() < deadline, (
            f"nodes {[n.index for n in nodes]} did not reach #{number}: {[n.block_number() for n in nodes]}"
        )
        time.sleep(0.2)


def _td(node: GethNode) -> int:
    return int(node.rpc("eth_getBlockByNumber", ["latest", False])["totalDifficulty"], 16)


def test_an_even_split_deadlocks_the_watchdog_heals_it_and_the_registry_undoes_the_abandoned_fork(
    network: GethNetwork, manifest: Manifest, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    healed_before = len(network.splits_healed)
    network.pause_watchdog()
    try:
        split = None
        for _attempt in range(16):
            k = _freeze(network)
            split = _plan_split(network, k)
            if split is not None:
                break
            for node in network.nodes:
                node.rpc("miner_start")
            network.wait_for_blocks(1, timeout=20)
        assert split is not None, "no head in 16 allowed the even split (signers sealing irregularly?)"
        k, long_side, short_side = split.k, split.long_side, split.short_side
        _cut(long_side, short_side)
        deadline = time.monotonic() + 20
        while (counts := [n.peer_count() for n in network.nodes]) != [1, 1, 1, 1]:
            assert time.monotonic() < deadline, f"the partition did not take: peers per node {counts}"
            time.sleep(0.5)
            _cut(long_side, short_side)  # a connection being set up as it was cut

        # A transaction on the long side: it lands in the fork's block K+1, which the registry indexes.
        reader = network.nodes[REGISTRY_ORDER[0]]
        on_fork = connect(reader.rpc_url)
        inspector = lh(on_fork, manifest, "inspector1")
        assert inspector.signer is not None
        lot = f"SPLIT-LOT-{time.time_ns()}"
        pending: PendingTx = inspector.signer.submit(
            inspector.receipts.stocktake_call(
                dev_account("warehouse1").address, lot, commodity="CU-CATHODE", quantity="1.000", unit="t"
            )
        )
        for node in network.nodes:
            node.rpc("miner_start")
        _wait_heads(long_side, k + 2, timeout=20)
        _wait_heads(short_side, k + 1, timeout=20)
        fork_k1 = _hash(reader, k + 1)
        assert (
            on_fork.eth.get_transaction_receipt(HexBytes(pending.tx_hash))["blockHash"].to_0x_hex() == fork_k1
        )
        indexed = registry.wait_indexed(k + 1)  # K+2 is the long side's head: K+1 is one confirmation deep
        assert indexed["indexed_block"] == k + 1, indexed
        assert registry.api.lot(lot).stocktakes, "the registry shows the fork's stocktake"

        # Rejoined, all four peered: equal weight, so nobody moves. That is the deadlock.
        _join(network)
        assert _td(long_side[0]) == _td(short_side[0]), "the two forks should weigh the same"
        time.sleep(6)
        heads = {n.index: (n.block_number(), _hash(n, n.block_number())) for n in network.nodes}
        assert {heads[n.index][0] for n in long_side} == {k + 2}, heads
        assert {heads[n.index][0] for n in short_side} == {k + 1}, heads
        assert len({h for _, h in heads.values()}) == 2, heads
        split_note = (
            f"even split at #{k}: nodes {[n.index for n in long_side]} on a 2-block fork, "
            f"{[n.index for n in short_side]} on a 1-block fork of equal weight, all peered: stuck for 6 s"
        )
    finally:
        network.resume_watchdog()

    # The watchdog rewinds the side without node 0 (the long one) and the network seals on.
    deadline = time.monotonic() + 60
    while True:
        tips = {n.index: _hash(n, k + 3) for n in network.nodes}
        if None not in tips.values() and len(set(tips.values())) == 1:
            break
        assert time.monotonic() < deadline, f"the split was not healed: {tips}, {network.splits_healed}"
        time.sleep(0.5)
    rewinds = network.splits_healed[healed_before:]
    assert {i for i, _ in rewinds} == {n.index for n in long_side}, rewinds
    assert all(to == k for _, to in rewinds), rewinds
    canonical = _hash(network.nodes[0], k + 1)
    assert canonical != fork_k1 and all(_hash(n, k + 1) == canonical for n in network.nodes)
    network.wait_for_blocks(3, timeout=30)

    # The stocktake of the abandoned fork: re-sent (the same signed bytes), it lands once.
    everywhere = connect(",".join(network.rpc_urls))
    inspector = lh(everywhere, manifest, "inspector1")
    assert inspector.signer is not None
    inspector.signer.resend(pending)
    landed = inspector.signer.wait(pending, timeout=60)
    assert (
        _hash(network.nodes[0], landed.block_number)
        == everywhere.eth.get_block(landed.block_number)["hash"].to_0x_hex()
    )

    registry.wait_indexed(landed.block_number)
    undone = [r for r in registry.reorgs.seen if r[1] == k]
    assert undone, f"the registry never rolled back to #{k}: {registry.reorgs.report()}"
    assert any(events >= 1 for _, _, events in undone), registry.reorgs.report()
    report = assert_reconciles(registry, capsys)
    with capsys.disabled():
        print(f"\n{split_note}; the watchdog rewound (node, to block) {rewinds}")
        print(registry.reorgs.report())
        print(
            f"audit reconcile after the reorganisation: clean at block {report['at_block']}, {report['checked']}"
        )


# ---------------------------------------------------------------- node loss and a halt


def test_the_registry_keeps_indexing_with_a_node_killed_and_says_so_when_two_are_down(
    network: GethNetwork, manifest: Manifest, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    w3 = connect(",".join(n.rpc_url for n in network.nodes[:2]))
    first = network.nodes[REGISTRY_ORDER[0]]
    first.kill()  # the node the registry reads
    receipt_id = mint_one(w3, manifest)
    head = w3.eth.block_number
    registry.wait_indexed(head, timeout=60)  # the mint's block, once a block has come on top of it
    assert registry.api.receipt(receipt_id).receipt_id == receipt_id

    second = network.nodes[REGISTRY_ORDER[1]]
    second.kill()
    time.sleep(4)  # two of four may still seal a block or two
    halted = w3.eth.block_number
    warehouse = lh(w3, manifest, "inspector1")
    assert warehouse.signer is not None
    pending = warehouse.signer.submit(
        warehouse.receipts.stocktake_call(
            dev_account("warehouse1").address,
            f"HALT-LOT-{time.time_ns()}",
            commodity="CU-CATHODE",
            quantity="1.000",
            unit="t",
        )
    )
    deadline = time.monotonic() + 30
    while (health := registry.health())["status"] != "chain-stalled":
        assert time.monotonic() < deadline, f"the registry never said the chain stalled: {health}"
        time.sleep(0.5)
    assert w3.eth.block_number == halted
    assert health["chain_head"] == halted and health["indexed_block"] == halted - CONFIRMATIONS
    assert "no new block for" in health["detail"] and f"head #{halted}" in health["detail"]
    events_before = health["events_indexed"]

    for node in (second, first):
        network.restart(node)
    landed = warehouse.signer.wait(pending, timeout=60)
    assert landed.block_number > halted
    after = registry.wait_indexed(landed.block_number, timeout=60)
    assert after["status"] == "ok" and after["detail"] is None
    assert after["events_indexed"] >= events_before + 1
    report = assert_reconciles(registry, capsys)
    with capsys.disabled():
        print(f"\nregistry while halted: {health['status']}: {health['detail']}")
        print(f"audit reconcile after the halt: clean at block {report['at_block']}")
