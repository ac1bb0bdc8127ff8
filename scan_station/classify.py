"""Classifying each page of a batch: cover sheet, blank (a duplex back), or content.

Pages are rendered small (`classify_dpi`, grey) for speed; rendering down from scanner resolution
also averages away sensor noise and dust, so no separate despeckle pass is needed. A page is a
cover when one of its barcodes carries our payload; a payload that fails its check is read once
more at `RETRY_DPI` before the cover is declared unreadable. Foreign barcodes make no difference.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from . import barcodes
from .coversheet import parse_payload
from .errors import CorruptPdfError

COVER, BLANK, CONTENT = "cover", "blank", "content"
RETRY_DPI = 300


@dataclass(frozen=True)
class PageClass:
    number: int  # 1-based page of the batch
    kind: str  # COVER, BLANK or CONTENT
    register_id: str | None = None  # for covers with a valid payload
    problem: str | None = None  # for covers that cannot be trusted
    orientation: str | None = None  # of the cover's barcode: UP, RIGHT, DOWN, LEFT
    foreign_barcodes: tuple[str, ...] = ()
    decode_ms: float = 0.0
    ink_ratio: float = field(default=0.0, compare=False)


def render_page(pdf: pdfium.PdfDocument, index: int, dpi: int) -> Image.Image:
    try:
        page = pdf[index]
        return page.render(scale=dpi / 72, grayscale=True, may_draw_forms=False).to_pil().convert("L")
    except pdfium.PdfiumError as exc:
        raise CorruptPdfError(f"page {index + 1} cannot be rendered ({exc})") from None


def ink_ratio(image: Image.Image) -> float:
    """Fraction of dark pixels inside a 5 % margin."""
    w, h = image.size
    inner = image.crop((w // 20, h // 20, w - w // 20, h - h // 20))
    histogram = inner.histogram()
    dark = sum(histogram[:128])
    return dark / max(1, inner.size[0] * inner.size[1])


def _cover_codes(image: Image.Image) -> tuple[set[str], list[str], list[barcodes.Symbol], list[str]]:
    symbols = barcodes.decode(image)
    valid, invalid, foreign = set(), [], []
    ours = []
    for symbol in symbols:
        code = parse_payload(symbol.value)
        if code is None:
            foreign.append(symbol.value)
        elif code.valid:
            valid.add(code.register_id)
            ours.append(symbol)
        else:
            invalid.append(code.raw)
    return valid, invalid, ours, foreign


def classify_image(
    image: Image.Image, number: int, *, blank_ink_ratio: float,
    closer: Callable[[], Image.Image] | None = None,
) -> PageClass:
    """Classify one grey page image at classification resolution. `closer` gives the same page
    at a higher resolution, for a second look at a cover whose payload fails its check."""
    started = time.perf_counter()
    valid, invalid, ours, foreign = _cover_codes(image)
    if invalid and not valid and closer is not None:  # a misread: look again, closer
        valid, invalid, ours, foreign = _cover_codes(closer())
    decode_ms = (time.perf_counter() - started) * 1000
    if len(valid) > 1:
        return PageClass(
            number, COVER, problem=f"cover sheet carries two different ids: {', '.join(sorted(valid))}",
            decode_ms=decode_ms,
        )
    if valid:
        return PageClass(
            number, COVER, register_id=valid.pop(), orientation=ours[0].orientation,
            foreign_barcodes=tuple(foreign), decode_ms=decode_ms,
        )
    if invalid:
        return PageClass(
            number, COVER,
            problem=f"cover sheet barcode misread or damaged ({invalid[0]!r} fails its check)",
            decode_ms=decode_ms,
        )
    ratio = ink_ratio(image)
    kind = BLANK if ratio < blank_ink_ratio and not foreign else CONTENT
    return PageClass(number, kind, foreign_barcodes=tuple(foreign), decode_ms=decode_ms, ink_ratio=ratio)


def classify_page(
    pdf: pdfium.PdfDocument, index: int, *, dpi: int, blank_ink_ratio: float
) -> PageClass:
    return classify_image(
        render_page(pdf, index, dpi), index + 1, blank_ink_ratio=blank_ink_ratio,
        closer=lambda: render_page(pdf, index, max(dpi, RETRY_DPI)),
    )


def classify_scan(image: Image.Image, number: int, *, image_dpi: int, dpi: int, blank_ink_ratio: float) -> PageClass:
    """Classify a page straight from the scanner: shrunk by averaging, as rendering does."""
    grey = image.convert("L")
    factor = max(1, round(image_dpi / dpi)) if image_dpi else 1
    small = grey.reduce(factor) if factor > 1 else grey
    return classify_image(small, number, blank_ink_ratio=blank_ink_ratio, closer=lambda: grey)


def classify_pdf(path: Path, *, dpi: int, blank_ink_ratio: float) -> Iterator[PageClass]:
    """Classify every page of a PDF, in order."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise CorruptPdfError(f"{path.name}: cannot be opened for rendering ({exc})") from None
    try:
        for index in range(len(pdf)):
            yield classify_page(pdf, index, dpi=dpi, blank_ink_ratio=blank_ink_ratio)
    finally:
        pdf.close()

