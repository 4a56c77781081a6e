"""Bad input end to end: the CLI and the SDK refuse it with one clear line naming what was wrong,
exit 1, no traceback, and nothing written (the would-be sender's nonce and the chain's state stay
as they were)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from client import ConfigurationError, DeploymentNotFound, InvalidInput, Ledgerhouse, LedgerhouseError
from client.deployment import Manifest
from client.devnet import Anvil, dev_account, free_port
from client.errors import ContractRevert
from tests.cli.helpers import addr, fails, ok

pytestmark = pytest.mark.usefixtures("devnet_env")
LOT = "BAD-INPUT-LOT-1"
SUPPLIER = addr("supplier1")
PASSWORD = "correct horse battery staple"


def attest(capsys: pytest.CaptureFixture[str], lot: str = LOT, quantity: str = "100") -> None:
    ok(
        capsys,
        "--as",
        "inspector1",
        "inspector",
        "stocktake",
        "--warehouse",
        addr("warehouse1"),
        "--lot",
        lot,
        "--commodity",
        "STEEL-HRC",
        "--quantity",
        quantity,
        "--unit",
        "t",
    )


class Unchanged:
    """The chain's head, the nonces of the would-be senders and the receipt count, before and after."""

    def __init__(self, w3: Web3, lh: Ledgerhouse, *senders: str) -> None:
        self.w3, self.lh, self.senders = w3, lh, senders
        self.before = self.snapshot()

    def snapshot(self) -> tuple[object, ...]:
        nonces = tuple(self.w3.eth.get_transaction_count(s, "pending") for s in self.senders)  # type: ignore[arg-type]
        lot = self.lh.receipts.lot(LOT)
        return (self.w3.eth.block_number, nonces, lot.live_receipts, lot.receipted)

    def check(self) -> None:
        assert self.snapshot() == self.before, "a refused input must write nothing"


@pytest.fixture
def lh(w3: Web3, manifest: Manifest) -> Ledgerhouse:
    return Ledgerhouse(w3, manifest, account=dev_account("warehouse1"))


