"""What a page image holds and how it is stored: levelled and cleaned, which way up it is, then
stored small — the access copy citizens download. The raw batch keeps every page as scanned: it
is the master.

Before OCR (`straightened`), a page skewed by up to 10° is levelled (projection profile of its
ink), and the scanner's dark background along its edges and in punch holes is made paper (of the
page's own colour), so that OCR and the filed copy see the same, straight, clean page and the text
layer lies on the text (which way up a page lies is `orientation`'s).

A scanned page arrives as lossless grey or colour pixels (about 1 MB a page, up to 5 MB when
noisy); the raw batch keeps them as the master. After OCR (whose text layer comes from those
full-quality pixels), each page image of the filed PDF/A is stored by what the page holds:

- **text only** (ink on paper, nothing between): 1-bit, CCITT Group 4, at an Otsu threshold —
  15-50 KB a page at 300 dpi;
- **shades of grey** (a photo, shading, a grey logo): grey JPEG;
- **colour** (a stamp, a coloured logo or photo): colour JPEG.

What a page holds is measured on every other pixel: the share of pixels between ink and paper
(text has them only at the edges of strokes, a photo everywhere), and the share of pixels with
colour. A JPEG from the scanner is re-encoded only to go 1-bit or to be levelled (never JPEG over
JPEG otherwise). Both encodings are allowed in PDF/A-2b (`encode`); the file is validated.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import numpy as np
from PIL import Image, ImageDraw, TiffImagePlugin

#: Pixels between ink and paper (beyond 30 % of the way from either) above which a page is not
#: text only: text pages measure about 0.3 %, a 5 × 3 cm photo on a page 1.2 %.
MIDTONE_SHARE = 0.01
#: A pixel "has colour" when its channels differ by more than this; a page has colour when more
#: than COLOUR_SHARE of its pixels do (a 3 cm stamp is about 0.15 %).
CHROMA = 60
COLOUR_SHARE = 0.0005
#: JPEG quality: the first of these whose page fits its budget (KB at 300 dpi A4, scaled by the
#: page's pixels), else the last. Noise from the scanner's sensor is what makes a page big.
JPEG_QUALITIES = (60, 50, 40, 30)
#: Past the last quality, the resolution goes down by SCALE_STEP at a time, to SMALLEST_SCALE.
SCALE_STEP, SMALLEST_SCALE = 0.8, 0.5
BUDGET_KB = {"grey": 300, "colour": 500}
#: Stretching a page's contrast for OCR: this share of its ink is darker than the level made black.
STRETCH_INK = 0.1
#: A page whose ink reaches this dark and whose paper this light is not stretched: it is already.
FULL_CONTRAST = (40, 235)
A4_300DPI_PIXELS = 2480 * 3508
#: Skew levelled before OCR: up to MAX_SKEW degrees either way, from MIN_SKEW (below it the
#: estimate, in steps of 0.1, is as likely noise as skew). Skew is measured up to MEASURED_SKEW:
#: a page skewed beyond MAX_SKEW is left as it is, and flagged for the officer.
MAX_SKEW, MIN_SKEW, MEASURED_SKEW = 10.0, 0.4, 20.0
NEAREST_DPI = 300
#: A scanner's dark background along an edge: rows or columns darker than BORDER_LEVEL on average,
#: at most BORDER_SHARE of the page from that edge.
BORDER_LEVEL, BORDER_SHARE = 90, 0.06
#: Punch holes: discs of scanner background HOLE_MM across, within HOLE_MARGIN_MM of an edge.
HOLE_MM, HOLE_MARGIN_MM = (4.0, 9.0), 25.0


class Kind(StrEnum):
    TEXT = "text"  # 1-bit G4
    GREY = "grey"
    COLOUR = "colour"


@dataclass(frozen=True)
class Measure:
    kind: Kind
    threshold: int  # Otsu's, on the grey of the page: darker is ink
    midtones: float
    colour: float


def as_grey(image: Image.Image) -> Image.Image:
    """The image in grey: itself when it is grey already (converting copies every pixel)."""
    return image if image.mode == "L" else image.convert("L")


def otsu(histogram: np.ndarray) -> int:
    """The grey level that best splits a 256-bin histogram in two (Otsu's method)."""
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(histogram, dtype=np.float64)
    total = weight[-1]
    mean = np.cumsum(histogram * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight - mean * total) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1], nan=-1.0)
    return int(np.argmax(between)) if between.max() > 0 else int(np.argmax(histogram))  # one level: that


