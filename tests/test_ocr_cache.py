"""The test suite's cache of page OCR results (scan_station/ocr/testing_cache.py): a page made the
same way twice is read once; a damaged entry is read afresh; without the variable nothing is
kept; a job whose folder cannot take the result is refused as in use, cache or not."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import batches

from scan_station.core.errors import StorageError
from scan_station.core.storage import sha256_file
from scan_station.ocr import page as page_ocr
from scan_station.ocr.page import PageJob, load_result, ocr_page
from scan_station.pages.source import PageSource

pytestmark = pytest.mark.ocr


def _job(tmp_path: Path, folder: str, number: int = 1) -> PageJob:
    page = tmp_path / "page.png"
    if not page.exists():
        batches.content("Laporan kegiatan", paragraphs=["Rapat koordinasi pemutakhiran data."]).save(
            page, dpi=(300, 300))
    (tmp_path / folder).mkdir(exist_ok=True)
    return PageJob(number, PageSource(page), sha256_file(page), tmp_path / folder / ".ocr")


def test_a_page_made_the_same_way_twice_is_read_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SCAN_STATION_TEST_OCR_CACHE", str(tmp_path / "cache"))
    first = ocr_page(_job(tmp_path, "a"))

    def no_reading(*args, **kwargs):
        raise AssertionError("read again")

    monkeypatch.setattr(page_ocr, "_read", no_reading)
    again = ocr_page(_job(tmp_path, "b"))
    assert again.text == first.text and "pemutakhiran" in again.text.lower()
    assert again.image.data == first.image.data and again.text_pdf.parent == tmp_path / "b" / ".ocr" / "page-0001"
    with pytest.raises(AssertionError, match="read again"):
        ocr_page(_job(tmp_path, "c", number=2))  # another page number: its checks would name it


def test_a_damaged_cache_entry_is_read_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("SCAN_STATION_TEST_OCR_CACHE", str(tmp_path / "cache"))
    first = ocr_page(_job(tmp_path, "a"))
    for image in (tmp_path / "cache").rglob("*.image"):
        image.write_bytes(b"not the page")
    again = ocr_page(_job(tmp_path, "b"))
    assert again.image.data == first.image.data and load_result(_job(tmp_path, "b")) is not None


def test_without_the_variable_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("SCAN_STATION_TEST_OCR_CACHE", "")
    ocr_page(_job(tmp_path, "a"))
    assert not (tmp_path / "cache").exists() and not list(tmp_path.glob("*.partial"))


def test_a_folder_that_cannot_take_the_result_is_refused_as_in_use(tmp_path, monkeypatch):
    monkeypatch.setenv("SCAN_STATION_TEST_OCR_CACHE", str(tmp_path / "cache"))
    ocr_page(_job(tmp_path, "a"))
    gone = _job(tmp_path, "b")
    gone = PageJob(gone.number, gone.source, gone.source_sha256, tmp_path / "filed-batch" / ".ocr")
    with pytest.raises(StorageError):
        ocr_page(gone)  # its batch was filed meanwhile: the folder is not made again
    assert not (tmp_path / "filed-batch").exists()