@pytest.fixture
def attested(w3: Web3, devnet_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    attest(capsys)


def mint_args(**overrides: str) -> list[str]:
    values = {"--to": SUPPLIER, "--lot": LOT, "--commodity": "STEEL-HRC", "--quantity": "10", "--unit": "t"}
    values.update(overrides)
    return ["warehouse", "mint", *[f"{k}={v}" for k, v in values.items()]]


# ------------------------------------------------------------------ the CLI, with a valid key


@pytest.mark.usefixtures("attested")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            mint_args(**{"--to": "0xnot-an-address"}),
            "InvalidInput: --to '0xnot-an-address' is not a 20-byte hex address (0x followed by 40 hex digits)",
            id="malformed-address",
        ),
        pytest.param(
            mint_args(**{"--to": SUPPLIER[:-1]}),
            f"InvalidInput: --to '{SUPPLIER[:-1]}' is not a 20-byte hex address (0x followed by 40 hex digits)",
            id="address-39-hex-digits",
        ),
        pytest.param(
            mint_args(**{"--to": SUPPLIER + "00"}),
            f"InvalidInput: --to '{SUPPLIER}00' is not a 20-byte hex address (0x followed by 40 hex digits)",
            id="address-42-hex-digits",
        ),
        pytest.param(
            mint_args(**{"--quantity": "0"}), "InvalidInput: quantity 0 must be positive", id="zero-quantity"
        ),
        pytest.param(
            mint_args(**{"--quantity": "-5"}),
            "InvalidInput: quantity -5 must be positive",
            id="negative-quantity",
        ),
        pytest.param(
            mint_args(**{"--quantity": "ten"}),
            "InvalidInput: quantity 'ten' is not a number",
            id="not-a-number",
        ),
        pytest.param(
            mint_args(**{"--quantity": "1.0005"}),
            "InvalidInput: quantity 1.0005 has more than 3 decimal places",
            id="too-many-decimals",
        ),
        pytest.param(
            mint_args(**{"--quantity": "9" * 80}),
            f"InvalidInput: quantity {'9' * 80} is too large: at most 18446744073709551.615 (64-bit base units)",
            id="overlong-quantity",
        ),
        pytest.param(
            mint_args(**{"--quantity": "1e80"}),
            "InvalidInput: quantity 1e80 is too large: at most 18446744073709551.615 (64-bit base units)",
            id="overlong-exponent",
        ),
        pytest.param(
            mint_args(**{"--quantity": "NaN"}),
            "InvalidInput: quantity NaN must be positive",
            id="nan-quantity",
        ),
        pytest.param(
            mint_args(**{"--expires": "2020-01-31"}),
            "InvalidInput: expiry date 2020-01-31 is in the past",
            id="expired-date",
        ),
        pytest.param(
            mint_args(**{"--expires": "31/01/2030"}),
            "InvalidInput: --expires '31/01/2030' is not a date in YYYY-MM-DD form",
            id="date-not-iso",
        ),
        pytest.param(
            mint_args(**{"--lot": "NEVER-ATTESTED"}),
            "InvalidInput: lot 'NEVER-ATTESTED' has never been attested by an inspector",
            id="unknown-lot",
        ),
        pytest.param(
            mint_args(**{"--commodity": "X" * 17}),
            "InvalidInput: commodity '" + "X" * 17 + "' must be 1 to 16 ASCII characters",
            id="overlong-commodity",
        ),
        pytest.param(
            ["receipt", "transfer", "424242", "--to", SUPPLIER],
            "TokenDoesNotExist: no such token: the id was never minted, or was burned on delivery or merge",
            id="unknown-receipt",
        ),
        pytest.param(
            ["warehouse", "deliver", "0"],
            "InvalidInput: receipt id '0' must be a positive whole number",
            id="receipt-id-zero",
        ),
        pytest.param(
            ["warehouse", "deliver", "-3"],
            "UsageError: No such option: -3 (see --help)",
            id="receipt-id-negative",
        ),
        pytest.param(
            ["warehouse", "deliver", "0x10"],
            "InvalidInput: receipt id '0x10' must be a positive whole number",
            id="receipt-id-hex",
        ),
        pytest.param(  # the bank's voucher commands named a bad voucher id a receipt id
            ["bank", "accept-voucher-pledge", "x1"],
            "InvalidInput: voucher id 'x1' must be a positive whole number",
            id="voucher-id-named-as-such",
        ),
        pytest.param(  # a voucher id past uint256 was sent on to the ABI encoder
            ["receivable", "settle", "9" * 79, "--payment-ref", "P-1"],
            "InvalidInput: voucher id " + "9" * 79 + " is too large: ids are below 2^256 (78 digits at most)",
            id="voucher-id-too-large",
        ),
    ],
)
def test_cli_refuses_bad_values(
    w3: Web3, lh: Ledgerhouse, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    unchanged = Unchanged(w3, lh, addr("warehouse1"))
    assert fails(capsys, "--as", "warehouse1", *argv) == expected
    unchanged.check()


# ------------------------------------------------------------------ keys


@pytest.fixture
def keystore(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse1.json"
    encrypted = Account.encrypt(dev_account("warehouse1").key, PASSWORD, kdf="pbkdf2", iterations=2)
    path.write_text(json.dumps(encrypted))
    return path


@pytest.mark.usefixtures("attested")
@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param(
            {"env": "0x1234"},
            "ConfigurationError: the private key is not a valid secp256k1 key: "
            "it must be 32 bytes (64 hex digits), not 4 hex digits",
            id="key-too-short",
        ),
        pytest.param(
            {"env": "not-a-key"},
            "ConfigurationError: the private key is not a valid secp256k1 key: it is not hexadecimal",
            id="key-not-hex",
        ),
        pytest.param(
            {"env": "0x" + "00" * 32},
            "ConfigurationError: the private key is not a valid secp256k1 key: "
            "it is zero or not below the curve order",
            id="key-zero",
        ),
        pytest.param(
            {"keystore": "missing"}, "ConfigurationError: keystore {missing} does not exist", id="no-keystore"
        ),
        pytest.param(
            {"keystore": "not-json"},
            "ConfigurationError: keystore {not_json} is not a JSON keystore file",
            id="keystore-not-json",
        ),
        pytest.param(
            {"keystore": "wrong-password"},
            "ConfigurationError: cannot decrypt keystore {keystore}: MAC mismatch",
            id="wrong-password",
        ),
        pytest.param(
            {},
            "MissingKey: no signing key: pass --keystore FILE, set LEDGERHOUSE_PRIVATE_KEY, "
            "or use --as NAME on a devnet",
            id="no-key",
        ),
    ],
)
def test_cli_refuses_a_bad_or_missing_key(
    w3: Web3,
    lh: Ledgerhouse,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    keystore: Path,
    setup: dict[str, str],
    expected: str,
) -> None:
    unchanged = Unchanged(w3, lh, addr("warehouse1"))
    paths = {"missing": tmp_path / "nope.json", "not_json": tmp_path / "notes.txt", "keystore": keystore}
    paths["not_json"].write_text("this is not a keystore")
    argv: list[str] = []
    if "env" in setup:
        monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", setup["env"])
    if "keystore" in setup:
        chosen = {"missing": "missing", "not-json": "not_json", "wrong-password": "keystore"}[
            setup["keystore"]
        ]
        argv = ["--keystore", str(paths[chosen])]
        monkeypatch.setenv("LEDGERHOUSE_KEYSTORE_PASSWORD", "wrong password")
    err = fails(capsys, *argv, *mint_args())
    assert err == expected.format(**{k: str(v) for k, v in paths.items()})
    assert setup.get("env", "@@") not in err.split(": ", 2)[-1] or len(setup.get("env", "")) < 10, (
        "an error must never echo a private key"
    )
    unchanged.check()


