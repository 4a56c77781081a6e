"""A production kit for a Hyperledger Besu QBFT consortium chain: genesis, node keys, node configuration.

`build_kit` is pure (settings and keys in, data out); `write_kit` puts it on disk. Nothing here runs
Besu: Besu cannot be installed on the machines this project is built on, so the formats are checked
(tests/unit/test_besu_kit.py) against Besu's documentation, cited in docs/besu-qbft.md:

- genesis file items (`config.qbft`, milestone keys, `zeroBaseFee`, `contractSizeLimit`, the QBFT
  `mixHash` and `difficulty`), and the QBFT `extraData`
  `RLP([32-byte vanity, [validator addresses], [] votes, round (empty bytes), [] seals])`, as
  `besu rlp encode --type=QBFT_EXTRA_DATA` writes it;
- the node key file (`DATA_PATH/key`: the secp256k1 private key in hex), enode URLs
  (`enode://<64-byte uncompressed public key, hex>@<ip>:<p2p port>`), `static-nodes.json` (a JSON array
  of enode URLs) and the TOML configuration file (option names without the leading `--`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_address
from pathlib import Path
from typing import Any, Final

import rlp
from eth_keys.datatypes import PrivateKey
from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

from client.errors import ConfigurationError, InvalidInput

__all__ = [
    "BFT_MIN_VALIDATORS",
    "CONTRACT_SIZE_LIMIT",
    "DEFAULT_BLOCK_PERIOD_S",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_EPOCH_LENGTH",
    "DEFAULT_EVM_VERSION",
    "DEFAULT_GAS_LIMIT",
    "DEFAULT_P2P_PORT",
    "DEFAULT_RPC_PORT",
    "DEVNET_CHAIN_IDS",
    "ENGINES",
    "FUNDED_BALANCE_WEI",
    "MAX_BLOCK_PERIOD_S",
    "MAX_CHAIN_ID",
    "MAX_GAS_LIMIT",
    "MAX_VALIDATORS",
    "MILESTONES",
    "MIN_GAS_LIMIT",
    "MIN_VALIDATORS",
    "PUBLIC_CHAIN_IDS",
    "QBFT_MIX_HASH",
    "RPC_APIS",
    "BesuKit",
    "KitSettings",
    "NodeKey",
    "NodePlan",
    "build_kit",
    "check_out_dir",
    "decode_qbft_extra_data",
    "node_config_toml",
    "qbft_extra_data",
    "qbft_genesis",
    "write_kit",
]

ENGINES: Final = ("besu-qbft",)

# QBFT tolerates f faulty validators out of 3f + 1; past a few dozen validators every round's message
# count (quadratic in N) makes block times suffer. A consortium of banks, warehouses and auditors runs
# a handful; 25 is a sane ceiling for a generated kit.
MIN_VALIDATORS: Final = 1
MAX_VALIDATORS: Final = 25
BFT_MIN_VALIDATORS: Final = 4  # Besu's QBFT page: four validators are needed to be Byzantine fault tolerant

# EIP-2294's bound on chain ids, and the public networks a private chain must never reuse (a transaction
# signed for one would replay on the other).
MAX_CHAIN_ID: Final = 4503599627370476
PUBLIC_CHAIN_IDS: Final[Mapping[int, str]] = {
    1: "Ethereum Mainnet",
    5: "Goerli",
    10: "OP Mainnet",
    56: "BNB Smart Chain",
    137: "Polygon",
    8453: "Base",
    17000: "Holesky",
    42161: "Arbitrum One",
    560048: "Hoodi",
    11155111: "Sepolia",
}
DEFAULT_CHAIN_ID: Final = 20260
DEVNET_CHAIN_IDS: Final = frozenset({1337, 31337})  # anvil's and the dev tools': a production chain differs

DEFAULT_BLOCK_PERIOD_S: Final = 2
MAX_BLOCK_PERIOD_S: Final = 60
DEFAULT_EPOCH_LENGTH: Final = 30000
# 100M gas: the geth devnet's figure; a batch mint of hundreds of receipts fits in one block.
DEFAULT_GAS_LIMIT: Final = 100_000_000
# The largest deployment (WarehouseReceipts) needs several million gas: refuse a block it cannot fit in.
MIN_GAS_LIMIT: Final = 30_000_000
MAX_GAS_LIMIT: Final = 0x1FFFFFFFFFFFFF  # Besu's free-gas page: the largest value JSON tooling accepts
# EIP-170's 24,576 bytes, as on every chain the contracts are tested on (anvil, geth): a larger limit
# here would let an oversize build deploy in production only.
CONTRACT_SIZE_LIMIT: Final = 24576
# QBFT's (and IBFT 2.0's) fixed genesis mixHash ("Istanbul practical byzantine fault tolerance").
QBFT_MIX_HASH: Final = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"

# Besu milestone keys a chain needs to run bytecode compiled for each solc `evm_version`, and no later
# (foundry.toml's `evm_version`; the shipped build is 'paris'). Each Besu milestone includes the ones
# before it. 'paris' bytecode needs nothing past London: the merge renamed DIFFICULTY (0x44) to
# PREVRANDAO, the same opcode, which on a QBFT chain reads the header's mixHash. Shanghai brings PUSH0,
# Cancun transient storage and MCOPY.
MILESTONES: Final[Mapping[str, Mapping[str, int]]] = {
    "london": {"berlinBlock": 0, "londonBlock": 0},
    "paris": {"berlinBlock": 0, "londonBlock": 0},
    "shanghai": {"berlinBlock": 0, "londonBlock": 0, "shanghaiTime": 0},
    "cancun": {"berlinBlock": 0, "londonBlock": 0, "shanghaiTime": 0, "cancunTime": 0},
}
DEFAULT_EVM_VERSION: Final = "paris"

DEFAULT_P2P_PORT: Final = 30303
DEFAULT_RPC_PORT: Final = 8545
RPC_APIS: Final = ("ETH", "NET", "QBFT", "WEB3")
FUNDED_BALANCE_WEI: Final = 10**24  # a million ether: gas is free, so this only satisfies balance checks

_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class NodeKey:
    """A node's secp256k1 key: its address is the validator address, its public key the enode id.
    The private key never appears in repr or str."""

    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.private_key) != 32 or not 0 < int.from_bytes(self.private_key, "big") < _SECP256K1_N:
            raise InvalidInput("a node key must be 32 bytes in the secp256k1 range")

    @classmethod
    def generate(cls) -> NodeKey:
        while True:  # a uniform draw outside (0, n) has probability ~2^-128; draw again
            candidate = secrets.token_bytes(32)
            if 0 < int.from_bytes(candidate, "big") < _SECP256K1_N:
                return cls(candidate)

    @property
    def _key(self) -> PrivateKey:
        return PrivateKey(self.private_key)

    @property
    def public_key_hex(self) -> str:
        """The 64-byte uncompressed public key (no 0x04 prefix), hex without 0x: the enode id."""
        return str(self._key.public_key.to_bytes().hex())

    @property
    def address(self) -> str:
        return str(self._key.public_key.to_checksum_address())

    def key_file_text(self) -> str:
        """The content of Besu's `key` file: the private key in hex, without 0x."""
        return self.private_key.hex()

    def enode(self, host: str, p2p_port: int) -> str:
        return f"enode://{self.public_key_hex}@{host}:{p2p_port}"


