"""Which way up a page is, without a second engine pass where a glance tells: a page turned as its
cover sheet was read that is then clearly upright text, or too sparse to tell, is taken as it
lies (`page_images.which_way_up`); a page clearly upside down or sideways goes to tesseract's
orientation detection, and is turned as it says (`page_ocr`)."""

from __future__ import annotations

import office
import pytest
from batches import render
from PIL import Image

from scan_station import page_ocr
from scan_station._exec import libtesseract
from scan_station.page_images import Lie, which_way_up
from scan_station.page_ocr import PageJob, ocr_page
from scan_station.page_source import PageSource, file_digest

PAPERS = [office.OFFICE, office.GREY_RECYCLED, office.LIGHT_TONER, office.THIN_PAPER]


@pytest.mark.parametrize("paper", PAPERS, ids=["office", "grey-recycled", "light-toner", "thin"])
def test_an_upright_text_page_is_seen_upright_and_a_turned_one_never(paper):
    front, back = office.text_print("Laporan Kegiatan", dpi=300, seed=4), office.text_print("Lain", dpi=300, seed=5)
    page = office.scan(front, back, paper, dpi=300, seed=4)
    assert which_way_up(page) is Lie.UPRIGHT
    for degrees in (90, 180, 270):
        assert which_way_up(page.rotate(degrees, expand=True)) is Lie.TURNED, degrees


def test_pages_with_too_little_text_to_tell_lie_as_their_cover_and_others_go_to_osd():
    assert which_way_up(Image.new("L", (2480, 3508), 250)) is Lie.UNCLEAR  # blank
    sparse = office.sparse_print("Halaman terakhir", page_no=3, dpi=300)  # one line
    assert which_way_up(sparse) is Lie.UNCLEAR and which_way_up(sparse.rotate(180)) is Lie.UNCLEAR
    assert which_way_up(office.cover_print("PPID-2026-000001", dpi=300).rotate(180)) is not Lie.UPRIGHT


@pytest.mark.corpus
def test_ocrmypdfs_four_orientations_page_only_the_upright_one_is_spared_osd(corpus, manifest):
    """The OCRmyPDF project's own orientation sample: one page in each of the four ways."""
    path = "ocrmypdf/cardinal.pdf"
    turned = [p["content_rotated_cw_deg"] for p in manifest[path]["expected"]["pages"]]
    seen = [which_way_up(render(corpus / path, n, dpi=300)) for n in range(1, len(turned) + 1)]
    assert seen == [Lie.UPRIGHT if degrees == 0 else Lie.TURNED for degrees in turned]


def _job(image: Image.Image, tmp_path, name: str, **options) -> PageJob:
    path = tmp_path / f"{name}.png"
    image.save(path, dpi=(300, 300))
    return PageJob(1, PageSource(path), file_digest(path), tmp_path / f"{name}-results", **options)


@pytest.mark.ocr
def test_the_engine_is_asked_only_about_pages_not_clearly_upright(tmp_path, monkeypatch):
    asked = []

    def osd(image):
        asked.append(image)
        return libtesseract.Orientation(180, 20.0)

    monkeypatch.setattr(page_ocr.libtesseract, "orientation", osd)
    page = office.scan(office.text_print("Laporan Kegiatan", dpi=300, seed=4), None, office.OFFICE, dpi=300, seed=4)
    upright = ocr_page(_job(page, tmp_path, "upright"))
    assert asked == [] and upright.turn == 0 and "Laporan" in upright.text
    turned = ocr_page(_job(page.rotate(180), tmp_path, "upside-down"))
    assert len(asked) == 1 and turned.turn == 180 and "Laporan" in turned.text
    officer = ocr_page(_job(page.rotate(180), tmp_path, "turned-by-officer", turn=180, turn_is_final=True))
    assert len(asked) == 1 and officer.turn == 180  # the officer's turn is final: no question asked


@pytest.mark.ocr
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_page_scanned_turned_is_read_upright_by_the_engines_own_orientation_check(tmp_path, degrees):
    page = office.scan(office.text_print("Laporan Kegiatan", dpi=300, seed=4), None, office.OFFICE, dpi=300, seed=4)
    result = ocr_page(_job(page.rotate(-degrees, expand=True), tmp_path, f"turned-{degrees}"))
    assert result.turn == (360 - degrees) % 360 and "Laporan Kegiatan" in result.text
    assert result.page_size == pytest.approx((page.width * 72 / 300, page.height * 72 / 300), abs=1)
