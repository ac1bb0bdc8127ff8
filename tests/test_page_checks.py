"""The checks that flag a page for the officer (scan_station/ocr/page_checks.py) and the readability
verdict they start from (scan_station/ocr/readability.py), each on the cases that make it and its
neighbours that must not."""

from __future__ import annotations

import pytest
from helpers import office, office_pages
from PIL import Image, ImageDraw

from scan_station._exec.libtesseract import Word
from scan_station.core.model import CONTENT, PageClass
from scan_station.ocr import page_checks, readability
from scan_station.ocr.readability import Marks, Verdict

# -- running page numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("style", range(len(office_pages.NUMBERING)))
@pytest.mark.parametrize("where", ["bottom", "top"])
def test_every_office_numbering_style_is_read_at_the_top_or_the_bottom(style, where):
    label = office_pages.NUMBERING[style].format(n=4, total=7)
    body = "Berita acara rapat pleno\nDemikian berita acara ini dibuat\nuntuk dipergunakan sebagaimana mestinya"
    text = f"{label}\n{body}" if where == "top" else f"{body}\n{label}"
    assert page_checks.page_number(text) == (4, 7 if "7" in label else None)


@pytest.mark.parametrize("text", ["Pasal 2\nAyat (1) dan (2)", "Nomor: 45/PL.01.2-Kpt/3671/2025", "1. Arsip", "",
                                  "Tahun 2025\nJumlah 12/14 kelurahan sudah"])
def test_numbers_that_are_not_running_page_numbers_are_not_taken_for_them(text):
    assert page_checks.page_number(text) is None


def _doc(*labels: str | None) -> list[str]:
    return [f"Isi halaman\n{label}" if label else "Isi halaman tanpa nomor" for label in labels]


@pytest.mark.parametrize(("labels", "expected"), [
    (["- 1 -", "- 2 -", "- 3 -"], []),
    (["- 1 -", "- 3 -"], [(11, "page_missing")]),  # a sheet left in the tray
    (["- 1 -", "- 2 -", "- 2 -", "- 3 -"], [(12, "page_repeated")]),  # fed twice
    (["Halaman 1 dari 3", "Halaman 2 dari 3"], [(11, "page_missing")]),  # the last page is missing
    (["2/4", "3/4", "4/4"], [(10, "page_missing")]),  # the first page is missing
    (["- 1 -", None, "- 3 -"], []),  # an unnumbered page between: it is page 2
    (["- 1 -", None, None, "- 3 -"], [(13, "page_repeated")]),  # one page too many between
    (["- 1 -"], []), ([None, None], []),
])
def test_running_numbers_that_skip_or_repeat_flag_the_page_where_they_do(labels, expected):
    pages = list(range(10, 10 + len(labels)))
    found = page_checks.numbering(pages, _doc(*labels))
    assert [(c.page, c.code) for c in found] == expected


# -- pages much darker or lighter than the batch, maybe blank ------------------------------------


def _content(number: int, paper: float, maybe_blank: bool = False) -> PageClass:
    return PageClass(number, CONTENT, maybe_blank=maybe_blank, reason="content", measure={"background": paper})


def test_a_page_much_darker_or_lighter_than_its_batch_is_flagged_grey_paper_is_not():
    pages = [_content(1, 235), _content(2, 212), _content(3, 230), _content(4, 160), _content(5, 233, True)]
    found = page_checks.of_batch(pages, [[1, 2, 3, 4, 5]], {})
    assert [(c.page, c.code) for c in found] == [(4, "darker"), (5, "maybe_blank")]
    assert page_checks.of_batch(pages, [[1, 2, 3]], {}) == []  # pages not filed are not flagged


# -- content cut off, skew -------------------------------------------------------------------------


def _printed(shift_mm: float = 0.0) -> Image.Image:
    page = office_pages.page("full", dpi=150, seed=3).image
    if shift_mm:
        page = page.transform(page.size, Image.Transform.AFFINE, (1, 0, 0, 0, 1, -shift_mm / 25.4 * 150),
                              fillcolor=255)
    return office.scan(page, None, office.OFFICE, dpi=150, seed=1)


