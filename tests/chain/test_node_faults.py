"""The SDK through a misbehaving link to the node: errors, throttling, stalls, dropped connections,
answers lost after the node acted, and a node that goes away and comes back. Every intent lands
exactly once (the sender's nonce and the minted receipts count it), no nonce is left stuck, and
where the SDK must give up it says ChainUnavailable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from client import ChainUnavailable, Ledgerhouse
from client.audit import audit_receipt
from client.chain import connect
from client.deployment import Manifest
from client.devnet import Anvil, dev_account, dev_labels
from tests.chain.flaky_proxy import Fault, FlakyProxy

pytestmark = pytest.mark.chain
LOTS = [f"FAULTS-LOT-{n}" for n in range(16)]  # one lot, one receipt: a lot per mint


@pytest.fixture
def proxy(anvil: Anvil) -> Iterator[FlakyProxy]:
    flaky = FlakyProxy(anvil.rpc_url, stall_s=2.0).start()
    yield flaky
    flaky.stop()


@pytest.fixture
def warehouse(w3: Web3, proxy: FlakyProxy, manifest: Manifest) -> Ledgerhouse:
    """warehouse1 through the proxy (a 1 s timeout, so a stall is a timeout), with a lot to mint from."""
    inspector = Ledgerhouse(w3, manifest, account=dev_account("inspector1"), labels=dev_labels())
    signer = inspector.receipts.signer
    assert signer is not None
    calls = [
        inspector.receipts.stocktake_call(
            dev_account("warehouse1").address, lot, commodity="STEEL-HRC", quantity="1000", unit="t"
        )
        for lot in LOTS
    ]
    signer.wait_many(signer.submit_many(calls))
    lh = Ledgerhouse(
        connect(proxy.url, timeout=1.0), manifest, account=dev_account("warehouse1"), labels=dev_labels()
    )
    lh.unused_lots = iter(LOTS)  # type: ignore[attr-defined]
    return lh


def nonce(w3: Web3) -> int:
    return int(w3.eth.get_transaction_count(dev_account("warehouse1").address, "pending"))


def live(w3: Web3, manifest: Manifest) -> int:
    """Live receipts over the test's lots, read straight from the node (not through the proxy)."""
    return sum(lot.live_receipts for lot in Ledgerhouse(w3, manifest).receipts.lots(LOTS))


def mint(lh: Ledgerhouse) -> int:
    lot = next(lh.unused_lots)  # type: ignore[attr-defined]
    return lh.receipts.mint(
        dev_account("supplier1").address, lot, commodity="STEEL-HRC", quantity="1"
    ).receipt_id


FAULTS: list[tuple[Fault, int, str | None]] = [
    ("status-503", 3, None),
    ("status-429", 3, None),
    ("stall", 2, None),
    ("drop", 3, None),
    ("status-503", 3, "eth_sendRawTransaction"),
    ("drop", 2, "eth_sendRawTransaction"),
    ("stall", 1, "eth_sendRawTransaction"),
    ("lose-response", 1, "eth_sendRawTransaction"),
    ("lose-response", 1, "eth_getTransactionReceipt"),
    ("drop", 2, "eth_call"),
    ("status-503", 3, "eth_getTransactionReceipt"),
]


@pytest.mark.parametrize(
    ("fault", "times", "method"), [pytest.param(*f, id=f"{f[0]}-x{f[1]}-{f[2] or 'any'}") for f in FAULTS]
)
def test_one_mint_lands_exactly_once_through_a_fault(
    w3: Web3,
    manifest: Manifest,
    proxy: FlakyProxy,
    warehouse: Ledgerhouse,
    fault: Fault,
    times: int,
    method: str | None,
) -> None:
    before_nonce, before_live = nonce(w3), live(w3, manifest)
    proxy.fail(fault, times, method=method)
    first = mint(warehouse)
    assert proxy.faults[fault] == times, "the fault was not exercised"
    assert (nonce(w3), live(w3, manifest)) == (before_nonce + 1, before_live + 1), (
        "one intent, one transaction"
    )
    second = mint(warehouse)  # no stuck nonce: the next transaction goes straight through
    assert second == first + 1
    assert nonce(w3) == before_nonce + 2


@pytest.mark.parametrize(
    ("fault", "times", "method"),
    [
        ("lose-response", 1, "eth_sendRawTransaction"),
        ("drop", 1, "eth_sendRawTransaction"),
        ("status-503", 2, "eth_sendRawTransaction"),
        ("status-429", 2, "eth_sendRawTransaction"),
        # the gas estimates raced a block on a node that keeps no past states
        ("state-pruned", 1, "eth_estimateGas"),
    ],
)
def test_a_pipelined_batch_lands_exactly_once_through_a_fault(
    w3: Web3,
    manifest: Manifest,
    proxy: FlakyProxy,
    warehouse: Ledgerhouse,
    fault: Fault,
    times: int,
    method: str,
) -> None:
    before_nonce, before_live = nonce(w3), live(w3, manifest)
    to = dev_account("supplier1").address
    calls = [
        warehouse.receipts.mint_call(
            to,
            next(warehouse.unused_lots),  # type: ignore[attr-defined]
            commodity="STEEL-HRC",
            quantity=str(q),
            decimals=3,
        )
        for q in range(1, 11)
    ]
    bundles = warehouse.receipts.bundle(calls, 5)
    signer = warehouse.receipts.signer
    assert signer is not None
    proxy.fail(fault, times, method=method)
    results = signer.wait_many(signer.submit_many(bundles))
    assert proxy.faults[fault] == times
    minted = [i for r in results for i in warehouse.receipts.minted_ids(r)]
    assert len(minted) == 10 and len(set(minted)) == 10
    assert (nonce(w3), live(w3, manifest)) == (before_nonce + 2, before_live + 10)
    mint(warehouse)
    assert nonce(w3) == before_nonce + 3


