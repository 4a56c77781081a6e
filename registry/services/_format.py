"""Integers from the chain as the API shows them."""

from __future__ import annotations

from datetime import UTC, datetime

from client._encoding import as_money, from_base_units


def when(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def quantity(base_units: int, decimals: int) -> str:
    return f"{from_base_units(base_units, decimals):f}"


def money(minor_units: int) -> str:
    return f"{as_money(minor_units):f}"
