"""A multi-node consortium devnet: go-ethereum v1.13.15 sealing Clique proof-of-authority blocks.

Each node is one geth process with its own data dir, ports and signer key, on 127.0.0.1 only
(HTTP JSON-RPC on loopback, no discovery: the nodes know each other as static peers). Every node is
a signer, so the network keeps sealing while more than half of them are up and halts below that, as
a real consortium chain does.

Fees: Clique here runs the Berlin rules (no London fee market, so there is no base fee to drift up
under load). geth will not take a miner gas price below 1 wei, so transactions cost 1 wei of gas,
which the genesis pays for the dev participants; a transaction priced at 0 is still taken, but only
by the node it is sent to (geth gossips nothing below its price floor).

The geth binary is built once by `make geth` into tools/geth/ (or set LEDGERHOUSE_GETH).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey

from client.devnet import (
    DEV_MNEMONIC,
    DEV_PARTICIPANTS,
    DEVNET_CHAIN_ID,
    DEVNET_GAS_LIMIT,
    _die_with_parent,
    _port_in_use,
    dev_account,
    free_port,
)
from client.errors import ChainUnavailable, ConfigurationError

__all__ = [
    "GETH_VERSION",
    "GethNetwork",
    "GethNode",
    "clique_genesis",
    "find_geth",
    "signer_account",
]

log = logging.getLogger(__name__)

GETH_VERSION = "1.13.15"
CLIQUE_PERIOD_S = 1
# The dev signers' keystores: their keys are public dev keys, as the mnemonic is.
_PASSWORD = "ledgerhouse-devnet"  # noqa: S105
_DEV_FUNDS_WEI = 10**27  # per dev participant: gas at 1 wei for longer than anyone will run a devnet
_HTTP_APIS = "eth,net,web3,txpool,admin,miner,clique,debug"
# Clique's known liveness hole: when the signers split evenly over two sibling forks of equal
# difficulty, each side has signed recently on its own fork and none may seal, for ever. Operators
# get out of it by rewinding the odd side (debug.setHead) to the common ancestor; the devnet's
# watchdog does the same once the head has not moved for this long while the live nodes disagree.
SPLIT_STALL_S = 5.0


def find_geth() -> Path:
    """The geth built by `make geth` (tools/geth/bin/geth), LEDGERHOUSE_GETH, or one on PATH of the
    pinned version."""
    if os.environ.get("LEDGERHOUSE_GETH"):
        return Path(os.environ["LEDGERHOUSE_GETH"])
    for root in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = root / "tools" / "geth" / "bin" / "geth"
        if candidate.is_file():
            return candidate
    on_path = shutil.which("geth")
    if on_path:
        return Path(on_path)
    raise ConfigurationError(
        f"geth not found: run `make geth` in the project (it builds go-ethereum v{GETH_VERSION} once, "
        "with Go) or set LEDGERHOUSE_GETH"
    )


def signer_account(index: int) -> LocalAccount:
    """Node `index`'s Clique signer key: the dev mnemonic at 100 + index (public: dev only)."""
    path = f"m/44'/60'/0'/0/{100 + index}"
    return cast(LocalAccount, Account.from_mnemonic(DEV_MNEMONIC, account_path=path))


def clique_genesis(
    signers: list[str], *, chain_id: int, gas_limit: int, period: int = CLIQUE_PERIOD_S
) -> dict[str, Any]:
    """A Clique genesis: `signers` in the extra data (32 vanity bytes, the sorted addresses, 65 bytes
    for the seal), forks through Berlin at block 0 (no London: no base fee), dev participants funded."""
    ordered = sorted(signers, key=lambda a: int(a, 16))
    extra = "0x" + "00" * 32 + "".join(a.lower().removeprefix("0x") for a in ordered) + "00" * 65
    funded = [str(dev_account(p.name).address) for p in DEV_PARTICIPANTS] + list(signers)
    alloc: dict[str, Any] = {a: {"balance": hex(_DEV_FUNDS_WEI)} for a in funded}
    forks = (
        "homestead",
        "eip150",
        "eip155",
        "eip158",
        "byzantium",
        "constantinople",
        "petersburg",
        "istanbul",
        "berlin",
    )
    config: dict[str, Any] = {"chainId": chain_id, **{f"{f}Block": 0 for f in forks}}
    config["clique"] = {"period": period, "epoch": 30000}
    return {
        "config": config,
        "difficulty": "0x1",
        "gasLimit": hex(gas_limit),
        "extradata": extra,
        "alloc": alloc,
    }


