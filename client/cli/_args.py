"""Argument parsing shared by the CLI groups: every bad value becomes one InvalidInput line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from client._encoding import details_commitment, file_hash, parse_day, read_file
from client.errors import InvalidInput

# Re-exported for the CLI groups (the SDK's batch reader uses the same ones).
__all__ = [
    "details_commitment",
    "file_hash",
    "optional_day",
    "read_file",
    "read_items",
    "receipt_id",
    "voucher_id",
]


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


def read_items(path: Path | None) -> list[str] | None:
    """Item serials, one per line (blank lines and # comments skipped)."""
    if path is None:
        return None
    lines = read_file(path, what="items").decode(errors="replace").splitlines()
    items = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not items:
        raise InvalidInput(f"items file {path} lists no serials")
    return items
