"""The suite's own economy (tests/conftest.py) changes nothing a test sees: an ingest run in-process
borrows the test process's one pool of OCR children unless the test changed what the children
would inherit, and a new SQLite database is a copy of one the migrations made, exactly."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from conftest import _BorrowedPool

from scan_station.core.config import load_settings
from scan_station.db.database import Database
from scan_station.ocr import pool


def test_an_unchanged_environment_borrows_the_shared_pool():
    import cv2  # noqa: F401 - what a library sets in the environment when a test first loads it changes nothing

    with _BorrowedPool(2) as used:
        assert used is pool.shared_pool(2)  # nor does pytest naming the running test


def test_a_changed_environment_gets_a_pool_of_its_own(monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # e.g. a machine without a language pack
    with _BorrowedPool(2) as used:
        assert used is not pool.shared_pool(2)


def _contents(path) -> tuple[list, dict]:
    with sqlite3.connect(path) as connection:
        schema = sorted(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        rows = {name: sorted(connection.execute(f'SELECT * FROM "{name}"'))  # noqa: S608 - our own tables
                for _type, name, _table, _sql in schema if _type == "table"}
    return schema, rows


def test_a_new_database_in_a_test_is_the_one_the_migrations_make(tmp_path):
    copied = load_settings(tmp_path / "copied")
    Database(copied).close()
    migrated = load_settings(tmp_path / "migrated")
    code = f"from scan_station.core.config import load_settings; from scan_station.db.database import Database; " \
           f"Database(load_settings({str(migrated.home)!r})).close()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)  # no conftest there: Alembic runs
    assert _contents(copied.home / "scan-station.db") == _contents(migrated.home / "scan-station.db")