@dataclass(frozen=True)
class KitSettings:
    validators: int
    chain_id: int = DEFAULT_CHAIN_ID
    block_period_s: int = DEFAULT_BLOCK_PERIOD_S
    gas_limit: int = DEFAULT_GAS_LIMIT
    evm_version: str = DEFAULT_EVM_VERSION
    # One IPv4 address per node, or one for all (a trial on a single machine); ports step by node.
    hosts: tuple[str, ...] = ("127.0.0.1",)
    p2p_port: int = DEFAULT_P2P_PORT
    rpc_port: int = DEFAULT_RPC_PORT
    fund: tuple[str, ...] = ()
    timestamp: int | None = None  # the genesis block's; now when not given

    @property
    def request_timeout_s(self) -> int:
        """Besu's QBFT page: requesttimeoutseconds is set above blockperiodseconds (twice it here,
        at least 4 s) so a round is not abandoned while a healthy proposer is still building."""
        return max(4, 2 * self.block_period_s)

    def host(self, index: int) -> str:
        return self.hosts[index] if len(self.hosts) > 1 else self.hosts[0]

    def validate(self) -> None:
        """Raises InvalidInput naming the first setting that is wrong, in the option's own terms."""
        if not MIN_VALIDATORS <= self.validators <= MAX_VALIDATORS:
            raise InvalidInput(
                f"--validators {self.validators}: a QBFT kit has {MIN_VALIDATORS} to {MAX_VALIDATORS} "
                f"validators ({BFT_MIN_VALIDATORS} or more to survive a faulty one)"
            )
        if not 0 < self.chain_id <= MAX_CHAIN_ID:
            raise InvalidInput(f"--chain-id {self.chain_id} must be between 1 and {MAX_CHAIN_ID}")
        if self.chain_id in PUBLIC_CHAIN_IDS:
            raise InvalidInput(
                f"--chain-id {self.chain_id} is {PUBLIC_CHAIN_IDS[self.chain_id]}'s: a consortium chain "
                "needs its own id, or transactions signed for one replay on the other"
            )
        if self.chain_id in DEVNET_CHAIN_IDS:
            raise InvalidInput(
                f"--chain-id {self.chain_id} is a development chain's (anvil, the Ledgerhouse devnet): "
                "choose a chain id of the consortium's own"
            )
        if not 1 <= self.block_period_s <= MAX_BLOCK_PERIOD_S:
            raise InvalidInput(
                f"--block-period {self.block_period_s} must be 1 to {MAX_BLOCK_PERIOD_S} seconds"
            )
        if not MIN_GAS_LIMIT <= self.gas_limit <= MAX_GAS_LIMIT:
            raise InvalidInput(
                f"--gas-limit {self.gas_limit} must be {MIN_GAS_LIMIT:,} to {MAX_GAS_LIMIT:,} gas "
                "(below that a Ledgerhouse contract does not fit in a block)"
            )
        if self.evm_version not in MILESTONES:
            raise InvalidInput(
                f"--evm-version {self.evm_version!r} is not one of {', '.join(MILESTONES)} "
                "(use foundry.toml's evm_version for the build you deploy)"
            )
        if len(self.hosts) not in (1, self.validators):
            raise InvalidInput(
                f"--hosts lists {len(self.hosts)} addresses for {self.validators} validators: give one for "
                "all, or one per validator"
            )
        for host in self.hosts:
            try:
                parsed = ip_address(host)
            except ValueError:
                raise InvalidInput(
                    f"--hosts {host!r} is not an IPv4 address (Besu's enode URLs take an IP, not a name)"
                ) from None
            if not isinstance(parsed, IPv4Address):
                raise InvalidInput(f"--hosts {host!r}: give an IPv4 address")
        for name, port in (("--p2p-port", self.p2p_port), ("--rpc-port", self.rpc_port)):
            if not 1024 <= port <= 65535 - self.validators:
                raise InvalidInput(f"{name} {port} leaves no room for {self.validators} nodes below 65536")
        p2p = set(range(self.p2p_port, self.p2p_port + self.validators))
        rpc = set(range(self.rpc_port, self.rpc_port + self.validators))
        if p2p & rpc:
            raise InvalidInput(f"--p2p-port {self.p2p_port} and --rpc-port {self.rpc_port} ranges overlap")
        for address in self.fund:
            if not is_hex_address(address) or (
                address != address.lower() and not is_checksum_address(address)
            ):
                raise InvalidInput(f"--fund {address!r} is not an Ethereum address")


