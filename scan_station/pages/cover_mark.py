"""The cover sheet's second mark: a row of black blocks along its top and bottom edges.

The barcodes of a cover sheet can be lost — torn off, smudged, the sheet fed face down — and a
cover that is not recognised merges its document into the one before without anyone noticing.
So every sheet also carries a pattern no document has: `BLOCKS` solid blocks, `BLOCK_MM` wide
with gaps as wide, in a band `BAND_MM` deep near the top and the bottom edge. It survives what
barcodes do not: half the row is enough, a stain covers a few blocks, and through the paper (face
down) it still shows as the same rhythm, only fainter. `find` measures it on a page image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

BLOCK_MM, BAND_MM, BLOCKS = 6.0, 6.0, 15
EDGE_MM = 5.0  # from the sheet's edge to the band (printers leave about 4 mm unprinted)
FIRST_BLOCK_MM = 15.0  # from the left edge to the first block
STRIP_MM = 18.0  # how deep from each edge a page is searched (bands move with skew)
#: Blocks in a row to call it the mark: half the row, for a torn or stained sheet.
MIN_BLOCKS = 7
#: The rhythm must stand this far above the page's own variation in the strip.
MIN_SCORE = 4.0


@dataclass(frozen=True)
class Mark:
    strength: float  # how much darker the blocks are than the gaps, as a fraction of the paper
    score: float  # how clearly the rhythm stands out
    edge: str  # top, bottom, left, right


def _profile(grey: np.ndarray, edge: str, depth: int, background: float) -> np.ndarray:
    strip = {"top": grey[:depth], "bottom": grey[-depth:], "left": grey[:, :depth].T, "right": grey[:, -depth:].T}[edge]
    return np.clip(background - strip.astype(np.float32), 0, None).mean(axis=0)


def _rhythm(profile: np.ndarray, period: float, blocks: int) -> tuple[float, float]:
    """(amplitude, score) of the best-fitting square wave of `period`, `blocks` periods long: the
    place is found by correlation, the fit measured there."""
    span = int(round(period * blocks))
    if profile.size < span or period < 4:
        return 0.0, 0.0
    on = (np.arange(span) % period) < period / 2
    kernel = np.where(on, 1.0, -1.0)
    start = int(np.argmax(np.correlate(profile, kernel - kernel.mean(), mode="valid")))
    window = profile[start:start + span]
    high, low = window[on], window[~on]
    amplitude = float(high.mean() - low.mean())
    spread = float(np.sqrt((high.var() * high.size + low.var() * low.size) / span)) + 0.05
    return amplitude, amplitude / spread


def find(image: Image.Image, *, dpi: int, background: float | None = None) -> Mark | None:
    """The cover mark on a grey page image at `dpi`, in any of the four orientations, or None.
    `background`: the paper's brightness, if known already."""
    grey = np.asarray(image if image.mode == "L" else image.convert("L"))
    if background is None:
        background = float(np.percentile(grey, 75))
    if background <= 0:
        return None
    px = dpi / 25.4
    depth, period = max(2, int(STRIP_MM * px)), 2 * BLOCK_MM * px
    best: Mark | None = None
    for edge in ("top", "bottom", "left", "right"):
        amplitude, score = _rhythm(_profile(grey, edge, depth, background), period, MIN_BLOCKS)
        strength = amplitude * (STRIP_MM / BAND_MM) / background  # the band fills a third of the strip
        if score >= MIN_SCORE and (best is None or score > best.score):
            best = Mark(round(min(strength, 1.0), 3), round(score, 1), edge)
    return best