def paper(histogram: np.ndarray) -> tuple[float, float]:
    """(brightness, noise) of a page's paper from its 256-bin grey histogram: the level three
    quarters of the page reaches, and the spread of the levels near it (interquartile range, as a
    standard deviation)."""
    histogram = histogram.astype(np.int64)
    cumulative = histogram.cumsum()
    background = int(np.searchsorted(cumulative, cumulative[-1] * 0.75))
    near = histogram * (np.arange(256) >= background - 40)
    near_cumulative = near.cumsum()
    q1, q3 = (int(np.searchsorted(near_cumulative, near_cumulative[-1] * q)) for q in (0.25, 0.75))
    return float(background), (q3 - q1) / 1.349


def ink_threshold(histogram: np.ndarray) -> int:
    """The grey level at and below which a page's pixels are ink: Otsu's split of ink from paper,
    but never inside the paper's own grain (5 of its standard deviations, and 20 levels: a
    scanner's JPEG makes the grain's tail longer than its spread says) — on a page of a line or
    two, ink is too little a share for Otsu, which then splits the grain in two and calls half the
    page ink."""
    background, noise = paper(histogram)
    split = otsu(histogram)
    if background <= split:  # the paper is the dark part (white on black): Otsu's as it is
        return split
    return min(split, _grain(background, noise))


def _grain(background: float, noise: float) -> int:
    """The darkest level the paper's grain reaches (see `ink_threshold`)."""
    return int(background - max(5 * noise, 20))


def stretched(grey: Image.Image) -> Image.Image:
    """A grey page with its contrast stretched: the dark end of its ink (STRETCH_INK of it is
    darker) black, its paper white (and its grain, on a page of a line or two). Tesseract reads the grey image, not
    only its threshold: light toner on grey paper, through the scanner's JPEG, loses the points of
    numbers ("2.512" read "2512") that the same page stretched keeps (tables on harsh scans:
    0.91-0.95 of the words, stretched 0.99); and on a page of two lines in light toner, the ink
    is too small a share for tesseract's threshold, which splits the paper's grain instead and
    reads nothing, unless the grain is made paper."""
    histogram = np.array(grey.histogram(), dtype=np.int64)
    background, noise = paper(histogram)
    split = ink_threshold(histogram)
    ink = np.cumsum(histogram[:split + 1])
    if background <= split or ink[-1] == 0:
        return grey  # white on black, or no ink
    grain = _grain(background, noise)
    # Otsu's split in the paper's grain (ink too small a share: a line or two) is what tesseract's
    # threshold would do too: there the grain is made paper; elsewhere it is left, strokes' edges and all.
    low, high = int(np.searchsorted(ink, STRETCH_INK * ink[-1])), grain if otsu(histogram) > grain else background
    if high - low < 16 or (low <= FULL_CONTRAST[0] and high >= FULL_CONTRAST[1]):
        return grey  # no contrast to stretch, or black on white already
    scale = 255.0 / (high - low)
    return grey.point([min(255, max(0, round((v - low) * scale))) for v in range(256)])


def _median(histogram: np.ndarray) -> float:
    """The median grey level of the pixels a 256-bin histogram counts."""
    return float(np.searchsorted(np.cumsum(histogram), (histogram.sum() + 1) / 2))


