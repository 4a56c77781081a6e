"""The SDK's exceptions: one root, `LedgerhouseError`, so callers (and the CLI) catch one thing.

Every custom Solidity error has a generated subclass of `ContractRevert` in `client._contract_errors`
carrying its decoded arguments as attributes; its message comes from the error's NatSpec @notice.
Raw web3 errors never escape the SDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from client._types import MemberStatus, Role

__all__ = [
    "ChainStalled",
    "ChainUnavailable",
    "ConfigurationError",
    "ContractRevert",
    "DeploymentNotFound",
    "InvalidInput",
    "LedgerhouseError",
    "MissingKey",
    "NodeError",
    "RegistryUnavailable",
    "StateUnavailable",
    "TransactionFailed",
    "UnknownRevert",
]


class LedgerhouseError(Exception):
    """Root of every error the SDK raises."""


class InvalidInput(LedgerhouseError, ValueError):
    """A value given by the caller is malformed or out of range; nothing was sent."""


class ConfigurationError(LedgerhouseError):
    """The SDK is not set up to do what was asked (no key, no deployment for this chain, ...)."""


class MissingKey(ConfigurationError):
    """A state change was asked for without a signing key."""

    def __init__(self) -> None:
        super().__init__(
            "no signing key: pass --keystore FILE, set LEDGERHOUSE_PRIVATE_KEY, or use --as NAME on a devnet"
        )


class ChainUnavailable(LedgerhouseError, ConnectionError):
    """The JSON-RPC endpoint cannot be reached or answered with a transport error.

    Also a ConnectionError, so code that recovers from a lost connection (the signer's exactly-once
    submission) treats it as one."""


class RegistryUnavailable(LedgerhouseError, ConnectionError):
    """The registry service (HTTP) cannot be reached: the chain may be fine, only its index is not
    answering. Not a `ChainUnavailable`, which always means the JSON-RPC node."""


class NodeError(LedgerhouseError):
    """The node answered a read or a call with an error that is not a contract's refusal."""


class StateUnavailable(NodeError):
    """The node no longer holds the contract state of a past block: it is not an archive node, or it
    was restored from a state file (anvil --state keeps no past states)."""


class ChainStalled(ChainUnavailable):
    """The node answers but no new block has come for a while: a proof-of-authority chain stops
    sealing when too few of its validators are up. Nothing sent is lost; it lands when blocks resume."""


class DeploymentNotFound(ConfigurationError):
    """No deployment manifest matches the chain the SDK is connected to."""


class TransactionFailed(LedgerhouseError):
    """A transaction was mined but failed, or was not mined in time, without a decodable reason."""


# Role hashes of AccessControl roles, so that errors name them instead of printing 32 bytes.
KNOWN_ROLE_HASHES: dict[bytes, str] = {
    b"\x00" * 32: "DEFAULT_ADMIN_ROLE",
    # keccak256("REGISTRAR_ROLE"), written out so that importing the errors does not load eth_utils
    bytes.fromhex("edcc084d3dcd65a1f7f23c65c46722faca6953d28e43150a467cf43e5c309238"): "REGISTRAR_ROLE",
}

# Messages for the OpenZeppelin errors, whose NatSpec is @dev rather than @notice.
_OZ_TEMPLATES: dict[str, str] = {
    "AccessControlUnauthorizedAccount": "{account:address} does not hold {neededRole:accessrole}",
    "AccessControlEnforcedDefaultAdminDelay": (
        "the admin transfer can be accepted only after {schedule:datetime}"
    ),
    "AccessControlEnforcedDefaultAdminRules": "the default admin changes only by a two-step delayed transfer",
    "AccessControlInvalidDefaultAdmin": "{defaultAdmin:address} is not the pending default admin",
    "AccessControlBadConfirmation": "an account can only renounce a role for itself",
    "EnforcedPause": "the contract is paused by the consortium admin",
    "ExpectedPause": "the contract is not paused",
    # Solady's ERC-721 (the receipts' token) reverts with these argument-less errors.
    "TokenDoesNotExist": "no such token: the id was never minted, or was burned on delivery or merge",
    "TokenAlreadyExists": "a token with this id already exists",
    "NotOwnerNorApproved": "the caller neither holds the token nor is approved by its holder",
    "TransferFromIncorrectOwner": "the token is not held by the account it is transferred from",
    "TransferToZeroAddress": "a token cannot be transferred to the zero address",
    "TransferToNonERC721ReceiverImplementer": (
        "the recipient is a contract that does not accept ERC-721 tokens (no onERC721Received)"
    ),
    "BalanceQueryForZeroAddress": "the zero address holds no tokens",
    "AccountBalanceOverflow": "the account's token balance would overflow",
    "SafeCastOverflowedUintDowncast": "{value} does not fit in {bits} bits",
}