# ------------------------------------------------------------------ chains and manifests


def test_manifest_for_another_chain_is_refused(
    w3: Web3,
    lh: Ledgerhouse,
    manifest: Manifest,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    other = tmp_path / "1.json"
    other.write_text(manifest.model_copy(update={"chain_id": 1}).model_dump_json())
    unchanged = Unchanged(w3, lh, addr("warehouse1"))
    err = fails(capsys, "--as", "warehouse1", "--deployment", str(other), *mint_args())
    assert err == (
        f"ConfigurationError: deployment manifest {other} is for chain 1, but the node is chain {w3.eth.chain_id}"
    )
    with pytest.raises(ConfigurationError, match=r"is for chain 1, but the node is chain 31337$"):
        Ledgerhouse.connect(str(w3.provider.endpoint_uri), manifest_path=other)  # type: ignore[attr-defined]
    unchanged.check()


@pytest.fixture(scope="module")
def foreign_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    """A node on chain 4242, for which no manifest exists."""
    with Anvil(
        port=free_port(), chain_id=4242, log_file=tmp_path_factory.mktemp("foreign") / "anvil.log"
    ) as node:
        yield node


def test_node_without_a_manifest_is_refused(
    foreign_node: Anvil, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./deployments to find by accident
    monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", "0x" + "11" * 32)
    err = fails(capsys, "--rpc", foreign_node.rpc_url, *mint_args())
    assert err.startswith("DeploymentNotFound: no Ledgerhouse deployment known for chain 4242 (looked in "), (
        err
    )
    with pytest.raises(DeploymentNotFound, match="chain 4242"):
        Ledgerhouse.connect(foreign_node.rpc_url, private_key="0x" + "11" * 32)
    assert Web3(Web3.HTTPProvider(foreign_node.rpc_url)).eth.block_number == 0


def test_unreachable_node_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert fails(capsys, "--rpc", url, "receipt", "show", "1") == (
        f"ChainUnavailable: cannot reach a JSON-RPC node at {url}: connection refused (is the node running?)"
    )


# ------------------------------------------------------------------ mint-batch CSV files


GOOD_ROW = f"{SUPPLIER},{LOT},STEEL-HRC,10,t"


@pytest.mark.usefixtures("attested")
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            f"recipient,lot,commodity,quantity,unit\n{GOOD_ROW}\n",
            "InvalidInput: {path}: header lacks column(s) to (needs to, lot, commodity, quantity, unit)",
            id="bad-header",
        ),
        pytest.param(
            f"to,lot,commodity,unit\n{SUPPLIER},{LOT},STEEL-HRC,t\n",
            "InvalidInput: {path}: header lacks column(s) quantity (needs to, lot, commodity, quantity, unit)",
            id="missing-column",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit\n{SUPPLIER},{LOT},STEEL-HRC,ten,t\n",
            "InvalidInput: {path} line 2: field 'quantity' 'ten' is not a number",
            id="non-numeric-quantity",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit\n{SUPPLIER},{LOT},STEEL-HRC,-1,t\n",
            "InvalidInput: {path} line 2: field 'quantity' -1 must be positive",
            id="negative-quantity",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit\n{GOOD_ROW}\n{GOOD_ROW}\n",
            f"InvalidInput: {{path}} line 3: lot '{LOT}' is also on line 2: one lot, one receipt",
            id="duplicate-row",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit\n{GOOD_ROW}\n{SUPPLIER},{LOT},STEEL-HRC\n",
            "InvalidInput: {path} line 3: field 'quantity' is empty",
            id="short-row",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit\n{GOOD_ROW},extra\n",
            "InvalidInput: {path} line 2: 6 fields, but the header names 5",
            id="long-row",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit\n0xdead,{LOT},STEEL-HRC,10,t\n",
            "InvalidInput: {path} line 2: 'to' '0xdead' is not a 20-byte hex address (0x followed by 40 hex digits)",
            id="bad-address",
        ),
        pytest.param(
            f"to,lot,commodity,quantity,unit,expires\n{GOOD_ROW},2020-01-31\n",
            "InvalidInput: {path} line 2: field 'expires': 2020-01-31 is in the past",
            id="expired-row",
        ),
        pytest.param("to,lot,commodity,quantity,unit\n", "InvalidInput: {path} has no rows", id="no-rows"),
        pytest.param(None, "InvalidInput: CSV file {path} does not exist", id="no-file"),
    ],
)
def test_mint_batch_refuses_a_malformed_csv(
    w3: Web3,
    lh: Ledgerhouse,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: str | None,
    expected: str,
) -> None:
    path = tmp_path / "receipts.csv"
    if content is not None:
        path.write_text(content)
    unchanged = Unchanged(w3, lh, addr("warehouse1"))
    assert fails(capsys, "--as", "warehouse1", "warehouse", "mint-batch", str(path)) == expected.format(
        path=path
    )
    unchanged.check()


