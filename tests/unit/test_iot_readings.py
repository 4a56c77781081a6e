"""Signed readings (issue 21): the hand-encoded EIP-712 digest is the standard one, every field is
bound by the signature, and malformed messages are refused with their reason."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from client.errors import InvalidInput
from client.iot.gateway import Tolerance, median
from client.iot.readings import Reading, ReadingDomain, ReadingRefused

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
WAREHOUSE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEVICE: LocalAccount = Account.from_key(keccak(b"unit test device"))
OTHER: LocalAccount = Account.from_key(keccak(b"unit test other device"))
DOMAIN = ReadingDomain(31337, REGISTRY)
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def reading(**changes: object) -> Reading:
    fields: dict[str, object] = {
        "device": DEVICE.address,
        "warehouse": WAREHOUSE,
        "lot": "QD-2026-001",
        "quantity": Decimal("5000.125"),
        "unit": "t",
        "time": 1_790_000_000,
        "sequence": 17,
        "evidence": keccak(b"bay 7 image"),
    }
    fields.update(changes)
    return Reading(**fields)  # type: ignore[arg-type]


def refused(payload: bytes) -> ReadingRefused:
    with pytest.raises(ReadingRefused) as caught:
        DOMAIN.parse(payload)
    return caught.value


def test_digest_and_signature_are_standard_eip712() -> None:
    r = reading()
    expected = _hash_eip191_message(encode_typed_data(full_message=DOMAIN.typed_data(r)))
    signed = DOMAIN.sign(r, DEVICE.key)
    assert signed.digest == expected
    standard = Account.sign_typed_data(DEVICE.key, full_message=DOMAIN.typed_data(r))
    assert signed.signature == bytes(standard.signature)
    assert DOMAIN.parse(signed.payload()) == signed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("warehouse", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        ("lot", "QD-2026-002"),
        ("quantity", "4000.125"),
        ("quantity", "5000.1250"),  # another scale is another message
        ("unit", "kg"),
        ("time", 1_790_000_001),
        ("sequence", 18),
        ("evidence", None),
    ],
)
def test_every_field_is_bound_by_the_signature(field: str, value: object) -> None:
    body = json.loads(DOMAIN.sign(reading(), DEVICE.key).payload())
    body[field] = value
    assert refused(json.dumps(body).encode()).reason == "bad-signature"


def test_a_reading_signed_by_another_key_is_refused() -> None:
    forged = json.loads(DOMAIN.sign(reading(device=OTHER.address), OTHER.key).payload())
    forged["device"] = DEVICE.address
    error = refused(json.dumps(forged).encode())
    assert error.reason == "bad-signature"
    assert str(error) == f"the signature is not device {DEVICE.address}'s over this reading"


def test_a_reading_signed_for_another_deployment_is_refused() -> None:
    elsewhere = ReadingDomain(1, REGISTRY).sign(reading(), DEVICE.key)
    assert refused(elsewhere.payload()).reason == "bad-signature"
    other_registry = ReadingDomain(31337, WAREHOUSE).sign(reading(), DEVICE.key)
    assert refused(other_registry.payload()).reason == "bad-signature"


def test_a_malleated_signature_is_refused() -> None:
    signed = DOMAIN.sign(reading(), DEVICE.key)
    s = int.from_bytes(signed.signature[32:64], "big")
    v = signed.signature[64]
    flipped = signed.signature[:32] + (_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    body = json.loads(signed.payload())
    body["signature"] = "0x" + flipped.hex()
    error = refused(json.dumps(body).encode())
    assert (error.reason, str(error)) == ("bad-signature", "the signature is not in canonical form")


@pytest.mark.parametrize(
    ("change", "reason", "message"),
    [
        ({"signature": None}, "bad-signature", "the reading is not signed"),
        ({"signature": "0xzz"}, "bad-signature", "the signature is not hexadecimal"),
        ({"signature": "0x" + "00" * 10}, "bad-signature", "the signature is not 65 bytes"),
        ({"quantity": "lots"}, "malformed", "quantity 'lots' is not a number"),
        ({"quantity": "-1"}, "malformed", "quantity -1 must be a finite number, zero or more"),
        ({"sequence": -1}, "malformed", "field 'sequence' must be an unsigned 64-bit integer"),
        ({"time": True}, "malformed", "field 'time' must be an unsigned 64-bit integer"),
        ({"time": 2**64}, "malformed", "field 'time' must be an unsigned 64-bit integer"),
        ({"device": "0x12"}, "malformed", "device '0x12' is not a 20-byte hex address"),
        ({"evidence": "0x12"}, "malformed", "field 'evidence' must be a 32-byte hash"),
        ({"unit": "kilograms"}, "malformed", "unit 'kilograms' must be 1 to 8 ASCII characters"),
        ({"lot": ""}, "malformed", "field 'lot' is missing or not text"),
    ],
)
def test_malformed_readings_are_refused_with_their_reason(
    change: dict[str, object], reason: str, message: str
) -> None:
    body = json.loads(DOMAIN.sign(reading(), DEVICE.key).payload())
    body.update(change)
    error = refused(json.dumps(body).encode())
    assert error.reason == reason
    assert message in str(error)


def test_not_json_is_malformed() -> None:
    assert refused(b"\xff\x00").reason == "malformed"
    assert refused(b"[1, 2]").reason == "malformed"


def test_signing_with_a_key_that_is_not_the_devices_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not device"):
        DOMAIN.sign(reading(), OTHER.key)


def test_median_rule() -> None:
    q = [Decimal(v) for v in ("300.100", "299.900", "300.000")]
    assert median(q, 3) == Decimal("300.000")
    assert median(q[:2], 3) == Decimal("300.000")  # the mean of the middle two
    assert median([Decimal("1.001"), Decimal("1.002")], 3) == Decimal("1.002")  # 1.0015 half-even
    assert median([Decimal("1.002"), Decimal("1.003")], 3) == Decimal("1.002")  # 1.0025 half-even


def test_tolerance() -> None:
    assert Tolerance.parse("0.5%").allowed(Decimal(300)) == Decimal("1.5")
    assert Tolerance.parse("2").allowed(Decimal(300)) == Decimal(2)
    for bad in ("lots", "-1%", "NaN"):
        with pytest.raises(InvalidInput, match="tolerance"):
            Tolerance.parse(bad)
