"""Signed sensor readings: what a device publishes, how it is signed, and how a gateway verifies it.

A reading is an EIP-712 typed message, so any wallet or HSM that signs typed data can act as a
device and anyone can check a reading against the device registry on chain::

    domain  = {name: "Ledgerhouse IoT", version: "1", chainId, verifyingContract: DeviceRegistry}
    Reading(address device,address warehouse,bytes32 lot,uint64 quantity,uint8 decimals,
            bytes8 unit,uint64 time,uint64 sequence,bytes32 evidence)

`lot` is the lot's on-chain commitment (the typed lot number, canonicalised and hashed as everywhere
in Ledgerhouse); `quantity` is the decimal quantity as sent, scaled by its own `decimals`; `time` is
unix seconds; `sequence` rises by at least one with every reading of the device; `evidence` is a
hash (an image, a raw scale log) or zero.

On the wire (MQTT topic `ledgerhouse/<warehouse>/<lot commitment>`), a reading is one JSON object::

    {"device": "0x…", "warehouse": "0x…", "lot": "QD-2026-001", "quantity": "5000.125",
     "unit": "t", "time": 1790000000, "sequence": 17, "evidence": null, "signature": "0x…"}

Verification recomputes the digest with a precomputed domain separator and recovers the signer with
libsecp256k1 (coincurve): several thousand readings a second on one core.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from coincurve import PublicKey
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from client._encoding import short_code
from client.chain import checksum
from client.errors import InvalidInput, LedgerhouseError
from client.identifiers import identifier_commitment

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "READING_TYPE",
    "TOPIC_ROOT",
    "Reading",
    "ReadingDomain",
    "ReadingRefused",
    "SignedReading",
    "lot_commitment",
    "topic_for",
]

TOPIC_ROOT = "ledgerhouse"
DOMAIN_NAME = "Ledgerhouse IoT"
DOMAIN_VERSION = "1"
READING_TYPE = (
    "Reading(address device,address warehouse,bytes32 lot,uint64 quantity,uint8 decimals,"
    "bytes8 unit,uint64 time,uint64 sequence,bytes32 evidence)"
)
_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
_READING_TYPEHASH = keccak(READING_TYPE.encode())
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_UINT64 = 2**64
MAX_DECIMALS = 18


class ReadingRefused(LedgerhouseError):
    """A reading the gateway will not use; `reason` is a short stable code for counting."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Reading:
    """One sensor reading, as the device signed it."""

    device: str
    warehouse: str
    lot: str
    quantity: Decimal
    unit: str
    time: int
    sequence: int
    evidence: bytes | None = None

    @property
    def lot_id(self) -> bytes:
        return lot_commitment(self.lot)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "warehouse": self.warehouse,
            "lot": self.lot,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "time": self.time,
            "sequence": self.sequence,
            "evidence": "0x" + self.evidence.hex() if self.evidence else None,
        }


@dataclass(frozen=True, slots=True)
class SignedReading:
    reading: Reading
    signature: bytes
    digest: bytes

    def payload(self) -> bytes:
        """The JSON bytes published on MQTT."""
        return json.dumps({**self.reading.to_json(), "signature": "0x" + self.signature.hex()}).encode()


@lru_cache(maxsize=65536)
def _address(text: str, what: str) -> str:
    """`checksum`, cached: a gateway sees the same few device and warehouse addresses all day."""
    return checksum(text, what=what)


@lru_cache(maxsize=4096)
def _unit_code(unit: str) -> bytes:
    return short_code(unit, 8, what="unit")


@lru_cache(maxsize=4096)
def lot_commitment(lot: str) -> bytes:
    return identifier_commitment(lot, what="lot")


def topic_for(warehouse: str, lot: str) -> str:
    """The MQTT topic a lot's readings are published on: one per warehouse and lot."""
    return f"{TOPIC_ROOT}/{warehouse.lower()}/0x{lot_commitment(lot).hex()}"


def _scaled(quantity: Decimal) -> tuple[int, int]:
    """(integer, decimals) of a decimal quantity as written: 5000.125 -> (5000125, 3)."""
    if not quantity.is_finite() or quantity < 0:
        raise InvalidInput(f"quantity {quantity} must be a finite number, zero or more")
    exponent = int(quantity.as_tuple().exponent)
    decimals = max(0, -exponent)
    if decimals > MAX_DECIMALS:
        raise InvalidInput(f"quantity {quantity} has more than {MAX_DECIMALS} decimal places")
    value = int(quantity.scaleb(decimals))
    if value >= _UINT64:
        raise InvalidInput(f"quantity {quantity} is too large")
    return value, decimals


