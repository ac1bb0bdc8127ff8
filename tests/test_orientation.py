"""Which way up a page is, from the page's own evidence: a glance at its lines' ascenders decides
the clear cases (`orientation.which_way_up`) and must never be wrong about them; a page that is
not clear goes to tesseract's orientation detection; a reading that is not words is read again
turned (`page_ocr`). The cover's turn is only a first guess; the officer's turn is final."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import office, office_pages
from helpers.batches import render
from helpers.ocr_quality import word_recall
from PIL import Image

from scan_station._exec import libtesseract
from scan_station.ocr import page as page_ocr
from scan_station.ocr.orientation import Lie, which_way_up
from scan_station.ocr.page import PageJob, ocr_page
from scan_station.pages.images import straightened
from scan_station.pages.source import PageSource, file_digest

PAPERS = {"office": office.OFFICE, "grey-recycled": office.GREY_RECYCLED, "light-toner": office.LIGHT_TONER,
          "thin": office.THIN_PAPER}
RIGHT = {0: Lie.UPRIGHT, 180: Lie.UPSIDE_DOWN, 90: Lie.SIDEWAYS, 270: Lie.SIDEWAYS}


@pytest.mark.parametrize("paper", PAPERS)
def test_an_upright_text_page_is_seen_upright_and_a_turned_one_never(paper):
    front, back = office.text_print("Laporan Kegiatan", dpi=300, seed=4), office.text_print("Lain", dpi=300, seed=5)
    page = office.scan(front, back, PAPERS[paper], dpi=300, seed=4)
    assert which_way_up(page) is Lie.UPRIGHT
    for degrees in (90, 180, 270):
        assert which_way_up(page.rotate(degrees, expand=True)) is RIGHT[degrees], degrees


GLANCES = [(layout, dpi) for layout in office_pages.LAYOUTS for dpi in (150, 200, 300)]


@pytest.mark.parametrize(("layout", "dpi"), GLANCES + [("full", 600), ("sparse", 600), ("table", 600)])
def test_the_glance_is_never_wrong_whatever_the_page_and_resolution(layout, dpi):
    """Full pages, sparse pages, tables, photos, stamps, 150-600 dpi, clean to harsh, levelled as
    the pipeline levels them: the glance says the way the page lies, or that it cannot tell —
    never the other way up."""
    printed = office_pages.page(layout, dpi=dpi, seed=dpi + len(layout), page_no=2, of=3)
    papers = (office.OFFICE, office.GREY_RECYCLED, office.LIGHT_TONER)
    for n, paper in enumerate(papers if dpi < 600 else papers[len(layout) % 3:][:1]):  # 600 dpi: one paper
        for turn in (0, 180, 90):
            page = office.scan(printed.image, None, paper, dpi=dpi, seed=n, skew=3.0 - 2 * n, turn=turn)
            seen = which_way_up(straightened(page, dpi).image or page, dpi)
            assert seen in (RIGHT[turn], Lie.UNCLEAR, Lie.SIDEWAYS), (paper, turn, seen)
            if layout in ("letter", "full") and turn != 90:
                assert seen is RIGHT[turn], (paper, turn, seen)  # a page of text is always clear


def test_pages_with_too_little_text_to_tell_are_unclear():
    assert which_way_up(Image.new("L", (2480, 3508), 250)) is Lie.UNCLEAR  # blank
    sparse = office.sparse_print("Halaman terakhir", page_no=3, dpi=300)  # one line
    assert which_way_up(sparse) is Lie.UNCLEAR and which_way_up(sparse.rotate(180)) is Lie.UNCLEAR
    assert which_way_up(office.cover_print("PPID-2026-000001", dpi=300).rotate(180)) is not Lie.UPRIGHT


@pytest.mark.corpus
def test_ocrmypdfs_four_orientations_page_the_glance_is_right_or_asks(corpus, manifest):
    """The OCRmyPDF project's own orientation sample: one page in each of the four ways."""
    path = "ocrmypdf/cardinal.pdf"
    turned = [p["content_rotated_cw_deg"] for p in manifest[path]["expected"]["pages"]]
    seen = [which_way_up(render(corpus / path, n, dpi=300)) for n in range(1, len(turned) + 1)]
    for degrees, lie in zip(turned, seen, strict=True):
        assert lie in (RIGHT[degrees], Lie.UNCLEAR, Lie.SIDEWAYS) and (degrees != 0 or lie is Lie.UPRIGHT)


