"""Finding and validating deployment manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.artifacts import load_artifact
from client.deployment import ContractRecord, Manifest, find_manifest, write_manifest
from client.errors import ConfigurationError, DeploymentNotFound


def _manifest(chain_id: int, abi_hash: str | None = None) -> Manifest:
    record = ContractRecord(
        address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        block_number=1,
        tx_hash="0x" + "ab" * 32,
        version="1.0.0",
        abi_hash=abi_hash or load_artifact("ParticipantRegistry").abi_hash,
    )
    return Manifest(
        chain_id=chain_id,
        deployed_at="2026-11-28T00:00:00+00:00",
        deployer=record.address,
        admin=record.address,
        contracts={"ParticipantRegistry": record},
    )


def test_found_by_chain_id_in_the_configured_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERHOUSE_DEPLOYMENTS_DIR", str(tmp_path))
    write_manifest(_manifest(1337), tmp_path)
    assert find_manifest(1337).chain_id == 1337
    with pytest.raises(DeploymentNotFound, match="no Ledgerhouse deployment known for chain 99"):
        find_manifest(99)


def test_explicit_manifest_must_match_the_chain(tmp_path: Path) -> None:
    path = write_manifest(_manifest(1337), tmp_path)
    with pytest.raises(ConfigurationError, match="is for chain 1337, but the node is chain 5"):
        find_manifest(5, path)


def test_manifest_from_another_abi_is_refused(tmp_path: Path) -> None:
    path = write_manifest(_manifest(1337, abi_hash="0x" + "00" * 32), tmp_path)
    with pytest.raises(ConfigurationError, match="deployed from a different ABI"):
        find_manifest(1337, path)


def test_malformed_and_missing_manifests_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "1.json"
    bad.write_text('{"chain_id": "x"}')
    with pytest.raises(ConfigurationError, match=f"deployment manifest {bad} is malformed"):
        find_manifest(1, bad)
    with pytest.raises(DeploymentNotFound, match="does not exist"):
        find_manifest(1, tmp_path / "nope.json")


def test_sdk_does_not_import_the_registry_service() -> None:
    import subprocess
    import sys

    code = "import sys, client, client.cli; print(any(m == 'registry' or m.startswith('registry.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