class ReadingDomain:
    """The EIP-712 domain of one deployment: computes reading digests, signs and verifies."""

    def __init__(self, chain_id: int, device_registry: str) -> None:
        self.chain_id = chain_id
        self.device_registry = checksum(device_registry, what="device registry")
        self.separator = keccak(
            keccak(_DOMAIN_TYPE.encode())
            + keccak(DOMAIN_NAME.encode())
            + keccak(DOMAIN_VERSION.encode())
            + chain_id.to_bytes(32, "big")
            + bytes(12)
            + bytes.fromhex(self.device_registry[2:])
        )

    def typed_data(self, reading: Reading) -> dict[str, Any]:
        """The reading as EIP-712 typed data (what a wallet or HSM is asked to sign)."""
        quantity, decimals = _scaled(reading.quantity)
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Reading": [
                    {"name": n, "type": t}
                    for n, t in (
                        ("device", "address"),
                        ("warehouse", "address"),
                        ("lot", "bytes32"),
                        ("quantity", "uint64"),
                        ("decimals", "uint8"),
                        ("unit", "bytes8"),
                        ("time", "uint64"),
                        ("sequence", "uint64"),
                        ("evidence", "bytes32"),
                    )
                ],
            },
            "primaryType": "Reading",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": self.chain_id,
                "verifyingContract": self.device_registry,
            },
            "message": {
                "device": reading.device,
                "warehouse": reading.warehouse,
                "lot": reading.lot_id,
                "quantity": quantity,
                "decimals": decimals,
                "unit": short_code(reading.unit, 8, what="unit"),
                "time": reading.time,
                "sequence": reading.sequence,
                "evidence": reading.evidence or bytes(32),
            },
        }

    def digest(self, reading: Reading) -> bytes:
        """The EIP-712 digest of `reading` (hand-encoded: every field is a static type)."""
        quantity, decimals = _scaled(reading.quantity)
        if not 0 <= reading.time < _UINT64 or not 0 <= reading.sequence < _UINT64:
            raise InvalidInput("a reading's time and sequence must be unsigned 64-bit integers")
        evidence = reading.evidence or bytes(32)
        if len(evidence) != 32:
            raise InvalidInput("a reading's evidence must be a 32-byte hash")
        struct = keccak(
            _READING_TYPEHASH
            + bytes(12)
            + bytes.fromhex(reading.device[2:])
            + bytes(12)
            + bytes.fromhex(reading.warehouse[2:])
            + reading.lot_id
            + quantity.to_bytes(32, "big")
            + decimals.to_bytes(32, "big")
            + _unit_code(reading.unit).ljust(32, b"\0")
            + reading.time.to_bytes(32, "big")
            + reading.sequence.to_bytes(32, "big")
            + evidence
        )
        return keccak(b"\x19\x01" + self.separator + struct)

    def sign(self, reading: Reading, private_key: str | bytes) -> SignedReading:
        """Signs `reading` with the device's key (which must be `reading.device`'s)."""
        digest = self.digest(reading)
        signed = Account.unsafe_sign_hash(digest, private_key)
        signature = bytes(signed.signature)
        if self.recover_address(digest, signature) != bytes.fromhex(reading.device[2:]):
            raise InvalidInput(f"the key given is not device {reading.device}'s key")
        return SignedReading(reading, signature, digest)

    @staticmethod
    def recover(digest: bytes, signature: bytes) -> str:
        """The address that signed `digest`; ReadingRefused('bad-signature') for a malformed signature."""
        return to_checksum_address(ReadingDomain.recover_address(digest, signature))

    @staticmethod
    def recover_address(digest: bytes, signature: bytes) -> bytes:
        """`recover`, as the 20 address bytes."""
        if len(signature) != 65:
            raise ReadingRefused("bad-signature", "the signature is not 65 bytes")
        v = signature[64]
        recovery = v - 27 if v >= 27 else v
        if recovery not in (0, 1) or int.from_bytes(signature[32:64], "big") > _SECP256K1_HALF_N:
            raise ReadingRefused("bad-signature", "the signature is not in canonical form")
        try:
            key = PublicKey.from_signature_and_message(
                signature[:64] + bytes([recovery]), digest, hasher=None
            )
        except Exception:  # coincurve raises ValueError or its own errors for an invalid point
            raise ReadingRefused("bad-signature", "the signature does not recover a key") from None
        return keccak(key.format(compressed=False)[1:])[12:]

    def parse(self, payload: bytes) -> SignedReading:
        """The reading in a wire payload, its signature checked against its `device` field.

        Raises ReadingRefused('malformed' | 'bad-signature', one line naming what is wrong)."""
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise ReadingRefused("malformed", "the message is not JSON") from None
        if not isinstance(data, dict):
            raise ReadingRefused("malformed", "the message is not a JSON object")
        try:
            reading = _reading_from(data)
            signature_text = data.get("signature")
            if not isinstance(signature_text, str) or not signature_text.startswith("0x"):
                raise ReadingRefused("bad-signature", "the reading is not signed")
            signature = bytes.fromhex(signature_text[2:])
            digest = self.digest(reading)
        except InvalidInput as exc:
            raise ReadingRefused("malformed", str(exc)) from None
        except ValueError:
            raise ReadingRefused("bad-signature", "the signature is not hexadecimal") from None
        if self.recover_address(digest, signature) != bytes.fromhex(reading.device[2:]):
            # Not "signed by X": over a reading that differs from what was signed, the recovered
            # address is meaningless.
            raise ReadingRefused(
                "bad-signature", f"the signature is not device {reading.device}'s over this reading"
            )
        return SignedReading(reading, signature, digest)


def _reading_from(data: dict[str, Any]) -> Reading:
    def text(name: str) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"field {name!r} is missing or not text")
        return value

    def integer(name: str) -> int:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _UINT64:
            raise InvalidInput(f"field {name!r} must be an unsigned 64-bit integer")
        return value

    try:
        quantity = Decimal(text("quantity"))
    except InvalidOperation:
        raise InvalidInput(f"quantity {data.get('quantity')!r} is not a number") from None
    evidence_text = data.get("evidence")
    evidence = None
    if evidence_text is not None:
        if (
            not isinstance(evidence_text, str)
            or len(evidence_text) != 66
            or not evidence_text.startswith("0x")
        ):
            raise InvalidInput("field 'evidence' must be a 32-byte hash (0x + 64 hex digits) or null")
        try:
            evidence = bytes.fromhex(evidence_text[2:])
        except ValueError:
            raise InvalidInput("field 'evidence' is not hexadecimal") from None
    return Reading(
        device=_address(text("device"), "device"),
        warehouse=_address(text("warehouse"), "warehouse"),
        lot=text("lot"),
        quantity=quantity,
        unit=text("unit"),
        time=integer("time"),
        sequence=integer("sequence"),
        evidence=evidence,
    )