@dataclass(frozen=True)
class NodePlan:
    """One node of the kit: its directory name, key, ports and the enode URL others reach it by."""

    name: str
    key: NodeKey
    host: str
    p2p_port: int
    rpc_port: int

    @property
    def address(self) -> str:
        return self.key.address

    @property
    def enode(self) -> str:
        return self.key.enode(self.host, self.p2p_port)


@dataclass(frozen=True)
class BesuKit:
    settings: KitSettings
    nodes: tuple[NodePlan, ...]
    genesis: dict[str, Any]
    static_nodes: list[str]

    @property
    def validators(self) -> list[str]:
        return [node.address for node in self.nodes]

    def config_toml(self, node: NodePlan) -> str:
        return node_config_toml(node)


def qbft_extra_data(validators: Sequence[str]) -> str:
    """The genesis `extraData` of a QBFT chain whose validators are `validators` (in this order):
    RLP([32 zero bytes of vanity, [addresses], [] votes, round as empty bytes, [] committed seals])."""
    if not validators:
        raise InvalidInput("a QBFT chain needs at least one validator")
    addresses = [bytes.fromhex(to_checksum_address(a)[2:]) for a in validators]
    if len(set(addresses)) != len(addresses):
        raise InvalidInput("a validator is listed twice")
    encoded: bytes = rlp.encode([b"\x00" * 32, addresses, [], b"", []])
    return "0x" + encoded.hex()


