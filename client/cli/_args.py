"""Argument parsing shared by the CLI groups: every bad value becomes one InvalidInput line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from client._encoding import file_commitment, parse_day
from client.errors import InvalidInput


def receipt_id(text: str) -> int:
    return _id(text, "receipt")


def voucher_id(text: str) -> int:
    return _id(text, "voucher")


def _id(text: str, what: str) -> int:
    """A receipt or voucher id as typed: a positive whole number below 2^256 (a uint256)."""
    if not text.isdigit() or int(text) <= 0:
        raise InvalidInput(f"{what} id {text!r} must be a positive whole number")
    if int(text) >= 2**256:
        raise InvalidInput(f"{what} id {text} is too large: ids are below 2^256 (78 digits at most)")
    return int(text)


def optional_day(text: str | None, *, what: str) -> date | None:
    return parse_day(text, what=what) if text else None


def read_file(path: Path, *, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{what} file {path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} file {path}: {exc.strerror}") from None


def file_hash(path: Path | None, *, what: str) -> bytes:
    return file_commitment(read_file(path, what=what)) if path else b""


def read_items(path: Path | None) -> list[str] | None:
    """Item serials, one per line (blank lines and # comments skipped)."""
    if path is None:
        return None
    lines = read_file(path, what="items").decode(errors="replace").splitlines()
    items = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not items:
        raise InvalidInput(f"items file {path} lists no serials")
    return items


def details_commitment(*, unit: str, grade: str | None, location: str | None, document: bytes) -> bytes:
    """Commitment to a receipt's descriptive terms: keccak256 of their canonical JSON.

    The registry service stores the JSON and the documents; anyone holding them can recompute this.
    """
    from eth_utils.crypto import keccak

    terms = {
        "unit": unit,
        "grade": grade or "",
        "location": location or "",
        "document": "0x" + document.hex() if document else "",
    }
    return keccak(json.dumps(terms, sort_keys=True, separators=(",", ":")).encode())
