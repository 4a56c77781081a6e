"""Deployment manifests (`deployments/<chainId>.json`) and deploying the contracts to any chain."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from web3 import Web3

from client.artifacts import CONTRACT_NAMES, load_artifact
from client.chain import Signer
from client.errors import ConfigurationError, DeploymentNotFound, TransactionFailed

__all__ = [
    "MANIFEST_DIR_ENV",
    "STANDING_SUBSCRIBERS",
    "ContractRecord",
    "Manifest",
    "deploy",
    "deployed_code_present",
    "find_manifest",
    "load_manifest",
    "manifest_search_path",
    "unsubscribed_contracts",
    "write_manifest",
]

MANIFEST_DIR_ENV = "LEDGERHOUSE_DEPLOYMENTS_DIR"
DEFAULT_ADMIN_DELAY_S = 2 * 24 * 3600
# Days an unpaid voucher piece may run past maturity before it can be flagged overdue.
VOUCHER_GRACE_PERIOD_S = 3 * 24 * 3600
# Contracts that mirror every member's standing, pushed by the ParticipantRegistry (IStandingSubscriber).
STANDING_SUBSCRIBERS: tuple[str, ...] = ("WarehouseReceipts", "Receivables")


class ContractRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str
    block_number: int
    tx_hash: str
    version: str
    abi_hash: str


class Manifest(BaseModel):
    """Where the contracts of one chain live, when they were deployed, and from which ABI."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    deployed_at: str
    deployer: str
    admin: str
    contracts: dict[str, ContractRecord]

    @property
    def deployment_block(self) -> int:
        return min(c.block_number for c in self.contracts.values())

    def address_of(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentNotFound(f"the manifest for chain {self.chain_id} has no {name}") from None


def load_manifest(path: Path) -> Manifest:
    try:
        return Manifest.model_validate_json(path.read_text())
    except FileNotFoundError:
        raise DeploymentNotFound(f"deployment manifest {path} does not exist") from None
    except ValidationError as exc:
        raise ConfigurationError(
            f"deployment manifest {path} is malformed: {exc.errors()[0]['msg']}"
        ) from None


def manifest_search_path(chain_id: int) -> list[Path]:
    """Where the SDK looks for a chain's manifest, first match wins."""
    candidates = []
    if os.environ.get(MANIFEST_DIR_ENV):
        candidates.append(Path(os.environ[MANIFEST_DIR_ENV]) / f"{chain_id}.json")
    candidates.append(Path.cwd() / "deployments" / f"{chain_id}.json")
    candidates.append(Path(str(resources.files("client").joinpath("deployments", f"{chain_id}.json"))))
    return candidates


def find_manifest(chain_id: int, explicit: Path | None = None) -> Manifest:
    """The manifest for `chain_id`: an explicit file, else the search path. Checks it matches."""
    if explicit is not None:
        manifest = load_manifest(explicit)
        if manifest.chain_id != chain_id:
            raise ConfigurationError(
                f"deployment manifest {explicit} is for chain {manifest.chain_id}, "
                f"but the node is chain {chain_id}"
            )
    else:
        for path in manifest_search_path(chain_id):
            if path.is_file():
                manifest = load_manifest(path)
                break
        else:
            searched = ", ".join(str(p) for p in manifest_search_path(chain_id))
            raise DeploymentNotFound(
                f"no Ledgerhouse deployment known for chain {chain_id} (looked in {searched}); "
                "run `ledgerhouse deploy` or pass --deployment FILE"
            )
    for name, record in manifest.contracts.items():
        if record.abi_hash != load_artifact(name).abi_hash:
            raise ConfigurationError(
                f"{name} on chain {chain_id} was deployed from a different ABI than this SDK carries; "
                "upgrade the SDK or redeploy"
            )
    return manifest


def write_manifest(manifest: Manifest, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{manifest.chain_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(manifest.model_dump_json(indent=2) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a manifest
    return path


def deployed_code_present(w3: Web3, manifest: Manifest) -> bool:
    """True when every contract of the manifest has code on the chain `w3` talks to."""
    return all(
        len(w3.eth.get_code(Web3.to_checksum_address(c.address))) > 0 for c in manifest.contracts.values()
    )


def _constructor_args(
    name: str, deployed: dict[str, ContractRecord], admin: str, admin_delay_s: int
) -> tuple[object, ...]:
    """Each contract's constructor arguments; later contracts take earlier contracts' addresses."""
    if name == "ParticipantRegistry":
        return (admin, admin_delay_s)
    if name == "Receivables":
        return (deployed["ParticipantRegistry"].address, VOUCHER_GRACE_PERIOD_S)
    if name == "CollateralMonitor":
        return (
            deployed["WarehouseReceipts"].address,
            deployed["PriceFeed"].address,
            deployed["ParticipantRegistry"].address,
        )
    return (deployed["ParticipantRegistry"].address,)


def deploy(
    signer: Signer, *, admin: str | None = None, admin_delay_s: int = DEFAULT_ADMIN_DELAY_S
) -> Manifest:
    """Deploys every Ledgerhouse contract from `signer` and returns the manifest (not yet written)."""
    w3 = signer.w3
    admin = admin or signer.address
    records: dict[str, ContractRecord] = {}
    for name in CONTRACT_NAMES:
        artifact = load_artifact(name)
        data = artifact.creation_code(*_constructor_args(name, records, admin, admin_delay_s))
        try:
            result = signer.wait(signer.submit_deployment(data))
        except TransactionFailed as exc:
            # An opcode the chain's fork lacks, e.g. PUSH0 before Shanghai: geth says "invalid
            # opcode: PUSH0", anvil "NotActivated".
            if any(sign in str(exc) for sign in ("invalid opcode", "NotActivated")):
                raise ConfigurationError(
                    f"this chain's EVM cannot run {name} as compiled ({exc}): compile the contracts for "
                    "the EVM version the chain runs (evm_version in foundry.toml, 'paris' for a Clique "
                    "network) with `make compile`"
                ) from None
            raise
        address = result.receipt["contractAddress"]
        if address is None:
            raise ConfigurationError(f"deploying {name} produced no contract address")
        version = w3.eth.contract(address=address, abi=artifact.abi).functions.VERSION().call()
        records[name] = ContractRecord(
            address=str(address),
            block_number=result.block_number,
            tx_hash=result.tx_hash,
            version=str(version),
            abi_hash=artifact.abi_hash,
        )
    manifest = Manifest(
        chain_id=w3.eth.chain_id,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        deployer=signer.address,
        admin=admin,
        contracts=records,
    )
    if Web3.to_checksum_address(admin) == Web3.to_checksum_address(signer.address):
        # Subscribed before anyone is admitted, so every member is mirrored from its admission on.
        # Otherwise the admin subscribes them (`ledgerhouse admin subscribe`); until then they ask
        # the participant registry on every check, which is correct but costs more gas.
        members = w3.eth.contract(
            address=Web3.to_checksum_address(records["ParticipantRegistry"].address),
            abi=load_artifact("ParticipantRegistry").abi,
        )
        for name in STANDING_SUBSCRIBERS:
            signer.transact(members.functions.addSubscriber(records[name].address))
    return manifest


def unsubscribed_contracts(w3: Web3, manifest: Manifest) -> list[str]:
    """The contracts of `manifest` that should mirror member standing but are not subscribed to it."""
    members = w3.eth.contract(
        address=Web3.to_checksum_address(manifest.address_of("ParticipantRegistry")),
        abi=load_artifact("ParticipantRegistry").abi,
    )
    subscribed = {str(a).lower() for a in members.functions.subscribers().call()}
    return [
        name
        for name in STANDING_SUBSCRIBERS
        if name in manifest.contracts and manifest.address_of(name).lower() not in subscribed
    ]
