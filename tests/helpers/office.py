"""Batches made the way real offices scan: duplex on ordinary 70–80 g paper (each side shows the
other through the sheet, mirrored and blurred), off-white and grey recycled paper, light toner,
sensor noise and dust, last pages holding one line, cover sheets fed twice, torn or smudged.

Every page is drawn as the ideal print (black on white) and then "scanned": toner and paper tone
applied, the other side's show-through added, noise and specks sprinkled. Seeded: the same call
makes the same page.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from helpers import batches
from scan_station.pages import samples
from scan_station.papers.cover_sheet import coversheets_pdf


@dataclass(frozen=True)
class Paper:
    tone: float = 235.0  # brightness of the paper as scanned
    toner: float = 20.0  # brightness of full toner
    show_through: float = 0.06  # how much of the other side shows, as a fraction of the paper's tone
    blur_mm: float = 0.4  # how far the paper spreads the other side
    noise: float = 4.0  # sensor noise, grey levels
    specks: int = 3  # dust


OFFICE = Paper()
GREY_RECYCLED = Paper(tone=212.0, toner=35.0, show_through=0.08, noise=5.0, specks=6)
LIGHT_TONER = Paper(tone=225.0, toner=150.0, show_through=0.07, noise=4.0, specks=4)
THIN_PAPER = Paper(tone=232.0, toner=20.0, show_through=0.14, blur_mm=0.5, noise=4.0, specks=3)


def a4(dpi: int) -> Image.Image:
    return Image.new("L", (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)), 255)


def scan(front: Image.Image, back: Image.Image | None, paper: Paper, *, dpi: int, seed: int, skew: float = 0.0,
         turn: int = 0) -> Image.Image:
    """One side of a sheet as a scanner delivers it: `front` printed, `back` (the other side's
    print, or None for nothing) showing through; the sheet fed `turn` degrees round (180: upside
    down) and this side skewed by `skew` degrees (counter-clockwise) as the feeder took it."""
    rng = np.random.default_rng(seed)
    front = front.convert("L")
    if back is not None and paper.show_through:
        small = ImageOps.mirror(back.convert("L")).reduce(4)  # blurred anyway: blur it small, then enlarge
        through = small.filter(ImageFilter.GaussianBlur(paper.blur_mm / 25.4 * dpi / 4)).resize(
            front.size, Image.Resampling.BILINEAR)
        # paper darkened where the other side has toner, toner as it is: with f the front's paper share
        # (1 = paper) and b the other side's, toner + f * (tone - toner - shown * tone * (1 - b))
        shown = paper.show_through * paper.tone
        page = np.asarray(through, dtype=np.float32)
        page *= shown / 255
        page += paper.tone - paper.toner - shown
        page *= np.asarray(front, dtype=np.float32) * (1 / 255)
        page += paper.toner
        np.clip(page, 0, 255, out=page)
        printed = Image.fromarray(page.astype(np.uint8), "L")
    else:  # toner and paper tone only: a lookup table
        printed = front.point([round(paper.tone - (1 - v / 255) * (paper.tone - paper.toner)) for v in range(256)])
    if turn % 360:
        printed = printed.rotate(-(turn % 360), expand=True)  # clockwise, by quarter turns: exact
    if skew:
        printed = _skewed(printed, skew, fill=round(paper.tone))
    scanned = np.asarray(printed, dtype=np.float32)
    scanned += _noise(scanned.shape, rng) * paper.noise
    for _ in range(paper.specks):
        y, x = rng.integers(0, scanned.shape[0] - 3), rng.integers(0, scanned.shape[1] - 3)
        scanned[y:y + 2, x:x + 2] = paper.toner + 60
    np.clip(scanned, 0, 255, out=scanned)
    return Image.fromarray(scanned.astype(np.uint8), "L")


def _skewed(image: Image.Image, degrees: float, *, fill: int) -> Image.Image:
    """`image.rotate(degrees, resample=BILINEAR, fillcolor=fill)`, by OpenCV: the same turn about the
    same centre, within a grey level or two, at a sixth of Pillow's time for a 300 dpi page."""
    import cv2

    w, h = image.size
    turn = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    return Image.fromarray(cv2.warpAffine(np.asarray(image), turn, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill), "L")


