"""Ledgerhouse client SDK: what a bank, warehouse, core enterprise or auditor installs.

    from client import Ledgerhouse
    lh = Ledgerhouse.connect("http://127.0.0.1:8545", private_key=os.environ["LEDGERHOUSE_PRIVATE_KEY"])
    lh.participants.member("0x...")

Every failure raises a subclass of `LedgerhouseError`; a contract's refusal raises the typed
`ContractRevert` subclass named after the Solidity error, with its decoded arguments.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from client._types import MemberStatus, Role
from client.errors import (
    ChainUnavailable,
    ConfigurationError,
    ContractRevert,
    DeploymentNotFound,
    InvalidInput,
    LedgerhouseError,
    TransactionFailed,
)

if TYPE_CHECKING:
    from client.chain import TxResult
    from client.deployment import Manifest
    from client.participants import Member
    from client.receipts import DueDiligenceReport, LotView, Receipts, ReceiptView
    from client.receivables import Receivables, RootView, VoucherView

# Loaded on first use (PEP 562), so that `ledgerhouse --help` and `import client.errors` do not
# import web3: name -> module.
_LAZY = {
    "TxResult": "client.chain",
    "Manifest": "client.deployment",
    "Member": "client.participants",
    "DueDiligenceReport": "client.receipts",
    "LotView": "client.receipts",
    "Receipts": "client.receipts",
    "ReceiptView": "client.receipts",
    "Receivables": "client.receivables",
    "RootView": "client.receivables",
    "VoucherView": "client.receivables",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name == "Ledgerhouse":
        return _ledgerhouse_class()
    raise AttributeError(f"module 'client' has no attribute {name!r}")


__all__ = [
    "ChainUnavailable",
    "ConfigurationError",
    "ContractRevert",
    "DeploymentNotFound",
    "DueDiligenceReport",
    "InvalidInput",
    "Ledgerhouse",
    "LedgerhouseError",
    "LotView",
    "Manifest",
    "Member",
    "MemberStatus",
    "ReceiptView",
    "Receipts",
    "Receivables",
    "Role",
    "RootView",
    "TransactionFailed",
    "TxResult",
    "VoucherView",
]


def _ledgerhouse_class() -> type[Ledgerhouse]:
    from client._ledgerhouse import Ledgerhouse

    return Ledgerhouse


if TYPE_CHECKING:
    from client._ledgerhouse import Ledgerhouse
