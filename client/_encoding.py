"""How user-facing values become contract arguments: commitments, short codes, dates, quantities."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from client.errors import InvalidInput


def commitment(text: str) -> bytes:
    """A 32-byte commitment to an identifier: itself if already 0x + 64 hex, else keccak256 of its text.

    Used for legal-entity ids, licence numbers, lot identities, item serials and document references:
    the chain keeps the commitment, the registry keeps the document, and anyone holding the text can
    check one against the other.
    """
    value = text.strip()
    if not value:
        raise InvalidInput("an identifier to commit to cannot be empty")
    if value.startswith("0x") and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    return keccak(text=value)


def file_commitment(content: bytes) -> bytes:
    """keccak256 of a document's bytes (evidence, inspection report, invoice)."""
    return keccak(content)


def short_code(text: str, size: int, *, what: str) -> bytes:
    """An ASCII code (commodity, unit, currency) right-padded into `size` bytes."""
    value = text.strip()
    if not value or not value.isascii() or len(value) > size:
        raise InvalidInput(f"{what} {text!r} must be 1 to {size} ASCII characters")
    return value.encode().ljust(size, b"\0")


def decode_code(raw: bytes) -> str:
    return bytes(raw).rstrip(b"\0").decode(errors="replace")


def end_of_day(day: date) -> int:
    """Unix time of the last second of `day` (UTC): 'valid until 2027-06-30' includes that day."""
    return int(datetime.combine(day, time(23, 59, 59), tzinfo=UTC).timestamp())


DAY_SECONDS = 86_400
_DAY_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def last_valid_second(chain_seconds: int) -> int:
    """The one rule for dates: a date means the end of that day in UTC (23:59:59 UTC).

    The receipts contract keeps an expiry as the UTC midnight that ends the day (the first second
    the receipt is expired); shown as a date or a time, that is the last second of the day before,
    the day the user typed. A value that is not a midnight (an event's requested expiry, 23:59:59)
    is already that second."""
    return chain_seconds - 1 if chain_seconds and chain_seconds % DAY_SECONDS == 0 else chain_seconds


def valid_until(chain_seconds: int) -> datetime:
    """`last_valid_second` as a UTC datetime (2026-12-13T23:59:59+00:00 for --expires 2026-12-13)."""
    return timestamp(last_valid_second(chain_seconds))


def parse_day(text: str, *, what: str) -> date:
    if not _DAY_FORM.fullmatch(text.strip()):
        raise InvalidInput(f"{what} {text!r} is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:  # the form is right, the day does not exist (2027-02-30)
        raise InvalidInput(f"{what} {text!r} is not a date: {exc}") from None


def to_base_units(amount: Decimal | int | str, decimals: int, *, what: str, bits: int = 64) -> int:
    """`amount` in display units (e.g. 1500.250 t) as integer base units; never via floats.

    Quantities are uint64 on chain and money uint128 (`bits`): a larger amount is refused here,
    naming the limit, instead of failing later inside the ABI encoder."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        hint = " (write it without thousands separators, e.g. 1200.5)" if "," in str(amount) else ""
        raise InvalidInput(f"{what} {amount!r} is not a number{hint}") from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{what} {amount} must be positive")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{what} {amount} has more than {decimals} decimal places")
    if scaled >= 2**bits:
        largest = Decimal(2**bits - 1).scaleb(-decimals)
        raise InvalidInput(f"{what} {amount} is too large: at most {largest} ({bits}-bit base units)")
    return int(scaled)


def from_base_units(amount: int, decimals: int) -> Decimal:
    return Decimal(amount).scaleb(-decimals)


MONEY_DECIMALS = 2  # CNY, USD, EUR: minor units are fen / cents


def money(amount: Decimal | int | str, *, what: str) -> int:
    """A money amount in major units (e.g. "1500000.00") as integer minor units."""
    return to_base_units(amount, MONEY_DECIMALS, what=what, bits=128)


def as_money(minor: int) -> Decimal:
    return from_base_units(minor, MONEY_DECIMALS)


def timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def json_value(value: Any) -> Any:
    """Any value the SDK hands out, as JSON (the one conversion: views, reports, events, the indexer's
    rows): bytes as 0x hex, Decimal as a string (never a float), times in ISO form, enums by their
    label, mappings with string keys, dataclasses by field (those shown in their repr)."""
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else value.name.lower()
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, bytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_value(getattr(value, f.name)) for f in fields(value) if f.repr}
    return value


def read_file(path: Path, *, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{what} file {path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} file {path}: {exc.strerror}") from None


def file_hash(path: Path | None, *, what: str) -> bytes:
    return file_commitment(read_file(path, what=what)) if path else b""


def details_commitment(*, unit: str, grade: str | None, location: str | None, document: bytes) -> bytes:
    """Commitment to a receipt's descriptive terms: keccak256 of their canonical JSON.

    The registry service stores the JSON and the documents; anyone holding them can recompute this.
    """
    terms = {
        "unit": unit,
        "grade": grade or "",
        "location": location or "",
        "document": "0x" + document.hex() if document else "",
    }
    return keccak(json.dumps(terms, sort_keys=True, separators=(",", ":")).encode())
