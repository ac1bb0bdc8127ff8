"""The filed PDF/A's page images stored small (scan_station/pages/images.py): a text page 1-bit
CCITT G4, a page with a photo grey JPEG, a page with a coloured stamp colour JPEG — each within
its size budget at 300 dpi A4, decoded by pikepdf as it was encoded, and read by tesseract as
well as the lossless page."""

from __future__ import annotations

import io

import numpy as np
import pikepdf
import pytest
from helpers import office
from helpers.ocr_quality import cer, tesseract_text
from PIL import Image, ImageDraw

from scan_station.ocr.assemble import image_stream
from scan_station.pages import samples
from scan_station.pages.images import Kind, StoredImage, encode, measure, skew, straightened

PAPERS = {"office": office.OFFICE, "grey-recycled": office.GREY_RECYCLED, "light-toner": office.LIGHT_TONER,
          "thin": office.THIN_PAPER}
BUDGET_KB = {Kind.TEXT: 60, Kind.GREY: 300, Kind.COLOUR: 500}


def _photo(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(1)
    x, y = np.linspace(0, 1, width)[None, :], np.linspace(0, 1, height)[:, None]
    shades = 128 + 90 * np.sin(6 * x + 3 * y) * np.cos(4 * y) + rng.normal(0, 12, (height, width))
    return Image.fromarray(np.clip(shades, 0, 255).astype("uint8"))


def _text_page(paper=office.OFFICE, seed=1) -> Image.Image:
    front = office.text_print("Laporan Kegiatan", dpi=300, seed=seed)
    return office.scan(front, office.text_print("Halaman lain", dpi=300, seed=seed + 1), paper, dpi=300, seed=seed)


def _with_photo() -> Image.Image:
    front = office.text_print("Dokumentasi Kegiatan", dpi=300, seed=3).convert("L")
    front.paste(_photo(1200, 800), (300, 1300))
    return office.scan(front, None, office.OFFICE, dpi=300, seed=3)


def _with_stamp() -> Image.Image:
    page = _text_page().convert("RGB")
    ImageDraw.Draw(page).ellipse((1500, 2800, 1850, 3150), outline=(200, 30, 40), width=18)  # a red stamp
    return page


def _decoded(stored: StoredImage) -> Image.Image:
    """The stored image as a PDF reader decodes it (pikepdf)."""
    with pikepdf.new() as pdf:
        return pikepdf.PdfImage(image_stream(pdf, stored)).as_pil_image()


@pytest.mark.parametrize("paper", PAPERS)
def test_a_text_page_goes_one_bit_g4_within_budget_pixel_for_pixel(paper):
    page = _text_page(PAPERS[paper])
    stored = encode(page, compact=True)
    assert stored.kind == Kind.TEXT and stored.filter == "/CCITTFaxDecode" and stored.bits == 1
    assert len(stored.data) <= BUDGET_KB[Kind.TEXT] * 1024
    decoded = np.asarray(_decoded(stored).convert("L")) > 127
    assert (decoded == (np.asarray(page.convert("L")) > measure(page).threshold)).all()


@pytest.mark.parametrize(("make", "kind", "space"), [(_with_photo, Kind.GREY, "/DeviceGray"),
                                                     (_with_stamp, Kind.COLOUR, "/DeviceRGB")])
def test_a_page_with_a_photo_or_a_coloured_stamp_keeps_its_shades_as_jpeg_within_budget(make, kind, space):
    page = make()
    stored = encode(page, compact=True)
    assert stored.kind == kind and stored.filter == "/DCTDecode" and stored.colour == space
    assert len(stored.data) <= BUDGET_KB[kind] * 1024
    assert _decoded(stored).size == page.size


def test_a_scanners_jpeg_is_never_jpegd_again_and_lossless_keeps_every_pixel():
    page = _with_photo()
    scanner = io.BytesIO()
    page.save(scanner, "JPEG", quality=90)
    assert encode(page, compact=True, jpeg=scanner.getvalue()).data == scanner.getvalue()
    text = _text_page()
    lossless = encode(text, compact=False)
    assert lossless.kind is None and lossless.filter == "/FlateDecode"
    assert np.array_equal(np.asarray(_decoded(lossless)), np.asarray(text))


@pytest.mark.ocr
def test_tesseract_reads_the_one_bit_page_as_well_as_the_lossless_one(tmp_path):
    """On the hardest paper (light toner on a light page, its back showing through)."""
    import random

    rng = random.Random(1)
    paragraphs = rng.sample(samples.PARAGRAPHS, k=4)
    truth = "\n".join(["Laporan Kegiatan", *paragraphs, "Halaman 1"])
    front = samples.text_page("Laporan Kegiatan", paragraphs, page_no=1, dpi=300)
    page = office.scan(front, office.text_print("Halaman lain", dpi=300, seed=2), office.LIGHT_TONER, dpi=300,
                       seed=1)
    one_bit = _decoded(encode(page, compact=True)).convert("L")
    lossless, compressed = (cer(tesseract_text(image, tmp_path, name=name), truth)
                            for name, image in (("lossless", page), ("g4", one_bit)))
    assert lossless < 3 and compressed <= lossless + 0.5, (lossless, compressed)


@pytest.mark.parametrize("degrees", [-4.5, -1.2, 0.8, 3.0])
def test_a_skewed_page_with_dark_scanner_borders_is_levelled_and_cleaned(degrees):
    printed = samples.text_page("Laporan Kegiatan", samples.PARAGRAPHS[:5], page_no=1, dpi=300)
    page = office.scan(printed.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255), None,
                       office.OFFICE, dpi=300, seed=1)
    assert abs(skew(page) + degrees) <= 0.3  # the angle that levels it
    ImageDraw.Draw(page).rectangle((0, 0, 70, page.height), fill=15)  # the feeder's black background
    level = straightened(page).image
    assert level is not None and skew(level) == 0.0
    assert np.asarray(level)[:, :70].mean() > 200  # the border is paper now
    assert level.size == page.size


def test_a_straight_clean_page_is_left_as_it_is():
    assert straightened(_text_page()).image is None


def test_a_page_full_of_photographic_grain_still_fits_its_budget_at_a_lower_resolution():
    page = _text_page().copy()
    grain = np.clip(np.random.default_rng(2).normal(128, 45, (1800, 2000)), 0, 255).astype("uint8")
    page.paste(Image.fromarray(grain), (240, 900))
    stored = encode(page, compact=True)
    assert stored.kind == Kind.GREY and len(stored.data) <= BUDGET_KB[Kind.GREY] * 1024
    assert page.width // 2 <= stored.width < page.width and _decoded(stored).size == (stored.width, stored.height)


def test_punch_holes_are_made_paper_and_the_text_is_left_alone():
    page = _text_page().copy()
    mm = 300 / 25.4
    centres = [(12 * mm, page.height / 2 - 40 * mm), (12 * mm, page.height / 2 + 40 * mm)]  # ISO 838, 80 mm apart
    draw = ImageDraw.Draw(page)
    for x, y in centres:
        draw.ellipse((x - 3 * mm, y - 3 * mm, x + 3 * mm, y + 3 * mm), fill=20)  # the feeder's dark background
    clean = straightened(page).image
    assert clean is not None
    grey = np.asarray(clean.convert("L"))
    for x, y in centres:
        assert grey[round(y) - 30:round(y) + 30, round(x) - 30:round(x) + 30].min() > 200  # paper now
    text = (slice(300, 3200), slice(300, 2200))
    assert np.array_equal(grey[text], np.asarray(page.convert("L"))[text])  # the page itself is untouched
    assert straightened(_text_page()).image is None  # a page without holes has none found