def measure(image: Image.Image) -> Measure:
    """What the page holds, from the histogram of every other pixel (and their colour)."""
    sampled = as_grey(image).resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.NEAREST)
    histogram = np.array(sampled.histogram(), dtype=np.int64)  # of every other pixel, as they are
    pixels = int(histogram.sum())
    threshold = ink_threshold(histogram)
    ink, paper = histogram[:threshold + 1], histogram[threshold + 1:]
    if not ink.any() and otsu(histogram) > threshold and paper.any():  # marks fainter than ink: kept in grey
        return Measure(Kind.GREY, threshold, 0.0, 0.0)
    if not ink.any() or not paper.any():  # one level only: a blank page, white (or black) all over
        return Measure(Kind.TEXT, -1 if histogram[128:].sum() * 2 >= pixels else 255, 0.0, 0.0)
    low, high = _median(ink), threshold + 1 + _median(paper)
    span = high - low
    levels = np.arange(256)
    midtones = float(histogram[(levels > low + 0.3 * span) & (levels < high - 0.3 * span)].sum() / pixels)
    colour = 0.0
    if image.mode == "RGB":
        rgb = np.asarray(image.resize(sampled.size, Image.Resampling.NEAREST)).astype(np.int16)
        colour = float(((rgb.max(axis=2) - rgb.min(axis=2)) > CHROMA).mean())
    if colour > COLOUR_SHARE:
        kind = Kind.COLOUR
    elif midtones > MIDTONE_SHARE:
        kind = Kind.GREY
    else:
        kind = Kind.TEXT
    return Measure(kind, threshold, midtones, colour)


