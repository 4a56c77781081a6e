"""/health says "no new block for N s" once the chain's head has not moved for --stall-after seconds
(a proof-of-authority chain with too few validators up), and ok again when a block comes. The session
anvil mines only when sent something, so an idle anvil stands in for a halted chain here; the real
halt is tested on four geth signers (tests/consortium/test_registry_on_geth.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from client.chain import connect
from client.deployment import Manifest
from client.devnet import Anvil
from client.registry_api import RegistryApi
from tests.registry.conftest import running_registry, service_settings


def _wait_status(api: RegistryApi, status: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (health := api.health())["status"] != status:
        assert time.monotonic() < deadline, f"/health never said {status}: {health}"
        time.sleep(0.1)
    return health


def test_health_says_the_chain_stalled_and_recovers_when_a_block_comes(
    anvil: Anvil, manifest: Manifest, manifest_dir: Path, tmp_path: Path
) -> None:
    w3 = connect(anvil.rpc_url)
    settings = service_settings(
        anvil.rpc_url, manifest_dir / f"{manifest.chain_id}.json", tmp_path, None
    ).model_copy(update={"stall_after_s": 1.5})
    with running_registry(settings) as url:
        api = RegistryApi(url)
        head = w3.eth.block_number
        stalled = _wait_status(api, "chain-stalled")
        assert stalled["chain_head"] == head
        assert stalled["detail"].startswith("no new block for ")
        assert f"(head #{head})" in stalled["detail"]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # a block comes
        ok = _wait_status(api, "ok")
        assert ok["chain_head"] == head + 1 and ok["detail"] is None


def test_health_never_says_stalled_when_stall_after_is_off(
    anvil: Anvil, manifest: Manifest, manifest_dir: Path, tmp_path: Path
) -> None:
    settings = service_settings(anvil.rpc_url, manifest_dir / f"{manifest.chain_id}.json", tmp_path, None)
    assert settings.stall_after_s == 0
    with running_registry(settings) as url:
        time.sleep(2.0)
        health = RegistryApi(url).health()
        assert (health["status"], health["detail"]) == ("ok", None)