def test_text_running_off_the_page_is_flagged_with_its_edge():
    assert page_checks.cut_off(_printed(), 150) == []
    assert page_checks.cut_off(_printed(shift_mm=40), 150) == ["bottom"]  # the page laid too low on the glass
    turned = _printed(shift_mm=40).rotate(90, expand=True)
    assert page_checks.cut_off(turned, 150) == ["right"]


def test_a_line_or_a_shadow_along_the_edge_is_not_content_cut_off():
    page = _printed()
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, page.height - 4, page.width, page.height), fill=40)  # the scanner lid's shadow
    draw.rectangle((0, 0, 3, page.height), fill=60)
    for x in (300, 700):  # and two specks of dust on the edge
        draw.ellipse((x, 0, x + 3, 3), fill=30)
    assert page_checks.cut_off(page, 150) == []


def test_skew_beyond_levelling_is_flagged():
    verdict = readability.Readability(Verdict.READABLE, 10, 60, 1.0, 95.0, 60, 1.0)
    found = page_checks.of_page(_printed(), 150, number=3, skew=14.0, readability=verdict)
    assert [(c.page, c.code, c.params) for c in found] == [(3, "skewed", {"degrees": 14.0})]
    assert page_checks.of_page(_printed(), 150, number=3, skew=4.0, readability=verdict) == ()


# -- the readability verdict -----------------------------------------------------------------------


def _words(*items: tuple[str, float, bool]) -> tuple[Word, ...]:
    return tuple(Word(*item) for item in items)


UPRIGHT = _words(*[("Pemilihan", 96, True), ("umum", 95, True), ("Tangerang", 93, False), ("2025", 97, False)] * 20)
REVERSED = _words(*[("lueHueyepueusw", 38, False), ("Uep", 45, True), ("JIpeYy", 30, False)] * 20)


def test_readability_tells_words_from_reversed_garbage_and_pictures_from_faint_text():
    assert readability.judge(UPRIGHT, Marks(300, 300)).verdict is Verdict.READABLE
    upside_down = readability.judge(REVERSED, Marks(300, 300))
    assert upside_down.verdict is Verdict.CHECK and "in words" in upside_down.reason
    assert upside_down.score < readability.judge(UPRIGHT, Marks(300, 300)).score
    assert readability.judge((), Marks(5, 5)).verdict is Verdict.NO_TEXT  # a photo: nothing text-like
    missed = readability.judge((), Marks(400, 420))  # text-like marks, nothing read
    assert missed.verdict is Verdict.CHECK and "characters read" in missed.reason
    half = readability.judge(UPRIGHT[:8], Marks(400, 420))  # a column read, the rest not
    assert half.verdict is Verdict.CHECK and half.coverage < readability.MIN_COVERAGE


def test_text_like_marks_are_counted_on_text_not_in_photos():
    text = office.scan(office_pages.page("letter", dpi=300, seed=2).image, None, office.OFFICE, dpi=300, seed=2)
    photos = office.scan(office_pages.page("pictures", dpi=300, seed=2).image, None, office.OFFICE, dpi=300, seed=2)
    marks = readability.text_marks(text, 300)
    assert marks.count > 500 and 0.7 < marks.characters / marks.count < 1.5
    assert readability.text_marks(photos, 300).count < readability.MIN_MARKS


@pytest.mark.ocr
def test_a_missing_page_is_flagged_end_to_end(run, tmp_path):
    """A document whose printed page numbers skip: filed, with the page after the gap to check."""
    from helpers import batches

    target = run("register", "add", "--title", "Berita Acara", "--unit", "Umum", "--category", "berkala").stdout.strip()
    pages = [office.scan(office_pages.page("letter", dpi=300, seed=n, page_no=n, of=3, numbering=1).image, None,
                         office.OFFICE, dpi=300, seed=n) for n in (1, 3)]
    result = run("ingest", str(batches.write_pdf([batches.cover(target), *pages], tmp_path / "b.pdf")), "--json")
    assert result.code == 0, result.stderr
    assert [(c["page"], c["code"], c["register_id"]) for c in result.json["pages_to_check"]] == [
        (3, "page_missing", target)]
    assert result.json["documents"][0]["pages_to_check"] == [3]