def _rpc(url: str, method: str, params: list[Any], *, timeout: float = 2.0) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(  # noqa: S310 -- our own loopback node
        url, data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer = json.loads(response.read())
    if "error" in answer:
        raise ChainUnavailable(f"{url} refused {method}: {answer['error'].get('message')}")
    return answer.get("result")


def _hash_at(node: GethNode, number: int) -> str | None:
    block = node.rpc("eth_getBlockByNumber", [hex(number), False])
    return str(block["hash"]) if block else None


class GethNode:
    """One geth signer of the network: its data dir, ports and key, and its process when running."""

    def __init__(self, index: int, root: Path, *, http_port: int, network: GethNetwork) -> None:
        self.index = index
        self.network = network
        self.datadir = root / f"node{index}"
        self.http_port = http_port
        self.p2p_port = free_port()
        self.auth_port = free_port()
        self.signer = signer_account(index)
        self._nodekey = PrivateKey(signer_account(200 + index).key)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def enode(self) -> str:
        return f"enode://{self._nodekey.public_key.to_hex()[2:]}@127.0.0.1:{self.p2p_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def init(self, geth: Path, genesis: Path) -> subprocess.Popen[bytes]:
        """Writes the key files and starts `geth init` (the caller waits, so the nodes init at once)."""
        (self.datadir / "keystore").mkdir(parents=True, exist_ok=True)
        (self.datadir / "geth").mkdir(parents=True, exist_ok=True)
        (self.datadir / "geth" / "nodekey").write_text(self._nodekey.to_hex()[2:])
        keystore = Account.encrypt(self.signer.key, _PASSWORD, kdf="pbkdf2", iterations=1024)
        (self.datadir / "keystore" / f"signer-{self.signer.address.lower()}.json").write_text(
            json.dumps(keystore)
        )
        (self.datadir / "password.txt").write_text(_PASSWORD)
        return subprocess.Popen(
            [str(geth), "--datadir", str(self.datadir), "init", str(genesis)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def write_config(self, peers: list[GethNode]) -> None:
        """The static peers (every other node), in geth's TOML config: redialled whenever they drop."""
        statics = ", ".join(f'"{p.enode}"' for p in peers if p is not self)
        (self.datadir / "config.toml").write_text(f"[Node.P2P]\nStaticNodes = [{statics}]\n")

    def command(self, geth: Path) -> list[str]:
        net = self.network
        return [
            str(geth),
            "--config",
            str(self.datadir / "config.toml"),
            "--datadir",
            str(self.datadir),
            "--networkid",
            str(net.chain_id),
            "--port",
            str(self.p2p_port),
            "--nodiscover",
            "--nat",
            "none",
            # geth dials at most a third of --maxpeers itself (p2p/server.go maxDialedConns, dialRatio 3):
            # with --maxpeers 6 a node dials two peers, and two nodes whose dial slots are taken never
            # connect to each other (a link stayed missing for over 60 s in CI). Room for every peer.
            "--maxpeers",
            str(3 * (len(net.nodes) + 2)),
            "--ipcdisable",
            "--http",
            "--http.addr",
            "127.0.0.1",
            "--http.port",
            str(self.http_port),
            "--http.api",
            _HTTP_APIS,
            "--authrpc.addr",
            "127.0.0.1",
            "--authrpc.port",
            str(self.auth_port),
            "--syncmode",
            "full",
            "--gcmode",
            "archive",  # the registry and audits read state at past blocks
            "--unlock",
            self.signer.address,
            "--password",
            str(self.datadir / "password.txt"),
            "--allow-insecure-unlock",  # the key unlocks for sealing; HTTP is loopback only
            "--miner.etherbase",
            self.signer.address,
            "--miner.gaslimit",
            str(net.gas_limit),
            "--miner.gasprice",
            "1",
            "--txpool.pricelimit",
            "1",
            "--txpool.accountslots",
            "10000",
            "--txpool.globalslots",
            "40000",
            "--txpool.accountqueue",
            "10000",
            "--txpool.globalqueue",
            "40000",
            "--rpc.txfeecap",
            "0",
            "--cache",
            "128",
            "--verbosity",
            "3",
        ]

    def start(self, geth: Path) -> None:
        if _port_in_use("127.0.0.1", self.http_port):
            raise ChainUnavailable(f"port {self.http_port} is already in use; pick another with --port")
        out = open(self.datadir / "geth.log", "ab")  # noqa: SIM115 -- kept open by the child
        self.process = subprocess.Popen(
            self.command(geth),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        out.close()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise ChainUnavailable(
                    f"geth node {self.index} exited with code {code} while starting; "
                    f"see {self.datadir / 'geth.log'}"
                )
            try:
                if _rpc(self.rpc_url, "eth_chainId", [], timeout=1):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise ChainUnavailable(
            f"geth node {self.index} did not answer on {self.rpc_url} within {timeout:.0f} s"
        )

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        return _rpc(self.rpc_url, method, params or [])

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def peer_count(self) -> int:
        return int(self.rpc("net_peerCount"), 16)

    def kill(self) -> None:
        """SIGKILL, as a crash or a pulled plug: nothing is flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, *, grace: float = 10.0) -> None:
        """SIGTERM (geth writes its state and closes the database), SIGKILL after `grace`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class GethNetwork:
    """`nodes` geth signers sealing Clique blocks every `period` seconds, peered with each other.

    Node i serves HTTP JSON-RPC on 127.0.0.1:`port` + i. The data lives in `data_dir` (a fresh
    temporary directory, removed on stop, when none is given)."""

    engine = "geth"
    # A partitioned signer (or a two-and-two split) seals at most two blocks of a fork of its own
    # before it must wait for the others (Clique: one block in any floor(N/2)+1 per signer).
    confirmations = 2
    stall_after_s = 10.0  # ten block periods

    def __init__(
        self,
        *,
        nodes: int = 4,
        port: int | None = None,
        data_dir: Path | None = None,
        chain_id: int = DEVNET_CHAIN_ID,
        gas_limit: int = DEVNET_GAS_LIMIT,
        period: int = CLIQUE_PERIOD_S,
    ) -> None:
        if nodes < 1:
            raise ConfigurationError(f"a network needs at least one node, not {nodes}")
        self.chain_id = chain_id
        self.gas_limit = gas_limit
        self.period = period
        self._own_dir = data_dir is None
        self.root = data_dir or Path(tempfile.mkdtemp(prefix="ledgerhouse-geth-"))
        ports = [port + i for i in range(nodes)] if port else [free_port() for _ in range(nodes)]
        self.nodes = [GethNode(i, self.root, http_port=p, network=self) for i, p in enumerate(ports)]
        self.geth = find_geth()
        self.splits_healed: list[tuple[int, int]] = []  # (node index, block it was rewound to)
        self._watching = threading.Event()
        self._watch_paused = threading.Event()
        self._stopping = False
        self._watchdog: threading.Thread | None = None

    @property
    def rpc_url(self) -> str:
        return self.nodes[0].rpc_url

    @property
    def rpc_urls(self) -> list[str]:
        return [n.rpc_url for n in self.nodes]

    def start(self, *, timeout: float = 60.0) -> GethNetwork:
        """Writes the genesis and keys, inits and starts every node, waits for them to peer, then
        starts sealing on all of them at once (so no node seals a fork of its own first)."""
        if self.root.exists() and any(self.root.iterdir()):
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        genesis = self.root / "genesis.json"
        genesis.write_text(
            json.dumps(
                clique_genesis(
                    [n.signer.address for n in self.nodes],
                    chain_id=self.chain_id,
                    gas_limit=self.gas_limit,
                    period=self.period,
                )
            )
        )
        inits = [n.init(self.geth, genesis) for n in self.nodes]
        for node, proc in zip(self.nodes, inits, strict=True):
            _, err = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise ChainUnavailable(
                    f"geth init of node {node.index} failed: {err.decode(errors='replace').strip()[-300:]}"
                )
        for node in self.nodes:
            node.write_config(self.nodes)
        try:
            for node in self.nodes:
                node.start(self.geth)
            deadline = time.monotonic() + timeout
            for node in self.nodes:
                node.wait_ready(max(1.0, deadline - time.monotonic()))
            self.wait_peered(self.nodes, deadline)
            for node in self.nodes:
                node.rpc("miner_start", [])
            self._watching.set()
            self._watchdog = threading.Thread(target=self._watch, name="geth-split-watchdog", daemon=True)
            self._watchdog.start()
            self.wait_for_blocks(1, timeout=max(5.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise
        log.info("geth network ready", extra={"rpc_urls": self.rpc_urls})
        return self

    def wait_peered(self, nodes: list[GethNode] | None = None, deadline: float | None = None) -> None:
        """Waits until every node in `nodes` (all live ones by default) has every live node as a peer.

        A static peer that drops (a node rewound by the watchdog, a restart) is redialled by geth within
        seconds, so a full mesh is something to wait for, never something to assume at one instant."""
        nodes = self.live_nodes() if nodes is None else nodes
        # geth waits 35 s before redialling a node it just dialled (p2p/dial.go, dialHistoryExpiration =
        # inboundThrottleTime + 5 s): a dropped static peer can take that long to come back.
        deadline = time.monotonic() + 60.0 if deadline is None else deadline
        want = len(self.nodes) - 1
        while True:
            counts = {n.index: n.peer_count() for n in nodes}
            if all(c >= min(want, len(self.live_nodes()) - 1) for c in counts.values()):
                return
            if time.monotonic() > deadline:
                raise ChainUnavailable(f"the geth nodes did not peer in time (peers per node: {counts})")
            time.sleep(0.1)

    def _watch(self) -> None:
        """Heals Clique split deadlocks (see SPLIT_STALL_S) while the network runs."""
        best, moved = -1, time.monotonic()
        while self._watching.wait(0) and not self._stopping:
            time.sleep(1.0)
            if self._watch_paused.is_set():
                best, moved = -1, time.monotonic()
                continue
            try:
                head = self.head()
            except (OSError, ValueError, ChainUnavailable):
                continue
            if head != best:
                best, moved = head, time.monotonic()
            elif time.monotonic() - moved >= SPLIT_STALL_S:
                try:
                    if self.heal_split():
                        moved = time.monotonic()
                except (OSError, ValueError, ChainUnavailable) as exc:
                    log.warning("could not heal a Clique split", extra={"error": str(exc)})

    def pause_watchdog(self) -> None:
        """Stops healing splits until `resume_watchdog` (a test partitions the network on purpose and
        wants its forks left alone)."""
        self._watch_paused.set()

    def resume_watchdog(self) -> None:
        """Heals splits again; a stall counts from now, not from before the pause."""
        self._watch_paused.clear()

    def heal_split(self) -> bool:
        """If the live nodes sit on different forks, rewinds every node off the fork most of them hold
        to its common ancestor with that fork, so that it syncs the fork and may seal on it again.
        Returns whether any node was rewound."""
        live = self.live_nodes()
        heads = {n.index: n.rpc("eth_getBlockByNumber", ["latest", False]) for n in live}
        held = Counter(str(h["hash"]) for h in heads.values())
        if len(held) < 2:
            return False
        winner_hash = max(held, key=lambda h: (held[h], -min(i for i in heads if heads[i]["hash"] == h)))
        winner = next(n for n in live if heads[n.index]["hash"] == winner_hash)
        rewound = False
        for node in live:
            if heads[node.index]["hash"] == winner_hash:
                continue
            number = min(int(heads[node.index]["number"], 16), int(heads[winner.index]["number"], 16))
            while number > 0 and _hash_at(node, number) != _hash_at(winner, number):
                number -= 1
            if number < int(heads[node.index]["number"], 16):
                # Stop it sealing first: rewound, it could seal a new fork of its own at once.
                node.rpc("miner_stop")
                node.rpc("debug_setHead", [hex(number)])
                self.splits_healed.append((node.index, number))
                log.warning(
                    "rewound a geth node off a stalled Clique fork", extra={"node": node.index, "to": number}
                )
                rewound = True
                # Reconnecting to the winner makes geth sync from it now, not at its next sync cycle.
                node.rpc("admin_removePeer", [winner.enode])
                node.rpc("admin_addPeer", [winner.enode])
                target = str(heads[winner.index]["hash"])
                deadline = time.monotonic() + 15
                while _hash_at(node, int(heads[winner.index]["number"], 16)) != target:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                node.rpc("miner_start")
        return rewound

    def live_nodes(self) -> list[GethNode]:
        return [n for n in self.nodes if n.running]

    def head(self) -> int:
        """The highest block any live node has."""
        return max(n.block_number() for n in self.live_nodes())

    def wait_for_blocks(self, count: int, *, timeout: float = 30.0, node: GethNode | None = None) -> int:
        """Waits until `count` blocks past the current head are sealed; returns the new head."""
        read = node.block_number if node else self.head
        target = read() + count
        deadline = time.monotonic() + timeout
        while (current := read()) < target:
            if time.monotonic() > deadline:
                raise ChainUnavailable(
                    f"no new block for {timeout:.0f} s (head #{current}, wanted #{target})"
                )
            time.sleep(0.1)
        return current

    def restart(self, node: GethNode, *, timeout: float = 60.0) -> None:
        """Starts a stopped (or killed) node again; it resyncs from its peers before it seals again."""
        node.stop()
        node.start(self.geth)
        deadline = time.monotonic() + timeout
        node.wait_ready(timeout)
        self.wait_peered([node], deadline)
        target = max(n.block_number() for n in self.live_nodes() if n is not node)
        while node.block_number() < target:
            if time.monotonic() > deadline:
                raise ChainUnavailable(
                    f"geth node {node.index} did not resync to #{target} (at #{node.block_number()})"
                )
            time.sleep(0.1)
        node.rpc("miner_start", [])

    def wait(self) -> int:
        """Blocks until every node has exited; returns the last exit code. A node that dies is
        logged and the network goes on without it, as a consortium does (it halts by itself when
        too few signers are left)."""
        reported: set[int] = set()
        while True:
            codes = {n.index: n.process.poll() for n in self.nodes if n.process is not None}
            for index, code in codes.items():
                if code is not None and index not in reported:
                    reported.add(index)
                    up = sum(1 for c in codes.values() if c is None)
                    log.warning(
                        "geth node %d exited (code %s); %d of %d signers are up",
                        index,
                        code,
                        up,
                        len(self.nodes),
                    )
            if codes and all(code is not None for code in codes.values()):
                return next(reversed(codes.values())) or 0
            time.sleep(0.5)

    def stop(self) -> None:
        self._stopping = True
        self._watching.clear()
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            node.stop()
        if self._own_dir:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> GethNetwork:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