def test_the_node_going_away_briefly_is_ridden_out(
    w3: Web3, manifest: Manifest, proxy: FlakyProxy, warehouse: Ledgerhouse
) -> None:
    before_nonce, before_live = nonce(w3), live(w3, manifest)
    mint(warehouse)  # warm: the allocator holds the next nonce
    comeback = proxy.restart_after(1.5)
    mint(warehouse)
    comeback.join()
    assert (nonce(w3), live(w3, manifest)) == (before_nonce + 2, before_live + 2)


def test_the_sdk_gives_up_with_chain_unavailable_and_recovers_without_a_gap(
    w3: Web3, manifest: Manifest, proxy: FlakyProxy, warehouse: Ledgerhouse
) -> None:
    before_nonce, before_live = nonce(w3), live(w3, manifest)
    proxy.fail("drop", 1_000, method="eth_sendRawTransaction")
    with pytest.raises(ChainUnavailable, match=r"lost the JSON-RPC node while submitting 0x[0-9a-f]{64}"):
        mint(warehouse)
    assert (nonce(w3), live(w3, manifest)) == (before_nonce, before_live), "nothing reached the node"
    proxy.clear()
    mint(warehouse)  # the abandoned nonce is not skipped: the allocator resynchronises from the node
    assert (nonce(w3), live(w3, manifest)) == (before_nonce + 1, before_live + 1)


def test_a_node_that_stays_away_is_chain_unavailable(
    w3: Web3, manifest: Manifest, proxy: FlakyProxy, warehouse: Ledgerhouse
) -> None:
    before_nonce = nonce(w3)
    proxy.stop()
    with pytest.raises(ChainUnavailable):
        mint(warehouse)
    assert nonce(w3) == before_nonce


def test_reads_against_a_node_that_stays_away_are_chain_unavailable(
    proxy: FlakyProxy, warehouse: Ledgerhouse
) -> None:
    """Single calls, batched calls (lots) and log scans (history) fail the same documented way."""
    proxy.stop()
    for read in (
        lambda: warehouse.receipts.receipt(1),
        lambda: warehouse.receipts.lots(LOTS),
        lambda: warehouse.receipts.history(1),
        lambda: warehouse.receipts.check(1),
    ):
        with pytest.raises(ChainUnavailable, match="did not answer"):
            read()


def test_several_endpoints_fail_over_to_the_one_that_answers(anvil: Anvil) -> None:
    from client.devnet import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    w3 = connect(f"{dead}, {anvil.rpc_url}")
    assert w3.eth.block_number >= 0
    provider = w3.provider
    assert getattr(provider, "endpoint_uri", None) == anvil.rpc_url
    assert getattr(provider, "failovers", 0) == 1


def test_several_endpoints_all_dead_name_every_one(anvil: Anvil) -> None:
    from client.devnet import free_port

    dead = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    with pytest.raises(ChainUnavailable, match="cannot reach a JSON-RPC node at") as raised:
        connect(",".join(dead))
    assert all(url in str(raised.value) for url in dead)
    assert "connection refused" in str(raised.value)


def test_deploying_bytecode_the_chains_evm_lacks_says_to_compile_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chain on an older fork (paris: no PUSH0, as geth's Clique) refuses bytecode for a later one:
    deploy says which contract and what to do, not just the node's 'invalid opcode'."""
    from client import deployment
    from client.artifacts import Artifact, load_artifact
    from client.chain import Signer
    from client.errors import ConfigurationError

    real = load_artifact("ParticipantRegistry")
    push0 = Artifact(name=real.name, abi=real.abi, bytecode="0x5f5ff3")  # PUSH0 PUSH0 RETURN
    monkeypatch.setattr(deployment, "load_artifact", lambda _name: push0)
    with Anvil(extra_args=("--hardfork", "paris")) as paris:
        signer = Signer(connect(paris.rpc_url), dev_account("admin"))
        with pytest.raises(
            ConfigurationError, match=r"this chain's EVM cannot run ParticipantRegistry .*paris"
        ):
            deployment.deploy(signer)


def test_batched_reads_ride_out_a_block_mined_mid_read(proxy: FlakyProxy, warehouse: Ledgerhouse) -> None:
    """A node that keeps no past states can mine a block between resolving "latest" and running a
    read (BlockOutOfRange). The signer's batches always asked again; the SDK's batched reads
    (call_many: lots) and the audits now do too, through the one reader."""
    expected = [lot.live_receipts for lot in warehouse.receipts.lots(LOTS)]
    proxy.fail("state-pruned", 1, method="eth_call")
    assert [lot.live_receipts for lot in warehouse.receipts.lots(LOTS)] == expected
    assert proxy.faults["state-pruned"] == 1

    rid = mint(warehouse)
    proxy.fail("state-pruned", 1, method="eth_call")
    assert audit_receipt(warehouse, rid).findings == []
    assert proxy.faults["state-pruned"] == 2
