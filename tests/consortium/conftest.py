"""The consortium suite: Ledgerhouse on a real 4-node go-ethereum Clique network (client.geth).

It needs geth v1.13.15, built once by `make geth` with Go (`make test` builds it first wherever Go is
installed). Where Go is absent the suite skips, and says so in pytest's summary."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import Ledgerhouse
from client.chain import Signer, connect
from client.deployment import Manifest, deploy
from client.devnet import admit_dev_participants, dev_account, dev_labels
from client.errors import ConfigurationError
from client.geth import GethNetwork, find_geth
from tests.conftest import skip_unless_ci

ROOT = Path(__file__).resolve().parents[2]
# Clique in geth v1.13 runs forks up to the merge: bytecode for a later EVM (PUSH0, transient
# storage) does not deploy there.
CLIQUE_EVM_VERSIONS = {"byzantium", "constantinople", "petersburg", "istanbul", "berlin", "london", "paris"}


def _shipped_evm_version() -> str:
    """The EVM version client/abi/ was compiled for (scripts/compile.py reads it from foundry.toml,
    and `make check-artifacts` holds the two together)."""
    return str(tomllib.loads((ROOT / "foundry.toml").read_text())["profile"]["default"]["evm_version"])


@pytest.fixture(scope="session")
def geth_binary() -> Path:
    evm = _shipped_evm_version()
    if evm not in CLIQUE_EVM_VERSIONS:
        skip_unless_ci(
            f"consortium suite skipped: the shipped contracts are compiled for EVM {evm!r}, which geth "
            "v1.13's Clique chain does not run (it needs 'paris' or earlier in foundry.toml)"
        )
    try:
        return find_geth()
    except ConfigurationError:
        pass
    if shutil.which("go") is None:
        skip_unless_ci(
            "consortium suite skipped: Go is not installed, so geth v1.13.15 cannot be built "
            "(install Go, then `make geth`)"
        )
    make = shutil.which("make") or "make"
    built = subprocess.run([make, "--no-print-directory", "geth"], cwd=ROOT, capture_output=True, text=True)
    if built.returncode != 0:
        pytest.fail(f"`make geth` failed:\n{built.stdout[-2000:]}\n{built.stderr[-2000:]}")
    return find_geth()


@pytest.fixture(scope="module")
def network(geth_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GethNetwork]:
    """Four geth signers sealing a Clique block a second, peered on loopback."""
    net = GethNetwork(nodes=4, data_dir=tmp_path_factory.mktemp("geth"))
    with net:
        yield net
        if net.splits_healed:  # Clique's even-split deadlock, rewound by the watchdog: say so
            print(f"\ngeth watchdog rewound stalled Clique forks (node, to block): {net.splits_healed}")


@pytest.fixture(scope="module")
def manifest(network: GethNetwork) -> Manifest:
    """Ledgerhouse deployed through node 0 and the dev participants admitted."""
    w3 = connect(network.rpc_url)
    deployed = deploy(Signer(w3, dev_account("admin"), dev_labels()))
    admit_dev_participants(Ledgerhouse(w3, deployed, account=dev_account("admin"), labels=dev_labels()))
    return deployed