def _job(image: Image.Image, tmp_path, name: str, **options) -> PageJob:
    path = tmp_path / f"{name}.png"
    image.save(path, dpi=(options.get("default_dpi", 300),) * 2, compress_level=1)  # same pixels, sooner
    return PageJob(1, PageSource(path), file_digest(path), tmp_path / f"{name}-results", **options)


@pytest.fixture
def osd_calls(monkeypatch):
    """Every question put to tesseract's orientation detection (the real one answers)."""
    asked = []
    real = libtesseract.orientation

    def osd(image):
        asked.append(image)
        return real(image)

    monkeypatch.setattr(page_ocr.libtesseract, "orientation", osd)
    return asked


@pytest.mark.ocr
def test_a_clear_page_is_turned_by_its_own_lines_and_the_engine_asked_only_about_the_rest(tmp_path, osd_calls):
    page = office.scan(office.text_print("Laporan Kegiatan", dpi=300, seed=4), None, office.OFFICE, dpi=300, seed=4)
    upright = ocr_page(_job(page, tmp_path, "upright"))
    assert osd_calls == [] and upright.turn == 0 and "Laporan" in upright.text
    turned = ocr_page(_job(page.rotate(180), tmp_path, "upside-down"))
    assert osd_calls == [] and turned.turn == 180 and "Laporan" in turned.text
    sideways = ocr_page(_job(page.rotate(90, expand=True), tmp_path, "sideways"))
    assert len(osd_calls) == 1 and sideways.turn == 90 and "Laporan" in sideways.text
    officer = ocr_page(_job(page.rotate(180), tmp_path, "turned-by-officer", turn=180, turn_is_final=True))
    assert len(osd_calls) == 1 and officer.turn == 180  # the officer's turn is final: no question asked


@pytest.mark.ocr
@pytest.mark.parametrize(("layout", "lies", "cover"), [("full", 180, 0), ("full", 0, 180), ("sparse", 180, 0),
                                                       ("sparse", 0, 180), ("table", 180, 180), ("stamp", 0, 0)])
def test_a_page_is_read_upright_whatever_its_cover_says(tmp_path, layout, lies, cover):
    printed = office_pages.page(layout, dpi=300, seed=7, page_no=2, of=2)
    page = office.scan(printed.image, None, office.GREY_RECYCLED, dpi=300, seed=7, skew=2.0, turn=lies)
    result = ocr_page(_job(page, tmp_path, "page", turn=cover))
    assert result.turn == (360 - lies) % 360 and word_recall(result.text, printed.text) >= 0.9
    assert result.readability.readable, result.readability


@pytest.mark.ocr
def test_a_reading_that_is_not_words_is_read_again_turned_and_the_better_kept(tmp_path, monkeypatch):
    """Should the glance and the engine's orientation check both be fooled, the reading itself
    says so: upside-down text reads as garbage, below the readability bar."""
    monkeypatch.setattr(page_ocr, "which_way_up", lambda image, dpi: Lie.UPRIGHT)
    printed = office_pages.page("letter", dpi=300, seed=3)
    page = office.scan(printed.image, None, office.OFFICE, dpi=300, seed=3, turn=180)
    result = ocr_page(_job(page, tmp_path, "fooled"))
    assert result.turn == 180 and word_recall(result.text, printed.text) >= 0.95 and result.readability.readable
    assert result.seconds["tesseract"] > 0  # read twice: the first reading was judged and left


@pytest.mark.ocr
def test_a_page_nobody_can_read_is_flagged_not_filed_silently(tmp_path):
    washed_out = dataclasses.replace(office.OFFICE, toner=office.OFFICE.tone - 12, noise=9.0)
    printed = office_pages.page("letter", dpi=200, seed=5)
    page = office.scan(printed.image, None, washed_out, dpi=200, seed=5)
    result = ocr_page(_job(page, tmp_path, "washed-out", default_dpi=200))
    assert not result.readability.readable and [c.code for c in result.checks] in (["unreadable"], ["no_text"])
    skewed = office.scan(printed.image, None, office.OFFICE, dpi=200, seed=5, skew=14.0)
    result = ocr_page(_job(skewed, tmp_path, "skewed", default_dpi=200))
    assert "skewed" in [c.code for c in result.checks]
