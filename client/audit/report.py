"""Reports as JSON and CSV: one conversion for both, whichever audit (or reconcile) made the report.

JSON is `json_value` (dataclasses by field, Decimal as strings, UTC ISO times, enums by label, bytes
as 0x hex: the SDK's one conversion, `client._encoding.json_value`). A CSV row is a record flattened:
nested records become `<field>_<subfield>` columns, blank where the record is None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any, get_args, get_type_hints

from client._encoding import json_value

__all__ = ["csv_cell", "csv_table", "flat_row", "json_value"]


def csv_cell(value: Any) -> str:
    """One value as CSV text: blank for None, enums by label, lists space-separated."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else value.name.lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(csv_cell(v) for v in value)
    return str(value)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _nested(hint: Any) -> type[Any] | None:
    """The dataclass a field holds (`X` or `X | None`), if any."""
    for candidate in (hint, *get_args(hint)):
        if isinstance(candidate, type) and is_dataclass(candidate):
            return candidate
    return None


def flat_row(value: Any, cls: type[Any], *, skip: Iterable[str] = (), prefix: str = "") -> dict[str, str]:
    """A record as one CSV row: nested records become `<field>_<subfield>` columns (blank if None)."""
    hints = _hints(cls)
    out: dict[str, str] = {}
    for f in fields(cls):
        if f.name in skip or not f.repr:
            continue
        item = getattr(value, f.name) if value is not None else None
        nested = _nested(hints[f.name])
        if nested is not None:
            out.update(flat_row(item, nested, prefix=f"{prefix}{f.name}_"))
        else:
            out[prefix + f.name] = csv_cell(item)
    return out


def csv_table(cls: type[Any], rows: list[dict[str, str]], **fixed: Any) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV of `cls` records, `fixed` columns first."""
    header = [*fixed, *flat_row(None, cls)]
    first = {k: csv_cell(v) for k, v in fixed.items()}
    return header, [[{**first, **row}[c] for c in header] for row in rows]