def decode_qbft_extra_data(extra_data: str) -> list[str]:
    """The validator addresses of a QBFT `extraData` string (the inverse of `qbft_extra_data`)."""
    try:
        vanity, validators, votes, round_, seals = rlp.decode(bytes.fromhex(extra_data.removeprefix("0x")))
    except (ValueError, rlp.exceptions.DecodingError):
        raise InvalidInput("extraData is not a QBFT extraData RLP list of five items") from None
    if (
        not isinstance(vanity, bytes)
        or len(vanity) != 32
        or not isinstance(validators, list)
        or not all(isinstance(v, bytes) and len(v) == 20 for v in validators)
        or votes != []
        or round_ != b""
        or seals != []
    ):
        raise InvalidInput(
            "extraData is not a genesis QBFT extraData (32-byte vanity, 20-byte validator addresses, "
            "no votes, round 0, no seals)"
        )
    return [to_checksum_address(v) for v in validators]


def qbft_genesis(settings: KitSettings, validators: Sequence[str]) -> dict[str, Any]:
    """The genesis file of a QBFT chain, as Besu's genesis-file reference describes it."""
    config: dict[str, Any] = {"chainId": settings.chain_id}
    config.update(MILESTONES[settings.evm_version])
    config.update(
        {
            "qbft": {
                "blockperiodseconds": settings.block_period_s,
                "epochlength": DEFAULT_EPOCH_LENGTH,
                "requesttimeoutseconds": settings.request_timeout_s,
            },
            "zeroBaseFee": True,
            "contractSizeLimit": CONTRACT_SIZE_LIMIT,
        }
    )
    timestamp = int(time.time()) if settings.timestamp is None else settings.timestamp
    return {
        "config": config,
        "nonce": "0x0",
        "timestamp": hex(timestamp),
        "extraData": qbft_extra_data(validators),
        "gasLimit": hex(settings.gas_limit),
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        # Besu's alloc keys are addresses without 0x (its documented examples), balances hex.
        "alloc": {
            to_checksum_address(a)[2:].lower(): {"balance": hex(FUNDED_BALANCE_WEI)} for a in settings.fund
        },
    }


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string for these values


def node_config_toml(node: NodePlan) -> str:
    """The node's Besu configuration file; paths are relative to the node's directory, where it starts."""
    apis = ", ".join(_toml_string(a) for a in RPC_APIS)
    return "\n".join(
        [
            f"# Besu node {node.name}: validator {node.address}",
            "# Start it from this directory: besu --config-file=config.toml",
            "# Generated by `ledgerhouse consortium init`; not executed where it was generated.",
            "",
            'data-path="data"',
            'genesis-file="genesis.json"',
            'node-private-key-file="data/key"',
            "",
            "# Peers: the consortium's nodes only, from static-nodes.json; no discovery.",
            'static-nodes-file="static-nodes.json"',
            "discovery-enabled=false",
            f"p2p-host={_toml_string(node.host)}",
            f"p2p-port={node.p2p_port}",
            "",
            "# JSON-RPC on this machine only: Ledgerhouse (the CLI, the registry) runs beside the node.",
            "rpc-http-enabled=true",
            'rpc-http-host="127.0.0.1"',
            f"rpc-http-port={node.rpc_port}",
            f"rpc-http-api=[{apis}]",
            'host-allowlist=["localhost", "127.0.0.1"]',
            "",
            "# Free gas: the genesis sets zeroBaseFee; the node accepts a zero gas price.",
            "min-gas-price=0",
            "revert-reason-enabled=true",
            "",
        ]
    )


