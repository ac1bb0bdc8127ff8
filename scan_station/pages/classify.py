"""Classifying each page of a batch: cover sheet, blank, or content — on the paper offices feed.

Pages are looked at small (`classify_dpi`, grey); rendering down from scanner resolution also
averages away sensor noise and dust. One page alone (`classify_image`):

- a **cover** carries our payload in a symbol that is printed on it: not mirrored and not much
  fainter than the paper allows (`FAINT`); zxing-cpp reads first, zbar too where it pays (where
  zxing-cpp found no trusted cover but there are signs of one). A payload that fails its check is
  read again closer (`RETRY_DPI`). A payload seen only mirrored or faint is the other side of a
  cover sheet showing through; a sheet that carries the cover mark (`covermark`) but no readable
  payload is a cover nobody can read. Both are covers with a problem: their pages are held.
- otherwise the page is **blank** only when it holds no text-sized marks (`blank.measure`);
  pages neither clearly blank nor clearly content are kept as content, "maybe blank".

In order (`split.resolve`): the page right after a cover that shows only that cover's payload or
mark, mirrored or much fainter than the cover itself, is the cover's back — blank, not a second
cover. A real second sheet of the same id is as dark as the first, and is held as a duplicate.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pypdfium2 as pdfium
from PIL import Image

from ..core.errors import CorruptPdfError
from ..core.model import BLANK, CONTENT, COVER, FAINT, UNREADABLE, PageClass
from . import barcodes, blank
from . import cover_mark as covermark
from .cover_payload import parse_payload
from .source import bounded_scale, pillow_limit, rotation, whole_page_image
from .split import resolve

RETRY_DPI = 300


#: A page is looked at with no more pixels than this, however large it is (a page of a born-
#: digital PDF may be metres wide; A0 at the retry's 300 dpi is 140 MP).
MAX_RENDER_MEGAPIXELS = 60


def render_page(pdf: pdfium.PdfDocument, index: int, dpi: int) -> Image.Image:
    try:
        page = pdf[index]
        size: tuple[float, float] = page.get_size()  # (width, height) in points; pypdfium2 is untyped
        scale = bounded_scale(*size, dpi, MAX_RENDER_MEGAPIXELS)
        return page.render(scale=scale, grayscale=True, may_draw_forms=False).to_pil().convert("L")
    except pdfium.PdfiumError as exc:
        raise CorruptPdfError(f"page {index + 1} cannot be rendered ({exc})") from None


@dataclass
class _Codes:
    """What the barcodes of a page say about it being a cover sheet."""

    trusted: dict[str, barcodes.Symbol] = field(default_factory=dict)  # register id -> its darkest symbol
    shadows: dict[str, barcodes.Symbol] = field(default_factory=dict)  # seen only mirrored or faint
    invalid: list[str] = field(default_factory=list)  # our prefix, failing the check
    foreign: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)  # of our symbols read

    @classmethod
    def of(cls, symbols: list[barcodes.Symbol]) -> _Codes:
        codes, ours = cls(), []
        for symbol in symbols:
            code = parse_payload(symbol.value)
            if code is None:
                codes.foreign.append(symbol.value)
            elif not code.valid:
                codes.invalid.append(code.raw)
            else:
                assert code.register_id is not None  # valid: it has one
                ours.append((code.register_id, symbol))
                codes.types.add(symbol.type)
        for register_id, symbol in ours:
            pair = [s for i, s in ours if i == register_id]
            flipped = _is_mirrored(pair)
            target = codes.shadows if flipped or symbol.contrast < FAINT else codes.trusted
            if register_id not in target or symbol.contrast > target[register_id].contrast:
                target[register_id] = symbol
        for register_id in codes.trusted:
            codes.shadows.pop(register_id, None)
        return codes


def _is_mirrored(symbols: list[barcodes.Symbol]) -> bool:
    line = next((s for s in symbols if s.type == "CODE128"), None)
    square = next((s for s in symbols if s.type == "QRCODE"), None)
    return line is not None and square is not None and barcodes.mirrored(line, square)


def _read(grey: Image.Image, *, looks_like_cover: bool) -> _Codes:
    """zxing-cpp first; zbar as well where zxing-cpp found no trusted cover but there are signs of
    one (the cover mark printed on this side, one of the two symbols, a misread)."""
    symbols = barcodes.decode(grey, symbologies=barcodes.COVER_SYMBOLOGIES, readers=("zxing-cpp",))
    codes = _Codes.of(symbols)
    complete = codes.trusted and codes.types >= set(barcodes.COVER_SYMBOLOGIES)
    if not complete and (looks_like_cover or codes.trusted or codes.invalid):  # not for shadows: still shadows
        seen = {(s.type, s.value) for s in symbols}
        more = barcodes.decode(grey, symbologies=barcodes.COVER_SYMBOLOGIES, readers=("zbar",))
        codes = _Codes.of(symbols + [s for s in more if (s.type, s.value) not in seen])
    return codes


def classify_image(image: Image.Image, number: int, *, dpi: int, closer: Callable[[], Image.Image] | None = None,
                   other_side: Image.Image | None = None) -> PageClass:
    """Classify one grey page image at `dpi` (the classification resolution). `closer` gives the
    same page at a higher resolution, for a second look at a payload failing its check;
    `other_side` is the page scanned before it (in duplex, the other side of the sheet)."""
    started = time.perf_counter()
    grey = image if image.mode == "L" else image.convert("L")
    background, _noise = blank.paper(np.asarray(grey))
    mark = covermark.find(grey, dpi=dpi, background=background)
    codes = _read(grey, looks_like_cover=mark is not None and mark.strength >= FAINT)
    if codes.invalid and not codes.trusted and closer is not None:  # a misread: look again, closer
        codes = _Codes.of(barcodes.decode(closer(), symbologies=barcodes.COVER_SYMBOLOGIES))
    decode_ms = (time.perf_counter() - started) * 1000
    common: dict[str, Any] = {"foreign_barcodes": tuple(codes.foreign), "decode_ms": decode_ms,
                              "mark": mark.strength if mark else 0.0}
    cover = _as_cover(number, codes, mark, common)
    if cover is not None:
        return cover
    measured = blank.measure(grey, dpi=dpi, other_side=other_side)
    common["decode_ms"] = (time.perf_counter() - started) * 1000
    if measured.verdict == blank.BLANK and not codes.foreign:
        return PageClass(number, BLANK, reason=f"blank: {measured.describe()}", measure=measured.as_dict(), **common)
    maybe = measured.verdict == blank.MAYBE_BLANK and not codes.foreign
    label = "mungkin kosong (maybe blank)" if maybe else "content"
    return PageClass(number, CONTENT, maybe_blank=maybe, measure=measured.as_dict(),
                     reason=f"{label}: {measured.describe()}", **common)


def _as_cover(number: int, codes: _Codes, mark: covermark.Mark | None, common: dict) -> PageClass | None:
    if len(codes.trusted) > 1:
        return PageClass(
            number,
            COVER,
            problem=f"cover sheet carries two different ids: {', '.join(sorted(codes.trusted))}",
            **common,
        )
    if codes.trusted:
        register_id, symbol = next(iter(codes.trusted.items()))
        return PageClass(
            number,
            COVER,
            register_id=register_id,
            orientation=symbol.orientation,
            contrast=round(symbol.contrast, 3),
            reason="cover sheet",
            **common,
        )
    if codes.invalid:
        return PageClass(
            number,
            COVER,
            problem=f"cover sheet barcode misread or damaged ({codes.invalid[0]!r} fails its check)",
            **common,
        )
    if codes.shadows:
        register_id, symbol = max(codes.shadows.items(), key=lambda kv: kv[1].contrast)
        return PageClass(
            number,
            COVER,
            shadow_of=register_id,
            contrast=round(symbol.contrast, 3),
            problem=f"{UNREADABLE}: the barcode of {register_id} shows only mirrored or faint "
            "(the sheet face down, or seen through the paper)",
            **common,
        )
    if mark is not None:
        how = "its barcodes cannot be read" if mark.strength >= FAINT else "its mark shows only faintly (face down?)"
        return PageClass(number, COVER, problem=f"{UNREADABLE}: a cover sheet, but {how}", **common)
    return None


def classify_page(
    pdf: pdfium.PdfDocument,
    index: int,
    *,
    dpi: int,
    other_side: Image.Image | None = None,
    scanned: pikepdf.Page | None = None,
) -> tuple[PageClass, Image.Image]:
    """(the page's class, the image it was classified from). `scanned`: the same page through
    pikepdf, whose scanner's JPEG, when it is one, is decoded small rather than rendered."""
    image = _scanned_jpeg(scanned, dpi) if scanned is not None else None
    if image is None:
        image = render_page(pdf, index, dpi)
    return classify_image(
        image, index + 1, dpi=dpi, other_side=other_side, closer=lambda: render_page(pdf, index, max(dpi, RETRY_DPI))
    ), image


def _scanned_jpeg(page: pikepdf.Page, dpi: int) -> Image.Image | None:
    """A page that is one grey or colour JPEG drawn over it (a scanner's), brought down to `dpi`:
    libjpeg decodes it at a fraction of its size (DCT scaling), then it is averaged down, as
    rendering does — a quarter of the time of rendering it. None for any other page."""
    found = whole_page_image(page)
    if found is None or rotation(page):
        return None
    stream, (width_pt, height_pt) = found
    if stream.get("/Filter") != "/DCTDecode" or str(stream.get("/ColorSpace")) not in ("/DeviceGray", "/DeviceRGB"):
        return None
    size = (max(1, round(width_pt * dpi / 72)), max(1, round(height_pt * dpi / 72)))
    try:  # its size was checked against max_image_megapixels when the batch was read, not Pillow's default
        with pillow_limit(int(stream.Width) * int(stream.Height) / 1e6):
            image = Image.open(io.BytesIO(stream.read_raw_bytes()))
            image.draft("L", size)
            return image.convert("L").resize(size, Image.Resampling.BOX)
    except (OSError, SyntaxError, ValueError, pikepdf.PdfError, Image.DecompressionBombError):  # rendered
        return None


def shrink(image: Image.Image, *, image_dpi: int, dpi: int) -> tuple[Image.Image, int]:
    """A page from the scanner brought down to about `dpi` by averaging, as rendering does:
    (the grey image, its resolution)."""
    grey = image.convert("L")
    factor = max(1, round(image_dpi / dpi)) if image_dpi else 1
    return (grey.reduce(factor) if factor > 1 else grey), (round(image_dpi / factor) if image_dpi else dpi)


def classify_pdf(path: Path, *, dpi: int) -> Iterator[PageClass]:
    """Classify every page of a PDF, in order, each after the one before (`resolve`)."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise CorruptPdfError(f"{path.name}: cannot be opened for rendering ({exc})") from None
    previous, before = None, None
    try:
        with pikepdf.open(path) as scanned:
            for index in range(len(pdf)):
                page, before = classify_page(pdf, index, dpi=dpi, other_side=before, scanned=scanned.pages[index])
                previous = resolve(page, previous)
                yield previous
    finally:
        pdf.close()