#: How far a page's sensor noise may lie within the field made once per page size (`_noise_field`).
NOISE_MARGIN = 256


def _noise(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Standard normal sensor noise of `shape`: a seeded window of one field made per size (drawing
    nine million normals for every page was a third of the generator's time)."""
    y, x = rng.integers(0, NOISE_MARGIN, size=2)
    return _noise_field(shape)[y:y + shape[0], x:x + shape[1]]


@functools.lru_cache(maxsize=8)
def _noise_field(shape: tuple[int, ...]) -> np.ndarray:
    field = np.random.default_rng(0).standard_normal((shape[0] + NOISE_MARGIN, shape[1] + NOISE_MARGIN),
                                                     dtype=np.float32)
    field.flags.writeable = False
    return field


def duplex(front: Image.Image, back: Image.Image | None, paper: Paper, *, dpi: int, seed: int) -> list[Image.Image]:
    """Both sides of one sheet, front first, as a duplex scanner delivers them."""
    blank = a4(dpi)
    return [scan(front, back, paper, dpi=dpi, seed=seed), scan(back or blank, front, paper, dpi=dpi, seed=seed + 1)]


def cover_print(register_id: str, *, dpi: int, skew: float = 0.6) -> Image.Image:
    """The ideal print of the real cover sheet (black on white), as fed: slightly skewed."""
    return _cover_print(register_id, dpi, skew).copy()


@functools.lru_cache(maxsize=16)
def _cover_print(register_id: str, dpi: int, skew: float) -> Image.Image:
    pdf = pdfium.PdfDocument(coversheets_pdf([batches.entry(register_id)]))
    try:
        image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    return image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255) if skew else image


def text_print(title: str, *, dpi: int, page_no: int = 1, seed: int = 0) -> Image.Image:
    rng = random.Random(seed)
    return samples.text_page(title, rng.sample(samples.PARAGRAPHS, k=4), page_no=page_no, dpi=dpi)


def sparse_print(line: str, *, page_no: int, dpi: int) -> Image.Image:
    """A last page with a running page number and one short line, nothing else."""
    page = a4(dpi)
    draw = ImageDraw.Draw(page)
    font = samples._font(round(11 / 72 * dpi))
    margin = round(25 / 25.4 * dpi)
    draw.text((margin, round(60 / 25.4 * dpi)), line, font=font, fill=0)
    draw.text((page.width // 2 - margin // 4, page.height - margin), f"- {page_no} -", font=font, fill=0)
    return page


def destroyed_cover_print(register_id: str, *, dpi: int, how: str) -> Image.Image:
    """A cover sheet whose barcodes nobody can read: `smudged` (a stain over the QR code, a pen
    scribbled across the Code128), `torn` (the barcodes' part of the sheet torn away), or `covered`
    (a sticky note over both)."""
    page = cover_print(register_id, dpi=dpi)
    draw = ImageDraw.Draw(page)
    px = dpi / 25.4
    w = page.width
    if how == "smudged":  # a coffee stain over the QR code, a pen scribbled across the Code128
        draw.ellipse((w * 0.28, 92 * px, w * 0.72, 168 * px), fill=70)
        for n in range(70):
            x = w * 0.2 + n * 2.1 * px
            draw.line((x, 40 * px, x + 6 * px, 76 * px), fill=0, width=max(1, round(0.5 * px)))
    elif how == "torn":  # the middle of the sheet, with both barcodes, torn away
        draw.polygon([(0, 42 * px), (w, 36 * px), (w, 172 * px), (0, 180 * px)], fill=255)
    elif how == "covered":  # a sticky note over both
        draw.rectangle((w * 0.12, 40 * px, w * 0.88, 166 * px), fill=250, outline=120)
    else:
        raise ValueError(how)
    return page