# ------------------------------------------------------------------ the SDK


SdkCall = Callable[[Ledgerhouse], object]


@pytest.mark.usefixtures("attested")
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda lh: lh.receipts.mint("0x12", LOT, commodity="STEEL-HRC", quantity=1),
            InvalidInput,
            "recipient '0x12' is not a 20-byte hex address (0x followed by 40 hex digits)",
            id="malformed-address",
        ),
        pytest.param(
            lambda lh: lh.receipts.mint(SUPPLIER, LOT, commodity="STEEL-HRC", quantity=0),
            InvalidInput,
            "quantity 0 must be positive",
            id="zero",
        ),
        pytest.param(
            lambda lh: lh.receipts.mint(SUPPLIER, LOT, commodity="STEEL-HRC", quantity=Decimal("-0.5")),
            InvalidInput,
            "quantity -0.5 must be positive",
            id="negative",
        ),
        pytest.param(
            lambda lh: lh.receipts.mint(SUPPLIER, LOT, commodity="STEEL-HRC", quantity=10**80),
            InvalidInput,
            f"quantity {10**80} is too large: at most 18446744073709551.615 (64-bit base units)",
            id="overlong",
        ),
        pytest.param(
            lambda lh: lh.receipts.transfer(424242, SUPPLIER),
            ContractRevert,
            "TokenDoesNotExist",
            id="unknown-receipt",
        ),
        pytest.param(
            lambda lh: lh.receipts.transfer(1, "0x" + "g" * 40),
            InvalidInput,
            "is not a 20-byte hex address",
            id="non-hex-address",
        ),
    ],
)
def test_sdk_refuses_bad_values(
    w3: Web3, lh: Ledgerhouse, call: SdkCall, error: type[LedgerhouseError], message: str
) -> None:
    unchanged = Unchanged(w3, lh, addr("warehouse1"))
    with pytest.raises(error) as raised:
        call(lh)
    assert message in str(raised.value)
    unchanged.check()
