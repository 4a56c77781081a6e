"""The Besu QBFT kit against Besu's documented formats (Besu itself cannot run on these machines)."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from pathlib import Path

import pytest
import rlp
from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address

from client.consortium import (
    CONTRACT_SIZE_LIMIT,
    MAX_VALIDATORS,
    MILESTONES,
    QBFT_MIX_HASH,
    KitSettings,
    NodeKey,
    build_kit,
    decode_qbft_extra_data,
    qbft_extra_data,
    qbft_genesis,
    write_kit,
)
from client.errors import ConfigurationError, InvalidInput

ROOT = Path(__file__).resolve().parents[2]

# Besu's "Configure QBFT consensus" page, block header validator selection: its example genesis
# extraData and the four validators it encodes, in the order they appear there.
DOC_VALIDATORS = [
    "0x64a702e6263b7297a96638cac6ae65e6541f4169",
    "0x3923390ad55e90c237593b3b0e401f3b08a03185",
    "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
]
DOC_EXTRA_DATA = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638"
    "cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f6"
    "9294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0"
)

# Besu's genesis-file reference: what a QBFT genesis must carry at the top level and in config.
REQUIRED_GENESIS_KEYS = {
    "config",
    "nonce",
    "timestamp",
    "extraData",
    "gasLimit",
    "difficulty",
    "mixHash",
    "coinbase",
    "alloc",
}
REQUIRED_QBFT_KEYS = {"blockperiodseconds", "epochlength", "requesttimeoutseconds"}


def fixed_keys(n: int) -> list[NodeKey]:
    return [NodeKey(bytes([0] * 31 + [i + 1])) for i in range(n)]


def test_extra_data_matches_besus_documented_example_byte_for_byte() -> None:
    assert qbft_extra_data(DOC_VALIDATORS) == DOC_EXTRA_DATA
    assert decode_qbft_extra_data(DOC_EXTRA_DATA) == [to_checksum_address(a) for a in DOC_VALIDATORS]


def test_kit_extra_data_decodes_to_the_validators_in_order_with_the_qbft_structure() -> None:
    kit = build_kit(KitSettings(validators=5, timestamp=0))
    raw = bytes.fromhex(kit.genesis["extraData"][2:])
    decoded = rlp.decode(raw)
    assert len(decoded) == 5
    vanity, validators, votes, round_, seals = decoded
    assert vanity == b"\x00" * 32
    assert [to_checksum_address(bytes(v)) for v in validators] == kit.validators
    assert votes == [] and round_ == b"" and seals == []
    assert raw[-3:] == bytes.fromhex("c080c0")  # [] votes, empty round, [] seals as Besu writes them
    # node-1 is the lowest address: the ascending order `besu rlp encode` documents
    assert kit.validators == sorted(kit.validators, key=lambda a: int(a, 16))
    assert [n.name for n in kit.nodes] == [f"node-{i}" for i in range(1, 6)]


def test_enode_ids_are_the_uncompressed_public_keys_and_addresses_match_the_keys() -> None:
    settings = KitSettings(validators=4, hosts=("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"), timestamp=0)
    kit = build_kit(settings, fixed_keys(4))
    for node in kit.nodes:
        private = PrivateKey(node.key.private_key)
        public = private.public_key.to_bytes()
        assert len(public) == 64
        assert node.enode == f"enode://{public.hex()}@{node.host}:{node.p2p_port}"
        assert node.address == private.public_key.to_checksum_address()
        assert node.key.key_file_text() == node.key.private_key.hex()  # hex, no 0x
    # the generator's well-known key 1: its address is the secp256k1 generator point's
    by_secret = {int.from_bytes(n.key.private_key, "big"): n for n in kit.nodes}
    assert by_secret[1].address == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    assert kit.static_nodes == [n.enode for n in kit.nodes]
    assert [n.host for n in kit.nodes] == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert [n.p2p_port for n in kit.nodes] == [30303, 30304, 30305, 30306]


def test_genesis_has_the_documented_qbft_items() -> None:
    settings = KitSettings(
        validators=4, chain_id=8888, block_period_s=3, gas_limit=50_000_000, timestamp=1_700_000_000
    )
    genesis = qbft_genesis(settings, DOC_VALIDATORS)
    assert set(genesis) == REQUIRED_GENESIS_KEYS
    config = genesis["config"]
    assert config["chainId"] == 8888
    assert set(config["qbft"]) == REQUIRED_QBFT_KEYS
    assert config["qbft"]["blockperiodseconds"] == 3
    assert config["qbft"]["requesttimeoutseconds"] > config["qbft"]["blockperiodseconds"]
    assert config["zeroBaseFee"] is True and config["contractSizeLimit"] == CONTRACT_SIZE_LIMIT == 24576
    assert "clique" not in config and "ibft2" not in config and "ethash" not in config
    assert genesis["gasLimit"] == hex(50_000_000) and genesis["difficulty"] == "0x1"
    assert genesis["mixHash"] == QBFT_MIX_HASH and genesis["timestamp"] == hex(1_700_000_000)
    assert genesis["extraData"] == DOC_EXTRA_DATA


def test_paris_genesis_enables_london_and_nothing_later() -> None:
    """paris bytecode (foundry.toml) needs London (the base fee, so zeroBaseFee) and must not meet
    a chain that already runs Shanghai or Cancun while the build assumes paris."""
    config = qbft_genesis(KitSettings(validators=1, timestamp=0), DOC_VALIDATORS[:1])["config"]
    assert config["londonBlock"] == 0 and config["berlinBlock"] == 0
    assert not {"shanghaiTime", "cancunTime", "pragueTime"} & set(config)
    cancun = qbft_genesis(KitSettings(validators=1, evm_version="cancun", timestamp=0), DOC_VALIDATORS[:1])
    assert cancun["config"]["shanghaiTime"] == 0 and cancun["config"]["cancunTime"] == 0


def test_every_evm_version_solc_ships_for_the_build_is_known() -> None:
    evm = tomllib.loads((ROOT / "foundry.toml").read_text())["profile"]["default"]["evm_version"]
    assert evm in MILESTONES


def test_fund_puts_the_addresses_in_alloc_without_0x() -> None:
    addr = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    genesis = qbft_genesis(KitSettings(validators=1, fund=(addr,), timestamp=0), [addr])
    assert list(genesis["alloc"]) == [addr[2:].lower()]
    assert int(genesis["alloc"][addr[2:].lower()]["balance"], 16) > 0


def test_written_kit_has_private_keys_0600_and_configs_besu_reads(tmp_path: Path) -> None:
    kit = build_kit(KitSettings(validators=4, timestamp=0))
    out = tmp_path / "kit"
    write_kit(kit, out)
    assert json.loads((out / "genesis.json").read_text()) == kit.genesis
    assert json.loads((out / "static-nodes.json").read_text()) == kit.static_nodes
    for node in kit.nodes:
        node_dir = out / node.name
        key = node_dir / "data" / "key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE((node_dir / "data").stat().st_mode) == 0o700
        text = key.read_text()
        assert text == node.key.private_key.hex() and not text.startswith("0x")
        assert PrivateKey(bytes.fromhex(text)).public_key.to_checksum_address() == node.address
        config = tomllib.loads((node_dir / "config.toml").read_text())
        assert config["data-path"] == "data" and config["node-private-key-file"] == "data/key"
        assert (node_dir / config["genesis-file"]).read_text() == (out / "genesis.json").read_text()
        assert json.loads((node_dir / config["static-nodes-file"]).read_text()) == kit.static_nodes
        assert config["rpc-http-enabled"] is True and config["rpc-http-host"] == "127.0.0.1"
        assert config["rpc-http-api"] == ["ETH", "NET", "QBFT", "WEB3"]
        assert config["rpc-http-port"] == node.rpc_port and config["p2p-port"] == node.p2p_port
        assert config["min-gas-price"] == 0 and config["discovery-enabled"] is False
        assert config["host-allowlist"] == ["localhost", "127.0.0.1"]
        assert node.enode in kit.static_nodes
    # the private keys appear nowhere but in the key files
    secrets_ = {n.key.private_key.hex() for n in kit.nodes}
    for path in out.rglob("*"):
        if path.is_file() and path.name != "key":
            assert not any(s in path.read_text() for s in secrets_), path
    assert all(s not in repr(kit) for s in secrets_)


def test_a_kit_is_never_written_over_an_existing_one(tmp_path: Path) -> None:
    kit = build_kit(KitSettings(validators=1, timestamp=0))
    write_kit(kit, tmp_path / "kit")
    before = (tmp_path / "kit" / "node-1" / "data" / "key").read_text()
    with pytest.raises(InvalidInput, match="already exists and is not empty"):
        write_kit(build_kit(KitSettings(validators=1, timestamp=0)), tmp_path / "kit")
    assert (tmp_path / "kit" / "node-1" / "data" / "key").read_text() == before


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (KitSettings(validators=0), "--validators 0"),
        (KitSettings(validators=MAX_VALIDATORS + 1), f"--validators {MAX_VALIDATORS + 1}"),
        (KitSettings(validators=4, chain_id=0), "--chain-id 0"),
        (KitSettings(validators=4, chain_id=1), "Ethereum Mainnet"),
        (KitSettings(validators=4, chain_id=31337), "development chain"),
        (KitSettings(validators=4, chain_id=2**63), "--chain-id"),
        (KitSettings(validators=4, block_period_s=0), "--block-period 0"),
        (KitSettings(validators=4, gas_limit=1_000_000), "--gas-limit 1000000"),
        (KitSettings(validators=4, evm_version="prague"), "--evm-version 'prague'"),
        (KitSettings(validators=4, hosts=("10.0.0.1", "10.0.0.2")), "--hosts lists 2"),
        (KitSettings(validators=4, hosts=("node1.bank.example",)), "not an IPv4 address"),
        (KitSettings(validators=4, p2p_port=8544), "overlap"),
        (KitSettings(validators=4, fund=("0x1234",)), "--fund '0x1234'"),
    ],
)
def test_bad_settings_are_refused_naming_the_option(settings: KitSettings, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        build_kit(settings)


def test_duplicate_validators_and_bad_extra_data_are_refused() -> None:
    with pytest.raises(InvalidInput, match="listed twice"):
        qbft_extra_data([DOC_VALIDATORS[0], DOC_VALIDATORS[0].upper().replace("0X", "0x")])
    for bad in (
        [b"\x00" * 32, [], [b"x"], b"", []],  # a vote
        [b"\x00" * 32, [[b"\x01" * 20]], [], b"", []],  # a nested list for an address
        [b"\x00" * 32, [b"\x01" * 19], [], b"", []],  # a short address
        [b"\x00" * 31, [b"\x01" * 20], [], b"", []],  # short vanity
        [b"\x00" * 32, [b"\x01" * 20], [], b"\x01", []],  # a round other than 0
        [b"\x00" * 32, [b"\x01" * 20], []],  # IBFT-like, too few items
    ):
        with pytest.raises(InvalidInput):
            decode_qbft_extra_data("0x" + rlp.encode(bad).hex())
    with pytest.raises(InvalidInput):
        decode_qbft_extra_data("0xzz")
    with pytest.raises(InvalidInput):
        NodeKey(b"\x00" * 32)


def test_a_write_that_fails_midway_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failure injection (a full disk, say) on the sixth file: no half kit, no stray key."""
    import client.consortium as consortium

    real = consortium._write_text
    calls = {"n": 0}

    def failing(path: Path, text: str, mode: int) -> None:
        calls["n"] += 1
        if calls["n"] == 6:
            raise OSError(28, "No space left on device")
        real(path, text, mode)

    monkeypatch.setattr(consortium, "_write_text", failing)
    out = tmp_path / "kit"
    with pytest.raises(ConfigurationError, match="No space left on device; nothing was left behind"):
        write_kit(build_kit(KitSettings(validators=4, timestamp=0)), out)
    assert calls["n"] == 6 and not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    calls["n"] = 0
    with pytest.raises(ConfigurationError):
        write_kit(build_kit(KitSettings(validators=4, timestamp=0)), empty)
    assert empty.is_dir() and list(empty.iterdir()) == []
