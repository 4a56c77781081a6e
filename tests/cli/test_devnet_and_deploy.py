"""`ledgerhouse devnet up` and `ledgerhouse deploy` as real processes against real anvil nodes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from client.artifacts import load_artifact
from client.cli import main
from client.devnet import Anvil, dev_account, free_port

LEDGERHOUSE = [sys.executable, "-m", "client.cli"]
NEW = "0x000000000000000000000000000000000000bEEF"


class Devnet:
    def __init__(
        self, port: int, state: Path, deployments: Path, *extra: str, ignore_sigint: bool = False
    ) -> None:
        self.port = port
        self.rpc = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                *LEDGERHOUSE,
                "--json",
                "devnet",
                "up",
                "--port",
                str(port),
                "--state",
                str(state),
                "--deployments",
                str(deployments),
                "--registry-port",
                str(free_port()),
                "--registry-data",
                str(state.parent / "registry"),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # as a shell without job control (or make) starts a background job
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the devnet announces itself (or dies)
        if not line:
            raise AssertionError(f"devnet exited early: {self.process.communicate()[1]}")
        self.ready = json.loads(line)

    def cli(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*LEDGERHOUSE, "--rpc", self.rpc, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **(env or {})},
            check=False,
        )

    def registry_caught_up(self, members: int, timeout: float = 30.0) -> dict[str, object]:
        """Waits until the devnet's registry service has indexed the chain's head and `members`."""
        url = str(self.ready["registry_url"])
        deadline = time.monotonic() + timeout
        while True:
            health = requests.get(url + "/health", timeout=5).json()
            listed = requests.get(url + "/participants", timeout=5).json()
            if health["lag_blocks"] == 0 and len(listed) == members:
                return dict(health)
            assert time.monotonic() < deadline, f"registry did not catch up: {health}, {len(listed)} members"
            time.sleep(0.2)

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(
                f"devnet did not stop within 30 s of Ctrl-C; its last words: {err[-3000:]}"
            ) from exc
        return self.process.returncode, err


@pytest.fixture
def cwd_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERHOUSE_DEPLOYMENTS_DIR", raising=False)
    monkeypatch.delenv("LEDGERHOUSE_PRIVATE_KEY", raising=False)
    return tmp_path


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_devnet_up_admits_participants_and_state_survives_restart(cwd_env: Path) -> None:
    port, state, deployments = free_port(), cwd_env / "chain" / "state.json", cwd_env / "deployments"
    devnet = Devnet(port, state, deployments)
    try:
        assert devnet.ready["rpc_url"] == devnet.rpc
        assert {p["name"] for p in devnet.ready["participants"]} >= {
            "admin",
            "warehouse1",
            "warehouse2",
            "inspector1",
            "bank1",
            "bank2",
            "core1",
            "supplier1",
            "supplier2",
            "supplier3",
            "auditor1",
        }
        listed = devnet.cli("--json", "admin", "list")
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)["members"]) == 12
        assert devnet.registry_caught_up(members=12)["status"] == "ok"
        # The seeded supply chain is on chain and in the registry.
        receipts = requests.get(f"{devnet.ready['registry_url']}/receipts", timeout=5).json()["items"]
        assert len(receipts) == 3 and any(r["lien"] for r in receipts)
        tree = requests.get(f"{devnet.ready['registry_url']}/vouchers/1000000/tree", timeout=5).json()
        assert [p["tier"] for p in tree["pieces"]] == [0, 1, 2] and tree["closes"]
        # ... and valued: the seed's loan against the pledged aluminium, at the seed's price.
        aluminium = requests.get(f"{devnet.ready['registry_url']}/prices/AL-A00", timeout=5).json()
        assert (aluminium["price"], aluminium["fresh"]) == ("19250.00", True)
        assert [
            a
            for a in requests.get(f"{devnet.ready['registry_url']}/alerts", timeout=5).json()["items"]
            if a["kind"] in ("margin-call", "near-margin", "stale-price")
        ] == []
        admitted = devnet.cli("--as", "admin", "admin", "admit", "supplier", NEW, "--name", "Survivor Co")
        assert admitted.returncode == 0, admitted.stderr
        manifest_before = json.loads((deployments / "31337.json").read_text())
    finally:
        code, err = devnet.stop()
    assert code == 0, err
    assert state.is_file()
    assert not _port_open(port)

    devnet = Devnet(port, state, deployments)
    try:
        listed = devnet.cli("--json", "admin", "list")
        members = {m["address"]: m for m in json.loads(listed.stdout)["members"]}
        assert members[NEW]["name"] == "Survivor Co"
        assert len(members) == 13
        assert json.loads((deployments / "31337.json").read_text()) == manifest_before
        devnet.registry_caught_up(members=13)  # resumed from its cursor, and saw the new member
    finally:
        code, err = devnet.stop()
    assert "resuming the chain in its saved state" in err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_devnet_started_in_the_background_stops_cleanly_on_sigint_or_sigterm(
    cwd_env: Path, stop_signal: signal.Signals
) -> None:
    port, state = free_port(), cwd_env / "chain" / "state.json"
    devnet = Devnet(port, state, cwd_env / "deployments", "--empty", ignore_sigint=True)
    assert _port_open(port)
    devnet.process.send_signal(stop_signal)
    try:
        _, err = devnet.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        devnet.process.kill()
        raise AssertionError(f"the devnet ignored {stop_signal.name}") from None
    assert devnet.process.returncode == 0, err
    assert "stopping devnet; state saved to" in err
    assert state.is_file()
    assert not _port_open(port), "anvil outlived the devnet"


def test_devnet_leaves_no_orphan_anvil_when_killed(cwd_env: Path) -> None:
    port = free_port()
    devnet = Devnet(port, cwd_env / "state.json", cwd_env / "deployments", "--empty")
    assert _port_open(port)
    devnet.process.kill()  # SIGKILL: no Python cleanup runs, only the kernel's parent-death signal
    devnet.process.wait()
    deadline = time.monotonic() + 10
    while _port_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _port_open(port), "anvil outlived the devnet process"


def test_deploy_to_any_rpc_writes_manifest_that_the_sdk_finds(
    cwd_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Anvil(chain_id=4242) as node:
        monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", "0x" + bytes(dev_account("bank2").key).hex())
        code = main(["--rpc", node.rpc_url, "--json", "deploy", "--admin-delay", "3600"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        deployed = json.loads(out)
        manifest_path = cwd_env / "deployments" / "4242.json"
        assert deployed["manifest"] == "deployments/4242.json"
        assert deployed["unsubscribed"] == []  # the deployer is the admin: it subscribed both mirrors
        manifest = json.loads(manifest_path.read_text())
        assert manifest["chain_id"] == 4242
        assert manifest["admin"] == dev_account("bank2").address
        record = manifest["contracts"]["ParticipantRegistry"]
        assert record["version"] == "1.0.0"
        assert record["block_number"] >= 1

        # The deployer is the consortium admin there: it can admit, and the SDK finds the manifest by chain id.
        assert main(["--rpc", node.rpc_url, "admin", "admit", "supplier", NEW, "--name", "First Member"]) == 0
        capsys.readouterr()
        assert main(["--rpc", node.rpc_url, "--json", "admin", "list"]) == 0
        assert [m["name"] for m in json.loads(capsys.readouterr().out)["members"]] == ["First Member"]


def test_deploy_for_another_admin_leaves_the_standing_subscription_to_it(
    cwd_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from client.chain import connect
    from client.deployment import find_manifest
    from client.participants import Participants

    with Anvil(chain_id=4245) as node:
        monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", "0x" + bytes(dev_account("bank2").key).hex())
        admin = dev_account("admin").address
        assert main(["--rpc", node.rpc_url, "--json", "deploy", "--admin", admin]) == 0
        deployed = json.loads(capsys.readouterr().out)
        # The deployer may not subscribe for the admin: both contracts ask the registry until then.
        assert deployed["unsubscribed"] == ["WarehouseReceipts", "Receivables"]
        monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", "0x" + bytes(dev_account("admin").key).hex())
        admit = ["admin", "admit", "supplier", NEW, "--name", "Early Member"]
        assert main(["--rpc", node.rpc_url, *admit]) == 0
        capsys.readouterr()

        assert main(["--rpc", node.rpc_url, "--json", "admin", "subscribe"]) == 0
        out = json.loads(capsys.readouterr().out)
        receipts = deployed["contracts"]["WarehouseReceipts"]["address"]
        receivables = deployed["contracts"]["Receivables"]["address"]
        assert out["subscribers"] == [receipts, receivables]
        assert len(out["tx_hashes"]) == 4  # per contract: subscribed, then the early member pushed
        w3 = connect(node.rpc_url)
        manifest = find_manifest(4245)
        registry = Participants(w3, manifest.address_of("ParticipantRegistry"))
        assert registry.subscribers() == [receipts, receivables]
        for name, address in (("WarehouseReceipts", receipts), ("Receivables", receivables)):
            contract = w3.eth.contract(address=address, abi=load_artifact(name).abi)
            current, (role, status, _, _) = contract.functions.mirroredStanding(NEW).call()
            assert (current, role, status) == (True, 4, 1), name  # supplier, active


def test_deploy_without_key_or_with_bad_admin_fails_cleanly(
    cwd_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Anvil(chain_id=4243) as node:
        assert main(["--rpc", node.rpc_url, "deploy"]) == 1
        assert capsys.readouterr().err.startswith("MissingKey: no signing key")
        assert main(["--rpc", node.rpc_url, "--as", "admin", "deploy", "--admin", "0xnope"]) == 1
        assert (
            capsys.readouterr().err.strip()
            == "InvalidInput: --admin '0xnope' is not a 20-byte hex address (0x followed by 40 hex digits)"
        )
    assert not (cwd_env / "deployments").exists()


def test_deploy_on_a_free_gas_chain_from_an_unfunded_key(
    cwd_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Besu QBFT consortium runs with zero gas price and zero base fee; its deployer holds no ether."""
    from eth_account import Account

    free_gas = ("--base-fee", "0", "--gas-price", "0", "--no-priority-fee")
    with Anvil(chain_id=4244, extra_args=free_gas) as node:
        deployer = Account.create()
        monkeypatch.setenv("LEDGERHOUSE_PRIVATE_KEY", "0x" + bytes(deployer.key).hex())
        assert main(["--rpc", node.rpc_url, "--json", "deploy"]) == 0
        assert json.loads(capsys.readouterr().out)["chain_id"] == 4244
        assert (
            main(["--rpc", node.rpc_url, "admin", "admit", "lender", NEW, "--name", "Consortium Bank"]) == 0
        )
        assert "as lender" in capsys.readouterr().out


