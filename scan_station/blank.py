"""Is a page blank? Only when it holds no marks that could be text.

Ink is judged against the page's own paper (grey recycled paper, light toner, the other side
showing through), not a fixed grey level, and the page is searched for text-sized marks rather
than a count of dark pixels — one short line and a page number are a dozen marks, and a
dust speck or the show-through of the other side none:

- the paper's brightness is the level three quarters of the page reaches, its noise the spread of
  the levels near it;
- a *mark* is a connected patch, of the size of a letter or bigger, clearly darker than the paper
  (`STRONG` of its brightness); a *faint mark* only a little darker (`FAINT`) — light toner, or
  the other side showing through;
- faint ink where the other side of the sheet (the page scanned before, mirrored) has ink is the
  other side showing through, and does not count;
- `BLANK` has no mark and fewer than `FAINT_MARKS` faint ones; `CONTENT` has at least `MARKS`
  marks, or ink over `SOLID` of the page (a photograph, a stamp); anything between is kept as
  content and flagged "mungkin kosong" for the officer.

A 5 % margin is left out: scanner borders, punch holes and staples live there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

BLANK, MAYBE_BLANK, CONTENT = "blank", "maybe_blank", "content"
STRONG, FAINT = 0.20, 0.09  # of the paper's brightness
MARKS, FAINT_MARKS = 6, 4
#: This much of the page clearly inked is content, marks or not (a photograph, a stamp, a table).
SOLID = 0.005
#: Faint ink is show-through when this much of it lies where the other side, mirrored, has ink
#: (give or take `ALIGN_MM`: the two sides of a duplex scan do not line up exactly).
EXPLAINED, ALIGN_MM = 0.85, 2.5
#: A mark covers at least this many pixels and is at least this long: a letter or digit of 8 pt
#: is 1.5–2.5 mm, a dust speck or a dot a fraction of a millimetre.
MIN_AREA, MIN_SIDE_MM = 3, 1.0


@dataclass(frozen=True)
class InkMeasure:
    verdict: str
    background: float  # the paper, 0-255
    noise: float
    marks: int
    faint_marks: int
    show_through: bool = False  # faint ink explained by the other side of the sheet, and left out

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        through = "; the other side shows through" if self.show_through else ""
        return (f"{self.marks} mark(s) and {self.faint_marks} faint mark(s) of text size on paper of "
                f"brightness {self.background:.0f} (noise {self.noise:.1f}){through}")


def paper(grey: np.ndarray) -> tuple[float, float]:
    """(brightness, noise) of the paper of a grey uint8 page: the level three quarters of the page
    reaches, and the spread of the levels near it (interquartile range, as a standard deviation)."""
    histogram = np.bincount(grey.ravel(), minlength=256).astype(np.int64)
    cumulative = histogram.cumsum()
    background = int(np.searchsorted(cumulative, cumulative[-1] * 0.75))
    near = histogram * (np.arange(256) >= background - 40)
    near_cumulative = near.cumsum()
    q1, q3 = (int(np.searchsorted(near_cumulative, near_cumulative[-1] * q)) for q in (0.25, 0.75))
    return float(background), (q3 - q1) / 1.349


def _count_marks(mask: np.ndarray, min_side: int, enough: int) -> int:
    """Connected patches of `mask` of text size or bigger (counting stops at `enough`)."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return 0
    mask = mask[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]  # label only where there is ink
    labels, count = ndimage.label(mask)
    if count == 0:
        return 0
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    candidates = np.flatnonzero(sizes >= MIN_AREA)
    candidates = candidates[candidates > 0]
    marks = 0
    objects = ndimage.find_objects(labels)
    for label in candidates:
        ys, xs = objects[label - 1]
        if max(ys.stop - ys.start, xs.stop - xs.start) >= min_side:
            marks += 1
            if marks >= enough:
                break
    return marks


def _other_side_ink(other: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    """Where the other side of the sheet has ink, as it would show through onto this side: mirrored
    left to right (a duplex scanner turns the sheet over its long edge), widened by `ALIGN_MM`."""
    grey = np.asarray(other.convert("L").resize((shape[1], shape[0])))[:, ::-1]
    background, noise = paper(grey)
    ink = (grey < background - max(FAINT * background, 4 * noise)).astype(np.uint8)
    return ndimage.maximum_filter(ink, size=_align_px(shape)) > 0


def _align_px(shape: tuple[int, int]) -> int:
    return max(3, round(ALIGN_MM * shape[1] / 210) | 1)


def measure(image: Image.Image, *, dpi: int, other_side: Image.Image | None = None) -> InkMeasure:
    """How much could be text on a grey page image at `dpi`. `other_side`: the page scanned just
    before it (in duplex, the other side of the same sheet); faint ink that it explains — the same
    shapes, mirrored — is show-through, not content of this side."""
    grey = np.asarray(image if image.mode == "L" else image.convert("L"))
    h, w = grey.shape
    box = (slice(h // 20, h - h // 20), slice(w // 20, w - w // 20))
    inner = grey[box]
    background, noise = paper(inner)
    min_side = max(1, round(MIN_SIDE_MM / 25.4 * dpi))
    strong = inner < background - max(STRONG * background, 6 * noise)
    if np.count_nonzero(strong) > SOLID * strong.size:  # a picture, a table, a page of text
        return InkMeasure(CONTENT, round(background, 1), round(noise, 2), MARKS, 0)
    marks = _count_marks(strong, min_side, MARKS)
    faint_marks, through = 0, False
    if marks < MARKS:
        faint = inner < background - max(FAINT * background, 4 * noise)
        if marks == 0 and other_side is not None and np.count_nonzero(faint):
            shown = _other_side_ink(other_side, grey.shape)[box]
            if np.count_nonzero(faint & shown) >= EXPLAINED * np.count_nonzero(faint):
                faint, through = faint & ~shown, True
        faint_marks = _count_marks(faint, min_side, 10_000)
    if marks >= MARKS:
        verdict = CONTENT
    elif marks == 0 and faint_marks < FAINT_MARKS:
        verdict = BLANK
    else:
        verdict = MAYBE_BLANK
    return InkMeasure(verdict, round(background, 1), round(noise, 2), marks, faint_marks, through)
