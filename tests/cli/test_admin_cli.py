"""`ledgerhouse admin …` against the session chain: output, errors, and that bad input changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from web3 import Web3

from client.cli import main
from client.devnet import dev_account

NEW = "0x000000000000000000000000000000000000bEEF"
NEXT_YEAR = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("devnet_env")
def test_admit_then_list_as_json(w3: Web3, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "--as",
        "admin",
        "--json",
        "admin",
        "admit",
        "supplier",
        NEW,
        "--name",
        "Tier-4 Bolts Co",
        "--entity-id",
        "91320500MA1X0001",
        "--valid-until",
        NEXT_YEAR,
    )
    assert (code, err) == (0, "")
    admitted = json.loads(out)
    assert admitted["member"]["role"] == "supplier"
    assert admitted["tx_hash"].startswith("0x")

    code, out, _ = run(capsys, "admin", "list", "--json")  # global options may follow the command
    assert code == 0
    members = {m["address"]: m for m in json.loads(out)["members"]}
    assert members[NEW]["name"] == "Tier-4 Bolts Co"
    assert members[NEW]["valid_until"].startswith(NEXT_YEAR)
    assert members[dev_account("bank1").address]["role"] == "lender"


@pytest.mark.usefixtures("devnet_env")
def test_admit_warehouse_needs_its_admission_record(w3: Web3, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "--as", "admin", "admin", "admit", "warehouse", NEW, "--name", "WH", "--years", "3"
    )
    assert code == 1
    assert (
        err.strip()
        == "InvalidInput: a warehouse is admitted with its admission record: give --licence, --capacity"
    )
    code, out, err = run(
        capsys,
        "--as",
        "admin",
        "--json",
        "admin",
        "admit",
        "warehouse",
        NEW,
        "--name",
        "WH",
        "--licence",
        "SH-WH-2026-77",
        "--years",
        "9",
        "--capacity",
        "80000",
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["member"]["warehouse"]["rated_capacity_tonnes"] == 80000


@pytest.mark.usefixtures("devnet_env")
def test_suspend_reinstate_and_the_suspended_error(w3: Web3, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse2 = dev_account("warehouse2").address
    assert run(capsys, "--as", "admin", "admin", "suspend", warehouse2, "--reason", "shortfall")[0] == 0
    code, _, err = run(capsys, "--as", "admin", "admin", "suspend", warehouse2, "--reason", "again")
    assert code == 1
    today = datetime.fromtimestamp(w3.eth.get_block("latest")["timestamp"], UTC).date().isoformat()
    assert err.strip() == f"MemberSuspended: 0x3C44…93BC (warehouse2) is suspended since {today}"
    assert run(capsys, "--as", "admin", "admin", "reinstate", warehouse2)[0] == 0
    _, out, _ = run(capsys, "--json", "admin", "list")
    assert {m["address"]: m for m in json.loads(out)["members"]}[warehouse2]["status"] == "active"


@pytest.mark.usefixtures("devnet_env")
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--as", "admin", "admin", "admit", "supplier", "0x12ab", "--name", "X"],
            "InvalidInput: address '0x12ab' is not a 20-byte hex address (0x followed by 40 hex digits)",
        ),
        (
            ["--as", "admin", "admin", "admit", "wizard", NEW, "--name", "X"],
            "InvalidInput: unknown role 'wizard'; choose one of: warehouse, lender, core-enterprise, supplier, "
            "inspector, auditor, regulator, price-publisher",
        ),
        (
            [
                "--as",
                "admin",
                "admin",
                "admit",
                "supplier",
                NEW,
                "--name",
                "X",
                "--valid-until",
                "2020-01-01",
            ],
            "InvalidInput: validity date 2020-01-01 is in the past",
        ),
        (
            [
                "--as",
                "admin",
                "admin",
                "admit",
                "supplier",
                NEW,
                "--name",
                "X",
                "--valid-until",
                "31/12/2027",
            ],
            "InvalidInput: --valid-until '31/12/2027' is not a date in YYYY-MM-DD form",
        ),
        (
            ["admin", "admit", "supplier", NEW, "--name", "X"],
            "MissingKey: no signing key: pass --keystore FILE, set LEDGERHOUSE_PRIVATE_KEY, or use --as NAME on a devnet",
        ),
        (
            ["--as", "bank1", "admin", "admit", "supplier", NEW, "--name", "X"],
            "AccessControlUnauthorizedAccount: 0x15d3…6A65 (bank1) does not hold REGISTRAR_ROLE",
        ),
        (
            ["--as", "admin", "admin", "admit", "supplier", dev_account("bank1").address, "--name", "X"],
            "AlreadyAdmitted: 0x15d3…6A65 (bank1) is already admitted as lender (status active)",
        ),
        (
            ["--as", "nobody", "admin", "admit", "supplier", NEW, "--name", "X"],
            "ConfigurationError: no dev participant named 'nobody'; known: admin, warehouse1, warehouse2, inspector1, "
            "bank1, bank2, core1, supplier1, supplier2, supplier3, auditor1, regulator1, publisher1",
        ),
        (
            ["--as", "admin", "admin", "admit", "supplier", NEW],
            "UsageError: Missing option '--name'. (see --help)",
        ),
        (["--as", "admin", "admin", "reinstate", NEW], f"NotAMember: {NEW} is not an admitted member"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_changes_nothing(
    w3: Web3, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    block = w3.eth.block_number
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert err.strip() == expected
    assert "\n" not in err.strip()
    assert w3.eth.block_number == block


def test_unreachable_node_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from client.devnet import free_port

    monkeypatch.setenv("LEDGERHOUSE_RPC", f"http://127.0.0.1:{free_port()}")
    code, _, err = run(capsys, "admin", "list")
    assert code == 1
    assert err.startswith("ChainUnavailable: cannot reach a JSON-RPC node at http://127.0.0.1:")
    assert err.strip().endswith("connection refused (is the node running?)")


@pytest.mark.usefixtures("devnet_env")
def test_keystore_and_env_keys_sign(
    w3: Web3, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    admin = dev_account("admin")
    keystore = tmp_path / "admin.json"
    keystore.write_text(json.dumps(Account.encrypt(admin.key, "correct horse")))
    monkeypatch.setenv("LEDGERHOUSE_KEYSTORE_PASSWORD", "wrong")
    code, _, err = run(capsys, "--keystore", str(keystore), "admin", "reinstate", NEW)
    assert code == 1
    assert err.startswith(f"ConfigurationError: cannot decrypt keystore {keystore}")
    monkeypatch.setenv("LEDGERHOUSE_KEYSTORE_PASSWORD", "correct horse")
    code, _, err = run(
        capsys, "--keystore", str(keystore), "admin", "admit", "auditor", NEW, "--name", "Audit LLP"
    )
    assert (code, err) == (0, "")

    other = "0x000000000000000000000000000000000000CAFE"
    monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", "0x" + bytes(admin.key).hex())
    code, _, err = run(
        capsys, "admin", "admit", "regulator", Web3.to_checksum_address(other), "--name", "Reg"
    )
    assert (code, err) == (0, "")


@pytest.mark.usefixtures("devnet_env")
def test_as_is_refused_off_the_devnet(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    from client.devnet import Anvil

    with Anvil(chain_id=1337) as other_chain:
        code, _, err = run(capsys, "--rpc", other_chain.rpc_url, "--as", "admin", "admin", "list")
    assert code == 1
    assert (
        err.strip()
        == f"ConfigurationError: --as is for the devnet (chain 31337) only; {other_chain.rpc_url} is chain 1337"
    )


def test_global_options_after_the_command_are_hoisted() -> None:
    from client.cli import hoist_global_options

    assert hoist_global_options(["admin", "list", "--json"]) == ["--json", "admin", "list"]
    assert hoist_global_options(["admin", "suspend", "0xab", "--as", "admin", "--reason", "x"]) == [
        "--as",
        "admin",
        "admin",
        "suspend",
        "0xab",
        "--reason",
        "x",
    ]
    assert hoist_global_options(["admin", "list", "--rpc=http://h:1"]) == [
        "--rpc=http://h:1",
        "admin",
        "list",
    ]
    assert hoist_global_options(["admin", "admit", "--", "--json"]) == ["admin", "admit", "--", "--json"]
