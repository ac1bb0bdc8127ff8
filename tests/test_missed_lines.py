"""What the engine passes over is read again (`ocr.missed_lines`): real tesseract, real pages.

Tesseract's layout analysis now and then leaves a whole line of a page out of its reading — a
row of a table, the heading above it. A photographed table lost a row that way: 93 % of its
words were filed and nothing said so. Here every line of a page is left out in turn and must
come back in its place; a reading that covers its page, a page number alone and a scribble are
left as they are; marks are found where the reading is when the page was read enlarged."""

from __future__ import annotations

import random
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from scan_station._exec import libtesseract
from scan_station.ocr import missed_lines
from scan_station.ocr.readability import text_marks

DPI = 300
FONT = "DejaVuSans.ttf"
LINES = ["Rekapitulasi penerimaan permohonan informasi", "Sekretariat Komisi Pemilihan Umum Kota",
         "Daftar informasi publik yang wajib disediakan", "Berita acara serah terima dokumen arsip"]
LANGUAGES = ("ind", "eng")


def _font(path: str, points: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, round(points / 72 * DPI))


def _page(lines: list[str], *, extra=None) -> Image.Image:
    page = Image.new("L", (2480, 1400), 255)
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(lines):
        draw.text((250, 200 + 220 * n), line, font=_font(FONT, 12), fill=0)
    if extra:
        extra(draw)
    return page


def _read(page: Image.Image, folder: Path, name: str) -> tuple[Path, libtesseract.Recognised]:
    path = folder / f"{name}.tif"
    page.save(path, format="TIFF", compression="raw", dpi=(DPI, DPI))
    return path, libtesseract.recognise(path, folder / name, languages=LANGUAGES, dpi=DPI)


def _without(reading: libtesseract.Recognised, left_out: libtesseract.Line) -> libtesseract.Recognised:
    """The reading as if the engine had passed over one of its lines."""
    text = "\n".join(line.text for line in reading.lines if line != left_out)
    words = list(reading.words)
    for word in left_out.text.split():
        words.remove(next(w for w in words if w.text == word))
    return replace(reading, text=text, lines=tuple(line for line in reading.lines if line != left_out),
                   words=tuple(words))


@pytest.fixture(scope="module")
def lines_read(tmp_path_factory) -> tuple[Image.Image, Path, libtesseract.Recognised]:
    """A page of LINES, and the engine's reading of it (once for the module)."""
    page = _page(LINES)
    return page, *_read(page, tmp_path_factory.mktemp("lines"), "page")


@pytest.mark.parametrize("left_out", range(len(LINES)))
def test_a_line_passed_over_is_read_again_and_put_back_in_its_place(tmp_path, lines_read, left_out):
    page, image, reading = lines_read
    assert [line.text for line in reading.lines] == LINES
    passed = _without(reading, reading.lines[left_out])
    again = missed_lines.read_again(passed, text_marks(page, DPI), image=image, scale=1.0, dpi=DPI,
                                    languages=LANGUAGES, out_base=tmp_path / "again")
    assert again.text.splitlines() == LINES  # in its place, not at the end
    assert sorted(w.text for w in again.words) == sorted(w.text for w in reading.words)
    with pikepdf.open(again.text_pdf) as pdf, pikepdf.open(reading.text_pdf) as own:
        assert len(pdf.pages) == 1 and pdf.pages[0].mediabox == own.pages[0].mediabox
    layer = subprocess.run(["pdftotext", again.text_pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert sorted(layer.split()) == sorted(" ".join(LINES).split())  # the page's own layer, the line over it


def test_a_reading_that_covers_the_page_is_kept_as_it_is(tmp_path):
    page = _page(LINES, extra=lambda draw: draw.text((1200, 1300), "7", font=_font(FONT, 10), fill=0))
    image, reading = _read(page, tmp_path, "page")
    lone = replace(reading, lines=tuple(line for line in reading.lines if line.text != "7"))
    for given in (reading, lone):  # a page number alone is one character: not worth a reading
        again = missed_lines.read_again(given, text_marks(page, DPI), image=image, scale=1.0, dpi=DPI,
                                        languages=LANGUAGES, out_base=tmp_path / "again")
        assert again is given
    assert not list(tmp_path.glob("again*"))


def test_marks_that_do_not_read_as_text_are_not_added(tmp_path):
    """A scribble where a line could be (a signature): read again, found no text, left out."""
    rng = random.Random(5)

    def scribble(draw: ImageDraw.ImageDraw) -> None:
        for k in range(14):
            x = 260 + 110 * k
            draw.line([(x + rng.randint(0, 60), 1100 + rng.randint(0, 50)) for _ in range(5)], fill=0, width=7)

    page = _page(LINES[:2], extra=scribble)
    image, reading = _read(page, tmp_path, "page")
    without = replace(reading, lines=tuple(line for line in reading.lines if line.box[1] < 1000))
    marks = text_marks(page, DPI)
    assert missed_lines.passed_over(marks, without.lines, scale=1.0, dpi=DPI)  # it is looked at
    again = missed_lines.read_again(without, marks, image=image, scale=1.0, dpi=DPI, languages=LANGUAGES,
                                    out_base=tmp_path / "again")
    assert again is without


def test_marks_are_scaled_to_the_image_read(lines_read):
    """The page at 150 dpi, read at 300: the line passed over is found where the reading is."""
    page, _image, reading = lines_read
    half = page.resize((page.width // 2, page.height // 2), Image.Resampling.LANCZOS)
    passed = _without(reading, reading.lines[2])
    (row,) = missed_lines.passed_over(text_marks(half, DPI / 2), passed.lines, scale=2.0, dpi=DPI)
    top, bottom = min(b[1] for b in row.marks), max(b[3] for b in row.marks)
    assert abs(top - reading.lines[2].box[1]) < 12 and abs(bottom - reading.lines[2].box[3]) < 12


def test_marks_at_the_pages_edge_are_kept_as_they_are(tmp_path):
    """A line running into the page's right and bottom edges (a width and height no multiple of
    the marks' grid): what is read again is the page's own pixels there, and white elsewhere."""
    page = Image.new("L", (1203, 402), 255)
    ImageDraw.Draw(page).text((760, 365), "Arsip Kota Tangerang", font=_font(FONT, 12), fill=0)  # cut by both
    path = tmp_path / "edge.tif"
    page.save(path, format="TIFF", compression="raw", dpi=(DPI, DPI))
    rows = missed_lines.passed_over(text_marks(page, DPI), (), scale=1.0, dpi=DPI)
    assert rows and max(box[3] for row in rows for box in row.marks) >= page.height  # marks past the edge
    kept = np.asarray(Image.open(missed_lines._only(path, rows, tmp_path / "kept.tif")))
    own = np.asarray(page)
    assert kept.shape == own.shape
    assert ((kept == own) | (kept == 255)).all()  # the page's pixels or white: no black from beyond it
    assert (kept < 128).sum() > 0.9 * (own < 128).sum()
