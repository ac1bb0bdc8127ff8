"""Which way up a page lies, at a glance: horizontal lines of Latin text carry more ink above their
x-height band (ascenders, capitals, digits) than below it (descenders); upside down, less. The
glance decides the clear cases only — a page it cannot tell (sideways, a table, a few lines)
goes to the engine's orientation detection (`page_ocr`) — and it is never the wrong way round on
full pages, sparse pages, tables, photos, stamps, 150-600 dpi (tests/test_orientation.py).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from PIL import Image

from ..pages.images import as_grey, ink_threshold

#: Upright when the ink above the lines' x-height bands is at least this many times the ink
#: below them (upside down: the other way round), over at least MIN_LINES lines (generated and
#: real text pages: 2-35 upright, 0.03-0.5 upside down).
MIN_RATIO, MIN_LINES = 1.6, 4
#: The glance looks at the page at about this resolution, where a line of text of 6-60 pt is
#: LINE_ROWS rows high.
GLANCE_DPI, LINE_ROWS = 150, (8, 120)


def _lines(ink: np.ndarray) -> list[np.ndarray]:
    """The row profiles (ink per row) of the page's lines of text, top to bottom."""
    rows = ink.sum(axis=1, dtype=np.int64)
    inked = np.flatnonzero(rows > max(2, 0.02 * ink.shape[1]))
    if inked.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(inked) > 1)
    starts, ends = np.r_[inked[0], inked[breaks + 1]], np.r_[inked[breaks], inked[-1]] + 1
    return [rows[s:e] for s, e in zip(starts, ends, strict=True) if LINE_ROWS[0] <= e - s <= LINE_ROWS[1]]


class Lie(StrEnum):
    """Which way up a page lies, as far as a glance tells."""

    UPRIGHT = "upright"  # horizontal lines of text, ascenders above
    UPSIDE_DOWN = "upside-down"  # horizontal lines of text, descenders above
    SIDEWAYS = "sideways"  # no rows, columns instead: sideways text, or a table or a photo
    UNCLEAR = "unclear"  # too little to tell (a blank page, a few lines), or lines that do not say


def which_way_up(image: Image.Image, dpi: float = 300) -> Lie:
    """How the page lies, at a glance: horizontal lines of Latin text carry more ink above their
    x-height band (ascenders, capitals, digits) than below it (descenders); upside down, less. A
    page whose ink runs in columns rather than rows is sideways (or a table, or a photo: the
    engine's orientation detection judges those)."""
    small = np.asarray(as_grey(image).reduce(max(1, round(dpi / GLANCE_DPI))))
    ink = small <= ink_threshold(np.bincount(small.ravel(), minlength=256))
    if not 0.002 < ink.mean() < 0.4:
        return Lie.UNCLEAR
    if np.var(ink.sum(axis=1, dtype=np.float64)) <= np.var(ink.sum(axis=0, dtype=np.float64)):
        return Lie.SIDEWAYS
    above = below = 0.0
    lines = _lines(ink)
    for profile in lines:
        core = np.flatnonzero(profile >= 0.5 * profile.max())
        above += float(profile[:core[0]].sum())
        below += float(profile[core[-1] + 1:].sum())
    if len(lines) < MIN_LINES:
        return Lie.UNCLEAR
    if above > 0 and above >= MIN_RATIO * below:
        return Lie.UPRIGHT
    if below > 0 and below >= MIN_RATIO * above:
        return Lie.UPSIDE_DOWN
    return Lie.UNCLEAR
