"""Short read-only commands without SQLAlchemy: a SQLite database already at the newest migration is
read through the standard `sqlite3` module. Importing SQLAlchemy and the models takes longer than
all of `scan-station register list` may take (0.3 s).

Anything else gets None, and the caller opens `db.Database` as before, which creates, migrates,
reads and reports problems the one way: PostgreSQL, a URL with options (`?...`) or escapes (`%`),
no database file yet, an older schema, or any error of SQLite's.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..core.config import Settings
from ..core.entry_fields import FIELD_NAMES

#: The newest migration in `scan_station/db/migrations` (a test checks that they agree). A database
#: already at it is opened without loading Alembic (`db.migrate`), and read here without SQLAlchemy.
HEAD_REVISION = "0020"

_PLAIN_SQLITE = "sqlite:///"  # then the file's path, relative or (a fourth /) absolute
#: How long a read waits for a writer's lock, as `db.BUSY_TIMEOUT_SECONDS` (with WAL, readers rarely do).
_BUSY_TIMEOUT_SECONDS = 30.0


def sqlite_file(database_url: str) -> Path | None:
    """The file a plain `sqlite:///path` URL names; None for any other URL."""
    if not database_url.startswith(_PLAIN_SQLITE) or any(c in database_url for c in "?%#"):
        return None
    path = database_url[len(_PLAIN_SQLITE):]
    return Path(path) if path and path != ":memory:" else None


def rows_at_head(settings: Settings, sql: str, parameters: tuple = ()) -> list[tuple] | None:
    """The rows `sql` selects from the database of `settings` when it is a SQLite file at
    `HEAD_REVISION`; else None."""
    path = sqlite_file(settings.database_url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error:
        return None
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        if revision != [(HEAD_REVISION,)]:
            return None
        return connection.execute(sql, parameters).fetchall()
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def register_entries(settings: Settings) -> list[dict[str, object]] | None:
    """The register in id order, each entry as `register.entry_dict` makes it (SQLAlchemy stores
    a date in SQLite as its ISO text, `2025-01-31`); None as `rows_at_head`."""
    rows = rows_at_head(settings, f"SELECT {', '.join(FIELD_NAMES)} FROM entry ORDER BY id")
    return None if rows is None else [dict(zip(FIELD_NAMES, row, strict=True)) for row in rows]
