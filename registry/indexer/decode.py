"""Raw JSON-RPC logs into named events, with the SDK's one decoder (`client.reader.EventCodec`).

Decoding by hand from the ABI (rather than web3's contract event objects) is what lets a backfill
run at thousands of events per second: one dict lookup per log, and 32-byte words sliced for every
static layout (eth_abi only for arrays). The values are then made what the index stores: JSON
(`json_value`: bytes32 as 0x hex, addresses checksummed, arrays as lists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from client._encoding import json_value
from client.artifacts import CONTRACT_NAMES, load_artifact
from client.reader import EventCodec, checksummed

__all__ = ["DecodedEvent", "EventDecoder"]


@dataclass(frozen=True)
class DecodedEvent:
    """An event as the index stores it: `args` are JSON values."""

    contract: str
    name: str
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    args: dict[str, Any]


class EventDecoder:
    """Knows every event of the three contracts at their deployed addresses."""

    def __init__(self, addresses: dict[str, str]) -> None:
        self._codecs = {
            address.lower(): EventCodec(load_artifact(name).abi, address, contract=name)
            for name, address in addresses.items()
            if name in CONTRACT_NAMES
        }

    @property
    def addresses(self) -> list[str]:
        return [checksummed(a) for a in self._codecs]

    def decode(self, log: dict[str, Any]) -> DecodedEvent | None:
        """The event in a raw `eth_getLogs` entry, or None for a log no Ledgerhouse ABI describes."""
        codec = self._codecs.get(str(log["address"]).lower())
        event = codec.decode(log) if codec is not None else None
        if event is None:
            return None
        return DecodedEvent(
            contract=event.contract,
            name=event.name,
            block_number=event.block_number,
            block_hash=event.block_hash,
            log_index=event.log_index,
            tx_hash=event.tx_hash,
            args={k: json_value(v) for k, v in event.args.items()},
        )