def g4(image: Image.Image, threshold: int) -> tuple[bytes, bool]:
    """(CCITT Group 4 data, black is 1) of the page at `threshold`, by libtiff through Pillow."""
    bits = as_grey(image).point(lambda v: 255 if v > threshold else 0).convert("1", dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    bits.save(buffer, "TIFF", compression="group4", strip_size=2**31 - 1)  # one strip: the whole page
    with Image.open(io.BytesIO(buffer.getvalue())) as tiff:
        assert isinstance(tiff, TiffImagePlugin.TiffImageFile)  # written as TIFF just above
        tags = tiff.tag_v2
        offsets, counts = tags[TiffImagePlugin.STRIPOFFSETS], tags[TiffImagePlugin.STRIPBYTECOUNTS]
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        if len(offsets) != 1:
            raise ValueError("libtiff wrote more than one strip")
        black_is_1 = tags.get(TiffImagePlugin.PHOTOMETRIC_INTERPRETATION) == 1
    data = buffer.getvalue()
    return data[offsets[0]:offsets[0] + counts[0]], black_is_1


def skew(image: Image.Image, dpi: float = 300) -> float:
    """The angle (degrees, counter-clockwise) that makes the page's lines of text level, found by
    the projection profile of its ink at about 75 dpi (a quarter of 300); 0 when none is clear (a page
    without text, or whose text runs up the page). Turning by a few degrees is a shear of the
    ink's coordinates here, so each angle tried costs a count, not a rotation of the image."""
    small = np.asarray(as_grey(image).reduce(max(1, round(dpi / 75))))
    dark = small <= ink_threshold(np.bincount(small.ravel(), minlength=256))
    if not 0.001 < dark.mean() < 0.4:  # no ink, or no paper: nothing to level by
        return 0.0
    rows, columns = np.nonzero(dark)
    y, x = rows - small.shape[0] / 2, columns - small.shape[1] / 2
    reach = int(np.ceil(max(small.shape) * np.tan(np.radians(MEASURED_SKEW + 1)))) + 1

    def spread(angle: float, axis: int = 1) -> float:
        """The variance of the ink's row sums (axis 1; column sums: 0) with the page turned."""
        shear = np.tan(np.radians(angle))
        along = y - x * shear if axis == 1 else x + y * shear
        length = small.shape[0 if axis == 1 else 1]
        bins = np.round(along + length / 2).astype(np.int64) + reach
        return float(np.var(np.bincount(bins, minlength=length + 2 * reach)))

    coarse = max(np.arange(-MEASURED_SKEW, MEASURED_SKEW + 0.01, 1.0), key=spread)
    fine = np.arange(coarse - 1.0, coarse + 1.01, 0.1)
    angle = float(max(fine[np.abs(fine) <= MEASURED_SKEW + 1e-9], key=spread))
    if spread(angle) <= max(spread(a, axis=0) for a in (-1.0, 0.0, 1.0)):  # text up the page: not ours to level
        return 0.0
    return round(angle, 1) if abs(angle) >= MIN_SKEW else 0.0


def dark_borders(grey: np.ndarray) -> tuple[int, int, int, int]:
    """Rows and columns of scanner background (dark) along each edge: (top, bottom, left, right);
    an edge that is dark for all of BORDER_SHARE is the page's own (black paper, white on black)."""
    limit = [max(1, round(grey.shape[0] * BORDER_SHARE)), max(1, round(grey.shape[1] * BORDER_SHARE))]
    rows, columns = grey[:, ::4].mean(axis=1), grey[::4].mean(axis=0)  # every 4th pixel is plenty for a mean

    def run(means: np.ndarray, most: int) -> int:
        dark = means[:most] < BORDER_LEVEL
        return int(np.argmin(dark)) if not dark.all() else 0  # no paper within reach: a dark page, no border

    return (run(rows, limit[0]), run(rows[::-1], limit[0]), run(columns, limit[1]), run(columns[::-1], limit[1]))


def punch_holes(grey: np.ndarray, dpi: float, borders: tuple[int, int, int, int] = (0, 0, 0, 0)
                ) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom, pixels) of punch holes: discs of scanner background, 4-9 mm
    across, within 25 mm of an edge (ISO 838 holes are 6 mm, 12 mm in), alone in the margin.
    Found at about 75 dpi: a dark patch of that size shaped as a disc, with nothing dark around it
    for its own width — a letter of a bold title has neighbours, a ring or a logo is no disc.
    `borders`: the dark edges (`dark_borders`), which are no holes."""
    from scipy import ndimage

    step = max(1, round(dpi / 75))
    small = grey[::step, ::step] < BORDER_LEVEL
    top, bottom, left, right = (-(-b // step) for b in borders)
    small[:top], small[small.shape[0] - bottom:], small[:, :left], small[:, small.shape[1] - right:] = (
        False, False, False, False)
    per_mm = dpi / 25.4 / step
    margin = max(1, round(HOLE_MARGIN_MM * per_mm))
    band = np.zeros_like(small)
    band[:margin], band[-margin:], band[:, :margin], band[:, -margin:] = True, True, True, True
    labels, _count = ndimage.label(small & band)
    # each box a 4-tuple (`_hole`), and so its scaled copy
    return [cast(tuple[int, int, int, int], tuple(v * step for v in box))
            for index, found in enumerate(ndimage.find_objects(labels), start=1)
            if (box := _hole(small, labels, index, found, per_mm)) is not None]


def _hole(dark: np.ndarray, labels: np.ndarray, index: int, found: tuple[slice, slice], per_mm: float
          ) -> tuple[int, int, int, int] | None:
    """The box of one dark patch if it is a punch hole (see `punch_holes`), else None."""
    rows, columns = found
    height, width = rows.stop - rows.start, columns.stop - columns.start
    low, high = HOLE_MM[0] * per_mm, HOLE_MM[1] * per_mm
    if not (low <= width <= high and low <= height <= high and 0.75 <= width / height <= 1.33):
        return None
    y, x = np.ogrid[:height, :width]
    disc = ((y + 0.5 - height / 2) / (height / 2)) ** 2 + ((x + 0.5 - width / 2) / (width / 2)) ** 2 <= 1
    patch = labels[found] == index
    if (disc & patch).sum() < 0.8 * (disc | patch).sum():
        return None  # not shaped as a disc
    around = (slice(max(0, rows.start - height), rows.stop + height),
              slice(max(0, columns.start - width), columns.stop + width))
    if (dark[around] & (labels[around] != index)).sum() > 0.01 * dark[around].size:
        return None  # not alone: a letter among letters
    return columns.start - 1, rows.start - 1, columns.stop + 1, rows.stop + 1


@dataclass(frozen=True)
class Levelled:
    image: Image.Image | None  # None: the page needed nothing done
    skew: float  # degrees measured (counter-clockwise to level), levelled only up to MAX_SKEW


def straightened(image: Image.Image, dpi: float = 300) -> Levelled:
    """The page levelled, its dark scanner borders and punch holes made paper-white (None when
    it needs none of it), and the skew measured. For the copy that is OCR'd and filed; the raw
    batch keeps the page as scanned. From NEAREST_DPI up, levelling turns the pixels as they are
    (nearest neighbour: no new greys, a quarter of the time of interpolating them, and tesseract
    reads it as well); below it, the jagged strokes that would leave cost words (a table on a
    200 dpi JPEG lost 3 of 56), so the pixels are interpolated (bilinear)."""
    grey = np.asarray(as_grey(image))
    top, bottom, left, right = dark_borders(grey)
    white = paper_colour(image)  # the page's own paper: pure white beside grey paper would be "ink"
    boxes = [(0, 0, image.width, top), (0, image.height - bottom, image.width, image.height),
             (0, 0, left, image.height), (image.width - right, 0, image.width, image.height)]
    boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
    holes = punch_holes(grey, dpi, (top, bottom, left, right))
    page = image
    if boxes or holes:  # first: a dark edge would look like a column of ink
        page = image.copy()
        draw = ImageDraw.Draw(page)
        for box in boxes:
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=white)
        for hole in holes:
            draw.ellipse(hole, fill=white)
    angle = skew(page, dpi)
    if angle and abs(angle) <= MAX_SKEW:
        resample = Image.Resampling.NEAREST if round(dpi) >= NEAREST_DPI else Image.Resampling.BILINEAR
        return Levelled(page.rotate(angle, resample=resample, fillcolor=white), angle)
    return Levelled(page if page is not image else None, angle)


def paper_colour(image: Image.Image) -> int | tuple[int, ...]:
    """The colour of the page's paper: the level three quarters of its pixels reach (in each
    channel of a colour page). Corners turned in by levelling, and borders and holes made paper,
    take it: pure white beside grey recycled paper would be a frame of "ink" to a threshold."""
    counts = np.array(image.histogram(), dtype=np.int64).reshape(len(image.getbands()), 256)
    levels = [int(np.searchsorted(np.cumsum(channel), 0.75 * channel.sum())) for channel in counts]
    return levels[0] if image.mode == "L" else tuple(levels)


def jpeg_bytes(image: Image.Image, kind: Kind) -> tuple[bytes, tuple[int, int]]:
    """The page as JPEG at the best quality that fits its budget (see JPEG_QUALITIES), and its
    size in pixels: a page that fits at none (a photo full of grain) is stored at a lower
    resolution, down to SMALLEST_SCALE of its own, until it does."""
    budget = BUDGET_KB[kind] * 1024 * image.width * image.height / A4_300DPI_PIXELS
    scale, smaller = 1.0, image
    while True:
        for quality in JPEG_QUALITIES:
            buffer = io.BytesIO()
            smaller.save(buffer, "JPEG", quality=quality, optimize=True)
            if buffer.tell() <= budget:
                return buffer.getvalue(), smaller.size
        if scale * SCALE_STEP < SMALLEST_SCALE:
            return buffer.getvalue(), smaller.size
        scale *= SCALE_STEP
        smaller = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class StoredImage:
    """A page image as the filed PDF stores it: the stream's bytes and how to read them."""

    data: bytes
    filter: str  # /CCITTFaxDecode, /DCTDecode or /FlateDecode
    colour: str  # /DeviceGray or /DeviceRGB
    bits: int
    width: int
    height: int
    kind: Kind | None  # what the page holds; None: stored losslessly, as it came
    black_is_1: bool = False  # CCITT: which bit is ink


