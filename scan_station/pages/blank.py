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
- ink that the other side of the sheet (the page scanned before) explains is that side showing
  through, and does not count, however dark: the other side registered onto this one, mirrored,
  turned and shifted (each side of a duplex sheet is skewed its own way), and this side's ink much
  fainter than the other's print (`show_through`);
- `BLANK` has no mark and fewer than `FAINT_MARKS` faint ones; `CONTENT` has at least `MARKS`
  marks, or ink over `SOLID` of the page (a photograph, a stamp); anything between is kept as
  content and flagged "mungkin kosong" for the officer.

A 5 % margin is left out: scanner borders, punch holes and staples live there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from . import images as page_images
from . import show_through

BLANK, MAYBE_BLANK, CONTENT = "blank", "maybe_blank", "content"
STRONG, FAINT = 0.20, 0.09  # of the paper's brightness
MARKS, FAINT_MARKS = 6, 4
#: This much of the page clearly inked is content, marks or not (a photograph, a stamp, a table).
SOLID = 0.005
#: Ink is show-through when this much of it lies where the other side, registered onto this one,
#: has ink (and it is much fainter than that side's print).
EXPLAINED = 0.85
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
    """(brightness, noise) of the paper of a grey uint8 page (`page_images.paper`)."""
    return page_images.paper(np.bincount(grey.ravel(), minlength=256))


def _count_marks(mask: np.ndarray, min_side: int, enough: int) -> int:
    """Connected patches of `mask` of text size or bigger (counting stops at `enough`)."""
    from scipy import ndimage  # here, not above: 0.2 s of every command's and OCR child's start

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


def _margin(grey: np.ndarray) -> tuple[slice, slice]:
    """The page without its 5 % margin (scanner borders, punch holes and staples live there)."""
    h, w = grey.shape
    return slice(h // 20, h - h // 20), slice(w // 20, w - w // 20)


def _ink(grey: np.ndarray, background: float, noise: float) -> np.ndarray:
    """Where a grey page has ink, faint ink included, its margin left out."""
    ink = np.zeros(grey.shape, dtype=bool)
    box = _margin(grey)
    ink[box] = grey[box] < background - max(FAINT * background, 4 * noise)
    return ink


def _show_through(grey: np.ndarray, ink: np.ndarray, background: float, other: Image.Image, dpi: int
                  ) -> np.ndarray | None:
    """Where the other side of the sheet shows through onto this one (bool, this page's shape), when
    this page's ink is that and not print of its own: much fainter than the other side's print,
    and lying where the other side, registered onto this one, has ink (`show_through`)."""
    this_dark = show_through.darkness(grey, ink, background)
    if this_dark >= show_through.DARKEST:
        return None  # darker than show-through ever is: print of its own
    other_grey = np.asarray(other.convert("L").resize((grey.shape[1], grey.shape[0])))
    other_background, other_noise = paper(other_grey[_margin(other_grey)])
    other_ink = _ink(other_grey, other_background, other_noise)
    other_dark = show_through.darkness(other_grey, other_ink, other_background)
    if this_dark >= show_through.FAINTER * other_dark:
        return None  # about as dark as the other side's print: print of its own
    found = show_through.register(ink, other_ink, dpi=dpi)
    return found.shown if show_through.is_show_through(found, this_dark, other_dark, explained=EXPLAINED) else None


def measure(image: Image.Image, *, dpi: int, other_side: Image.Image | None = None) -> InkMeasure:
    """How much could be text on a grey page image at `dpi`. `other_side`: the page scanned just
    before it (in duplex, the other side of the same sheet); ink that it explains — the same
    shapes, mirrored, much fainter — is show-through, not content of this side."""
    grey = np.asarray(image if image.mode == "L" else image.convert("L"))
    box = _margin(grey)
    inner = grey[box]
    background, noise = paper(inner)
    min_side = max(1, round(MIN_SIDE_MM / 25.4 * dpi))
    strong = inner < background - max(STRONG * background, 6 * noise)
    faint = inner < background - max(FAINT * background, 4 * noise)
    through = False
    if other_side is not None and np.count_nonzero(faint):
        shown = _show_through(grey, _ink(grey, background, noise), background, other_side, dpi)
        if shown is not None:  # marks the other side explains are its show-through, however dark
            strong, faint, through = strong & ~shown[box], faint & ~shown[box], True
    if np.count_nonzero(strong) > SOLID * strong.size:  # a picture, a table, a page of text
        return InkMeasure(CONTENT, round(background, 1), round(noise, 2), MARKS, 0, through)
    marks = _count_marks(strong, min_side, MARKS)
    faint_marks = _count_marks(faint, min_side, 10_000) if marks < MARKS else 0
    if marks >= MARKS:
        verdict = CONTENT
    elif marks == 0 and faint_marks < FAINT_MARKS:
        verdict = BLANK
    else:
        verdict = MAYBE_BLANK
    return InkMeasure(verdict, round(background, 1), round(noise, 2), marks, faint_marks, through)
