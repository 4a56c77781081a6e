"""Raw JSON-RPC logs into named events, decoded with the contracts' ABIs.

Decoding by hand from the ABI (rather than web3's contract event objects) is what lets a backfill
run at thousands of events per second: one dict lookup per log and one eth_abi call for its data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from client.artifacts import CONTRACT_NAMES, load_artifact


@dataclass(frozen=True)
class DecodedEvent:
    contract: str
    name: str
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    args: dict[str, Any]


@dataclass(frozen=True)
class _EventAbi:
    contract: str
    name: str
    indexed: tuple[tuple[str, str], ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(str(i['type']) for i in item['inputs'])})"


class EventDecoder:
    """Knows every event of the three contracts at their deployed addresses."""

    def __init__(self, addresses: dict[str, str]) -> None:
        self._contract_at = {address.lower(): name for name, address in addresses.items()}
        self._events: dict[tuple[str, str], _EventAbi] = {}
        for contract in CONTRACT_NAMES:
            for item in load_artifact(contract).abi:
                if item["type"] != "event" or item.get("anonymous"):
                    continue
                topic = "0x" + keccak(text=_signature(item)).hex()
                inputs = item["inputs"]
                self._events[(contract, topic)] = _EventAbi(
                    contract=contract,
                    name=str(item["name"]),
                    indexed=tuple((str(i["name"]), str(i["type"])) for i in inputs if i["indexed"]),
                    data_names=tuple(str(i["name"]) for i in inputs if not i["indexed"]),
                    data_types=tuple(str(i["type"]) for i in inputs if not i["indexed"]),
                )

    @property
    def addresses(self) -> list[str]:
        return [to_checksum_address(a) for a in self._contract_at]

    def decode(self, log: dict[str, Any]) -> DecodedEvent | None:
        """The event in a raw `eth_getLogs` entry, or None for a log no Ledgerhouse ABI describes."""
        contract = self._contract_at.get(str(log["address"]).lower())
        topics = log["topics"]
        if contract is None or not topics:
            return None
        abi = self._events.get((contract, str(topics[0]).lower()))
        if abi is None or len(topics) != len(abi.indexed) + 1:
            return None
        args: dict[str, Any] = {}
        for (name, type_), topic in zip(abi.indexed, topics[1:], strict=True):
            args[name] = _from_topic(type_, bytes.fromhex(str(topic)[2:]))
        if abi.data_types:
            values = abi_decode(list(abi.data_types), bytes.fromhex(str(log["data"])[2:]))
            for name, type_, value in zip(abi.data_names, abi.data_types, values, strict=True):
                args[name] = _normalise(type_, value)
        return DecodedEvent(
            contract=contract,
            name=abi.name,
            block_number=int(log["blockNumber"], 16),
            block_hash=str(log["blockHash"]),
            log_index=int(log["logIndex"], 16),
            tx_hash=str(log["transactionHash"]),
            args=args,
        )


@lru_cache(maxsize=65_536)
def _checksum(raw: bytes | str) -> str:
    # A consortium has few members and each appears in thousands of events: one keccak per address.
    return to_checksum_address(raw)


def _from_topic(type_: str, raw: bytes) -> Any:
    if type_ == "address":
        return _checksum(raw[12:])
    if type_.startswith(("uint", "int")):
        return int.from_bytes(raw, "big", signed=type_.startswith("int"))
    if type_ == "bool":
        return raw[-1] == 1
    return "0x" + raw.hex()  # bytes32 (dynamic indexed types never occur in these ABIs)


def _normalise(type_: str, value: Any) -> Any:
    """eth_abi's values as JSON-friendly Python: addresses checksummed, bytes as 0x-hex."""
    if type_.endswith("]"):
        inner = type_[: type_.rindex("[")]
        return [_normalise(inner, v) for v in value]
    if type_ == "address":
        return _checksum(value)
    if type_.startswith("bytes"):
        return "0x" + bytes(value).hex()
    return value
