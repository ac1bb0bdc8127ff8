"""Opening a database: the engine with SQLite's pragmas, and how its errors are told."""

from __future__ import annotations

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

#: How long a connection waits for another's write to end before it gives up (SQLite's busy timeout).
#: Writes are kept short (a CSV import writes in one bulk transaction), so this is never reached
#: in normal work.
BUSY_TIMEOUT_SECONDS = 30.0


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.close()


def make_engine(url: str) -> Engine:
    # A database server restarted (or a connection cut by the network) leaves dead connections in
    # the pool; each is tested as it is taken, so the next request or job works at once.
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        # Readers never wait for a writer (WAL), and a writer waits up to the busy timeout for
        # another writer; the driver's own timeout is left to that pragma.
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _is_busy(exc: OperationalError) -> bool:
    """SQLite's SQLITE_BUSY, "database is locked" (PostgreSQL waits for locks instead)."""
    return "database is locked" in str(exc.orig)


def _shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
