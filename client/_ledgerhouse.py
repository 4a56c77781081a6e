"""The SDK's entry point, `client.Ledgerhouse` (re-exported lazily by `client/__init__.py`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account.signers.local import LocalAccount
from web3 import Web3

from client.chain import Signer, account_from_key, connect
from client.deployment import Manifest, find_manifest
from client.participants import Participants
from client.prices import Prices
from client.receipts import Receipts
from client.receivables import Receivables
from client.valuation import Valuation

if TYPE_CHECKING:
    from client.iot.devices import Devices


class Ledgerhouse:
    """One connection to a Ledgerhouse deployment, optionally with a signing key."""

    def __init__(
        self,
        w3: Web3,
        manifest: Manifest,
        *,
        account: LocalAccount | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.w3 = w3
        self.manifest = manifest
        self.labels: Mapping[str, str] = labels or {}
        self.signer = Signer(w3, account, self.labels) if account is not None else None
        self.participants = Participants(
            w3, manifest.address_of("ParticipantRegistry"), self.signer, from_block=manifest.deployment_block
        )
        self.receipts = Receipts(
            w3,
            manifest.address_of("WarehouseReceipts"),
            self.participants,
            self.signer,
            from_block=manifest.deployment_block,
        )
        self.receivables = Receivables(
            w3,
            manifest.address_of("Receivables"),
            self.participants,
            self.signer,
            from_block=manifest.deployment_block,
        )

    @functools.cached_property
    def prices(self) -> Prices:
        """Commodity reference prices (PriceFeed): post, show, latest; feeds and publishers."""
        return Prices(
            self.w3,
            self.manifest.address_of("PriceFeed"),
            self.participants,
            self.signer,
            from_block=self.manifest.deployment_block,
        )

    @functools.cached_property
    def valuation(self) -> Valuation:
        """Loans against receipts (CollateralMonitor): LTV, margin checks, repayments, cures."""
        return Valuation(
            self.w3,
            self.manifest.address_of("CollateralMonitor"),
            self.participants,
            self.prices,
            self.receipts,
            self.signer,
            from_block=self.manifest.deployment_block,
        )

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        *,
        private_key: str | None = None,
        account: LocalAccount | None = None,
        manifest_path: Path | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> Ledgerhouse:
        """Connects to `rpc_url` and finds the deployment manifest for its chain id."""
        w3 = connect(rpc_url)
        if account is None and private_key:
            account = account_from_key(private_key)
        return cls(w3, find_manifest(w3.eth.chain_id, manifest_path), account=account, labels=labels)

    @functools.cached_property
    def devices(self) -> Devices:
        """The IoT device registry (a deployment made before it existed has none: DeploymentNotFound)."""
        from client.iot.devices import Devices

        return Devices(
            self.w3,
            self.manifest.address_of("DeviceRegistry"),
            self.participants,
            self.signer,
            from_block=self.manifest.deployment_block,
        )

    @property
    def chain_id(self) -> int:
        return self.manifest.chain_id

    @property
    def address(self) -> str | None:
        """The signing address, if a key was given."""
        return self.signer.address if self.signer else None
