"""The device registry: sensor keys an inspector vouches for at a warehouse (contracts/DeviceRegistry.sol)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from client._contract import ContractClient
from client._encoding import decode_code, short_code
from client.chain import TxResult, checksum

__all__ = ["DeviceView", "Devices"]


@dataclass(frozen=True)
class DeviceView:
    device: str
    inspector: str
    warehouse: str
    kind: str
    registered_at: int
    revoked_at: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "inspector": self.inspector,
            "warehouse": self.warehouse,
            "kind": self.kind,
            "registered_at": self.registered_at,
            "revoked_at": self.revoked_at,
        }


class Devices(ContractClient):
    ARTIFACT = "DeviceRegistry"

    def register(self, device: str, warehouse: str, kind: str) -> TxResult:
        """Registers `device` (its signing address) at `warehouse`, vouched for by the signer (INSPECTOR)."""
        return self._send(
            self.contract.functions.registerDevice(
                checksum(device, what="device"),
                checksum(warehouse, what="warehouse"),
                short_code(kind, 16, what="device kind"),
            )
        )

    def revoke(self, device: str, reason: str) -> TxResult:
        """Revokes `device` (its inspector or the consortium admin): its readings are refused from now on."""
        return self._send(self.contract.functions.revokeDevice(checksum(device, what="device"), reason))

    def device(self, device: str) -> DeviceView:
        """The registration of `device`; DeviceNotRegistered for an unknown key."""
        address = checksum(device, what="device")
        return _view(address, self.contract.functions.device(address).call())

    def trusted(self, devices: list[str]) -> dict[str, bool]:
        """Whether each device is registered, not revoked and vouched for by an active inspector,
        in one batch of calls."""
        calls = [self.contract.functions.isTrusted(checksum(d, what="device")) for d in devices]
        return {d: bool(out[0]) for d, out in zip(devices, self.call_many(calls), strict=True)}


def _view(address: str, raw: Any) -> DeviceView:
    inspector, registered_at, warehouse, revoked_at, kind = raw
    return DeviceView(
        device=address,
        inspector=str(inspector),
        warehouse=str(warehouse),
        kind=decode_code(kind),
        registered_at=int(registered_at),
        revoked_at=int(revoked_at) or None,
    )