_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")


def to_checksum_address(address: str) -> str:
    from eth_utils.address import to_checksum_address as checksummed

    return str(checksummed(address))


def short_address(address: str) -> str:
    checksummed = to_checksum_address(address)
    return f"{checksummed[:6]}…{checksummed[-4:]}"


def format_value(value: Any, kind: str | None, labels: Mapping[str, str]) -> str:
    """Renders one decoded argument the way a banker reads it."""
    if kind == "address" or (isinstance(value, str) and value.startswith("0x") and len(value) == 42):
        address = to_checksum_address(value)
        label = labels.get(address.lower())
        return f"{short_address(address)} ({label})" if label else address
    if kind == "date":
        return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%d")
    if kind == "datetime":
        return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if kind == "role":
        return Role(int(value)).label if int(value) in Role._value2member_map_ else f"role {value}"
    if kind == "status":
        return MemberStatus(int(value)).label if int(value) in MemberStatus._value2member_map_ else str(value)
    if kind == "accessrole":
        return KNOWN_ROLE_HASHES.get(bytes(value), "0x" + bytes(value).hex())
    if kind == "text":  # a left-aligned, zero-padded code: commodity "CU-CATH", unit "t", currency "CNY"
        return bytes(value).rstrip(b"\0").decode("ascii", errors="replace")
    if isinstance(value, bytes):
        typed = labels.get("0x" + value.hex())
        if typed is not None:  # an identifier's commitment, shown as the caller typed it
            return repr(typed)
        code = value.rstrip(b"\0")
        if len(value) <= 16 and code and code.isascii() and code.decode().isprintable():
            return repr(code.decode())  # a commodity, unit or currency code: text, not hex
        return "0x" + value.hex()
    return str(value)


class ContractRevert(LedgerhouseError):
    """A Ledgerhouse contract refused the call with a custom error; attributes hold its arguments."""

    signature: ClassVar[str] = ""
    selector: ClassVar[str] = ""
    arg_names: ClassVar[tuple[str, ...]] = ()
    arg_types: ClassVar[tuple[str, ...]] = ()
    template: ClassVar[str | None] = None

    def __init__(self, *values: Any, labels: Mapping[str, str] | None = None) -> None:
        self.values = tuple(values)
        for name, value in zip(self.arg_names, values, strict=True):
            setattr(self, name, value)
        self.reason = self._render(labels or {})
        super().__init__(f"{type(self).__name__}: {self.reason}")

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(zip(self.arg_names, self.values, strict=True))

    def _render(self, labels: Mapping[str, str]) -> str:
        template = self.template or _OZ_TEMPLATES.get(type(self).__name__)
        args = self.arguments
        if template is None:
            return ", ".join(f"{n}={format_value(v, None, labels)}" for n, v in args.items()) or "reverted"
        return _FIELD.sub(lambda m: format_value(args[m.group(1)], m.group(2), labels), template)


class UnknownRevert(TransactionFailed):
    """The chain reverted with data that matches no known Ledgerhouse error."""

    def __init__(self, data: str, message: str | None = None) -> None:
        self.data = data
        super().__init__(message or f"reverted with unrecognised data {data[:74]}")
