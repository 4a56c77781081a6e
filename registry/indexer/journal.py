"""Undo for reorganisations: before each flush inside the reorg window, the image of every row
the flush will change is written to `journal`, in the same transaction as the change itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from registry.db.models import APPEND_ONLY, Base, ChainEventRow, IndexedBlock, Journal, Stocktake

__all__ = ["JOURNAL_BLOCK", "enable_journal", "undo_above"]

JOURNAL_BLOCK = "journal_block"


def _key(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {column.key: getattr(obj, column.key) for column in mapper.primary_key}


def _before_image(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    image: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        image[attr.key] = history.deleted[0] if history.deleted else getattr(obj, attr.key)
    return image


def _record(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    block = session.info.get(JOURNAL_BLOCK)
    if block is None:
        return
    # Plain rows in one multi-row INSERT: journal entries are never read back through the ORM.
    entries: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Base) and not isinstance(obj, (Journal, *APPEND_ONLY)):
            entries.append(
                {"block_number": block, "table_name": obj.__tablename__, "key": _key(obj), "before": None}
            )
    for obj in session.dirty:
        if isinstance(obj, Base) and session.is_modified(obj) and not isinstance(obj, Journal):
            entries.append(
                {
                    "block_number": block,
                    "table_name": obj.__tablename__,
                    "key": _key(obj),
                    "before": _before_image(obj),
                }
            )
    if entries:
        session.connection().execute(insert(Journal), entries)


def enable_journal(session: Session) -> None:
    if not event.contains(session, "before_flush", _record):
        event.listen(session, "before_flush", _record)


def undo_above(session: Session, block_number: int) -> int:
    """Restores every journaled row to its image before block `block_number + 1`, and deletes
    what the blocks above it appended. Returns how many events were removed."""
    entries = session.scalars(
        select(Journal).where(Journal.block_number > block_number).order_by(Journal.id.desc())
    ).all()
    for entry in entries:
        table = Base.metadata.tables[entry.table_name]
        where = [table.c[name] == value for name, value in entry.key.items()]
        session.execute(delete(table).where(*where))
        if entry.before is not None:
            session.execute(insert(table).values(**entry.before))
    session.execute(delete(Journal).where(Journal.block_number > block_number))
    removed = session.execute(delete(ChainEventRow).where(ChainEventRow.block_number > block_number)).rowcount  # type: ignore[attr-defined]
    session.execute(delete(Stocktake).where(Stocktake.block_number > block_number))
    session.execute(delete(IndexedBlock).where(IndexedBlock.number > block_number))
    return int(removed or 0)