def build_kit(settings: KitSettings, keys_: Sequence[NodeKey] | None = None) -> BesuKit:
    """The whole kit in memory. Keys are generated unless given (tests pass fixed ones). Nodes are
    numbered in ascending order of their validator address, the order `besu rlp encode` asks for, so
    node-1 is the first validator of the extraData."""
    settings.validate()
    if keys_ is None:
        keys_ = [NodeKey.generate() for _ in range(settings.validators)]
    if len(keys_) != settings.validators:
        raise InvalidInput(f"{len(keys_)} node keys for {settings.validators} validators")
    ordered = sorted(keys_, key=lambda k: int(k.address, 16))
    nodes = tuple(
        NodePlan(
            name=f"node-{i + 1}",
            key=key,
            host=settings.host(i),
            p2p_port=settings.p2p_port + i,
            rpc_port=settings.rpc_port + i,
        )
        for i, key in enumerate(ordered)
    )
    genesis = qbft_genesis(settings, [n.address for n in nodes])
    return BesuKit(settings=settings, nodes=nodes, genesis=genesis, static_nodes=[n.enode for n in nodes])


def check_out_dir(out: Path) -> None:
    """Refuses an --out that exists and is not an empty directory: a kit never overwrites keys."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out} is a file: a kit is written to a new or empty directory")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(
            f"--out {out} already exists and is not empty: a kit is written to a new or empty directory "
            "(it never overwrites node keys)"
        )


def _write_text(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, mode)  # O_CREAT's mode is masked by the umask; the key must be exactly 0600


def write_kit(kit: BesuKit, out: Path) -> list[Path]:
    """Writes the kit under `out` (new or empty) and returns the files written. Each node directory is
    self-contained (config, genesis, static nodes, key), to be copied to the member who runs it; the
    private key is the only secret and is written 0600 in a 0700 data directory."""
    check_out_dir(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        return _write_kit_files(kit, out)
    except OSError as exc:
        # Nothing half-written stays behind: `out` was new or empty, so all it holds is ours.
        if out.is_dir():
            for child in out.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
            if created:
                out.rmdir()
        raise ConfigurationError(
            f"cannot write the kit to {out}: {exc.strerror or exc}; nothing was left behind"
        ) from None


def _write_kit_files(kit: BesuKit, out: Path) -> list[Path]:
    genesis_text = json.dumps(kit.genesis, indent=2) + "\n"
    static_text = json.dumps(kit.static_nodes, indent=2) + "\n"
    written: list[Path] = []

    def put(path: Path, text: str, mode: int = 0o644) -> None:
        _write_text(path, text, mode)
        written.append(path)

    put(out / "genesis.json", genesis_text)
    put(out / "static-nodes.json", static_text)
    put(
        out / "validators.json",
        json.dumps(
            [
                {
                    "node": n.name,
                    "address": n.address,
                    "enode": n.enode,
                    "rpc": f"http://127.0.0.1:{n.rpc_port}",
                }
                for n in kit.nodes
            ],
            indent=2,
        )
        + "\n",
    )
    for node in kit.nodes:
        node_dir = out / node.name
        data = node_dir / "data"
        data.mkdir(parents=True, mode=0o700)
        os.chmod(data, 0o700)
        put(node_dir / "config.toml", node_config_toml(node))
        put(node_dir / "genesis.json", genesis_text)
        put(node_dir / "static-nodes.json", static_text)
        put(data / "key", node.key.key_file_text(), 0o600)
        put(data / "key.pub", "0x" + node.key.public_key_hex + "\n")
    return written