def test_checks_and_audits_of_receipts_minted_before_a_restart_work(cwd_env: Path) -> None:
    """anvil restored from --state keeps no past states: a read of "now" must read the head, and the
    mint-time standing of the warehouse comes from the registry's events when the node has no state."""
    port, state, deployments = free_port(), cwd_env / "chain" / "state.json", cwd_env / "deployments"
    devnet = Devnet(port, state, deployments, "--no-registry")
    code, err = devnet.stop()
    assert code == 0, err

    devnet = Devnet(port, state, deployments, "--no-registry")
    try:
        for receipt in ("1", "2"):
            checked = devnet.cli("--json", "bank", "check", receipt)
            assert checked.stderr == "", checked.stderr
            report = json.loads(checked.stdout)
            assert report["genuine"] is True, report
            assert (
                report["minted_by"] == dev_account("warehouse1" if receipt == "1" else "warehouse2").address
            )
        audited = devnet.cli("--json", "audit", "receipt", "1")
        assert audited.returncode == 0, audited.stderr
        assert json.loads(audited.stdout)["findings"] == []

        # In Python too, and the registry's standing replayed from its events says the same.
        from client import Ledgerhouse
        from client._types import Role
        from client.chain import connect
        from client.deployment import find_manifest

        lh = Ledgerhouse(connect(devnet.rpc), find_manifest(31337, deployments / "31337.json"))
        assert lh.receipts.check(1).genuine
        mint_block = int(report["minted_at_block"])
        assert (
            lh.participants.standing_at(dev_account("warehouse1").address, Role.WAREHOUSE, mint_block) is None
        )
        refusal = lh.participants.standing_at(dev_account("bank1").address, Role.WAREHOUSE, mint_block)
        assert type(refusal).__name__ == "WrongRole"
        assert type(lh.participants.standing_at(NEW, Role.WAREHOUSE, mint_block)).__name__ == "NotAMember"
    finally:
        devnet.stop()
