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
    ink = np.asarray(front.convert("L"), dtype=np.float32)
    ink *= -1 / 255
    ink += 1  # 0 = paper, 1 = full toner
    page = paper.tone - ink * (paper.tone - paper.toner)
    if back is not None and paper.show_through:
        small = ImageOps.mirror(back.convert("L")).reduce(4)  # blurred anyway: blur it small, then enlarge
        through = small.filter(ImageFilter.GaussianBlur(paper.blur_mm / 25.4 * dpi / 4)).resize(
            front.size, Image.Resampling.BILINEAR)
        through_ink = np.asarray(through, dtype=np.float32)
        through_ink *= -paper.show_through * paper.tone / 255
        through_ink += paper.show_through * paper.tone  # how much darker the paper gets
        page -= through_ink * (1 - ink)
    if turn % 360:
        page = np.ascontiguousarray(np.rot90(page, k=-(turn % 360) // 90))  # clockwise
    if skew:
        page = np.asarray(Image.fromarray(page, "F").rotate(skew, resample=Image.Resampling.BILINEAR,
                                                           fillcolor=paper.tone), dtype=np.float32).copy()
    page += rng.standard_normal(page.shape, dtype=np.float32) * paper.noise
    for _ in range(paper.specks):
        y, x = rng.integers(0, page.shape[0] - 3), rng.integers(0, page.shape[1] - 3)
        page[y:y + 2, x:x + 2] = paper.toner + 60
    np.clip(page, 0, 255, out=page)
    return Image.fromarray(page.astype(np.uint8), "L")


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
