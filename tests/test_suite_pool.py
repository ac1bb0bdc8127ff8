"""The suite's own economy (tests/conftest.py): an ingest run in-process borrows the test process's
one pool of OCR children, unless the test changed what the children would inherit."""

from __future__ import annotations

from conftest import _BorrowedPool

from scan_station.ocr import pool


def test_an_unchanged_environment_borrows_the_shared_pool():
    borrowed = _BorrowedPool(2)
    with borrowed as used:
        assert used is pool.shared_pool(2)  # pytest naming the running test changes nothing here


def test_a_changed_environment_gets_a_pool_of_its_own(monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # e.g. a machine without a language pack
    with _BorrowedPool(2) as used:
        assert used is not pool.shared_pool(2)