def encode(image: Image.Image, *, compact: bool, jpeg: bytes | None = None) -> StoredImage:
    """The page image (grey or RGB) for the filed PDF: by what it holds when `compact` (see the
    module), else losslessly. `jpeg`: the scanner's own JPEG of exactly these pixels, kept as it is
    rather than compressed again."""
    colour = "/DeviceRGB" if image.mode == "RGB" else "/DeviceGray"
    size = (image.width, image.height)
    if not compact:
        if jpeg is not None:
            return StoredImage(jpeg, "/DCTDecode", colour, 8, *size, None)
        return StoredImage(zlib.compress(image.tobytes(), 6), "/FlateDecode", colour, 8, *size, None)
    found = measure(image)
    if found.kind is Kind.TEXT:
        data, black_is_1 = g4(image, found.threshold)
        return StoredImage(data, "/CCITTFaxDecode", "/DeviceGray", 1, *size, found.kind, black_is_1)
    if jpeg is not None:  # a scanner's JPEG is never JPEG'd again
        return StoredImage(jpeg, "/DCTDecode", colour, 8, *size, found.kind)
    kept = image if found.kind is Kind.COLOUR else as_grey(image)
    space = "/DeviceRGB" if kept.mode == "RGB" else "/DeviceGray"
    data, stored_size = jpeg_bytes(kept, found.kind)
    return StoredImage(data, "/DCTDecode", space, 8, *stored_size, found.kind)
