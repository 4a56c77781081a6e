"""Warehouses that watch themselves: sensor devices vouched for on chain, signed readings over MQTT,
and the gateway that turns them into stocktakes (see docs in each module).

- `client.iot.devices`: the DeviceRegistry contract (register, revoke, trust).
- `client.iot.readings`: the signed reading (EIP-712), signing and fast verification.
- `client.iot.gateway`: the inspector's gateway: verify, combine, decide, post stocktakes.
- `client.iot.mqtt`: the gateway and the simulator on an MQTT broker (paho-mqtt).
- `client.iot.broker`: a Mosquitto process for the devnet and the tests.
- `client.iot.simulate`: realistic sensor readings (noise, slow theft, silence, replays).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from client.iot.broker import Mosquitto
    from client.iot.devices import Devices, DeviceView
    from client.iot.gateway import Gateway, GatewayConfig, Tolerance
    from client.iot.readings import Reading, ReadingRefused, SignedReading

# Loaded on first use (PEP 562): importing the package pulls in neither paho-mqtt nor web3.
_LAZY = {
    "Mosquitto": "client.iot.broker",
    "Devices": "client.iot.devices",
    "DeviceView": "client.iot.devices",
    "Gateway": "client.iot.gateway",
    "GatewayConfig": "client.iot.gateway",
    "Tolerance": "client.iot.gateway",
    "Reading": "client.iot.readings",
    "ReadingRefused": "client.iot.readings",
    "SignedReading": "client.iot.readings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'client.iot' has no attribute {name!r}")


__all__ = [
    "DeviceView",
    "Devices",
    "Gateway",
    "GatewayConfig",
    "Mosquitto",
    "Reading",
    "ReadingRefused",
    "SignedReading",
    "Tolerance",
]
