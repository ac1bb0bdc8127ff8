"""Two questions many steps ask of a set of register ids — which exist, and of which category each
is — asked in chunks, as a database takes a bounded number of parameters in one query."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.database import Entry

#: Ids in one query (well under the parameter limits of SQLite and PostgreSQL).
CHUNK = 500


def chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    items = list(dict.fromkeys(ids))
    for start in range(0, len(items), size):
        yield items[start:start + size]


def existing_ids(session: Session, ids: Iterable[str]) -> set[str]:
    """Those of `ids` that are in the register."""
    found: set[str] = set()
    for chunk in chunks(ids):
        found.update(session.scalars(select(Entry.id).where(Entry.id.in_(chunk))))
    return found


def categories_of(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """The category of each of `ids` that is in the register."""
    found: dict[str, str] = {}
    for chunk in chunks(ids):
        found.update((i, c) for i, c in session.execute(select(Entry.id, Entry.category).where(Entry.id.in_(chunk))))
    return found
