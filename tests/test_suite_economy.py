"""The suite's own economy (tests/conftest.py) changes nothing a test sees: an ingest run in-process
borrows the test process's one pool of OCR children unless the test changed what the children
would inherit, a new SQLite database is a copy of one the migrations made, exactly, and a reading
of tesseract alone kept as a yardstick is found again only for the very pixels it was made on."""

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


def test_a_kept_reference_reading_is_what_tesseract_reads_on_those_very_pixels(tmp_path, monkeypatch):
    """The yardstick kept in tests/reference-ocr/ (tests/helpers/ocr_quality.py) is tesseract's own
    reading, found again only for the same pixels, dpi, languages and engine."""
    from helpers import ocr_quality

    from scan_station.pages import samples

    monkeypatch.setattr(ocr_quality, "REFERENCE_OCR", tmp_path / "kept")
    monkeypatch.setenv(ocr_quality.KEEP_VARIABLE, "1")
    page = samples.text_page("Laporan Kegiatan", samples.PARAGRAPHS[:2], page_no=1, dpi=150)
    first = ocr_quality.tesseract_text(page, tmp_path, name="first", dpi=150)
    (kept,) = (tmp_path / "kept").iterdir()
    assert kept.read_text(encoding="utf-8") == first and "Laporan" in first
    kept.write_text("what was kept", encoding="utf-8")  # from here on, a reading found is the kept one
    assert ocr_quality.tesseract_text(page, tmp_path, name="again", dpi=150) == "what was kept"
    assert ocr_quality.read_alone(page, tmp_path / "alone.png", dpi=150) == first
    key = ocr_quality.reference_key(page, languages="ind+eng", dpi=150)
    changed = page.copy()
    changed.putpixel((page.width - 1, page.height - 1), 0)
    assert key not in {ocr_quality.reference_key(changed, languages="ind+eng", dpi=150),
                       ocr_quality.reference_key(page, languages="ind+eng", dpi=300),
                       ocr_quality.reference_key(page, languages="eng", dpi=150),
                       ocr_quality.reference_key(page.convert("RGB"), languages="ind+eng", dpi=150)}
    assert ocr_quality.tesseract_text(changed, tmp_path, name="changed", dpi=150) != "what was kept"
