"""Where the other side of a sheet shows through onto this one, found by registering it.

In a duplex scan the back of a sheet shows its front through the paper: mirrored, blurred, fainter
— on thin or grey paper dark enough to pass for ink. The two sides are not scanned in register:
each is skewed its own way by the feeder (a few degrees each, so up to twice that between them)
and shifted by millimetres, and a sheet fed upside down, or a scanner that turns sheets over their
short edge, mirrors top to bottom instead of left to right. So the other side is not simply
mirrored onto this one: it is *registered* — mirrored either way, turned by each angle in
`ANGLES`, and shifted to where it matches this side's ink best (cross-correlation by FFT), at
`MATCH_DPI`, then refined in finer steps around the best angle.

`register` says which of this side's ink the registered other side accounts for. That ink is
show-through only when it is also much fainter than the other side's print (`FAINTER`): toner on
this side is as dark as toner on the other, however well it happens to line up; show-through is
only ever as dark as the paper lets it be (`is_show_through`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

import numpy as np
from PIL import Image

#: Resolution the two sides are matched at: enough for the lines of text, cheap to correlate.
MATCH_DPI = 25
#: Angles (degrees) the other side is tried at, then refined by REFINE around the best.
ANGLES = np.arange(-10.0, 10.01, 2.0)
REFINE = (-1.0, -0.5, 0.5, 1.0)
#: This side's ink is show-through only when its darkest is less than FAINTER of the other side's
#: darkest (`darkness`). Measured at 100 dpi: show-through 0.11-0.31 (thin paper, grey recycled,
#: strong enough to count as marks); print of this side's own 0.89-1.01 (0.89: a few lines of
#: text behind a cover sheet's solid barcodes).
FAINTER = 0.5
#: Ink darker than this (of the paper's brightness) is never show-through, whatever the other side:
#: thin paper lets through at most a third of the other side's print (measured: up to 0.27).
DARKEST = 0.45
#: Registered ink is widened by this much: the registration's error, and the blur of the paper.
SLACK_MM = 1.5


@dataclass(frozen=True)
class Registration:
    shown: np.ndarray  # bool, this side's shape: where the other side's ink shows through
    overlap: float  # share of this side's ink the other side accounts for
    mirror: str  # "left-right" or "top-bottom"
    angle: float  # degrees the mirrored other side was turned (counter-clockwise)


def darkness(grey: np.ndarray, ink: np.ndarray, background: float) -> float:
    """How dark the ink is at its darkest (the level a tenth of it is darker than), below the
    paper, as a share of the paper's brightness. Show-through is never darker than the paper lets
    it be, however dark the other side's print; print on this side is toner, as dark as the other
    side's (thin strokes seen small a little less)."""
    if not ink.any():
        return 0.0
    return float((background - np.percentile(grey[ink], 10)) / max(background, 1.0))


def _small(mask: np.ndarray, factor: int) -> np.ndarray:
    """A bool mask reduced by `factor` as ink coverage (0-1), trimmed to whole blocks."""
    h, w = (mask.shape[0] // factor) * factor, (mask.shape[1] // factor) * factor
    return mask[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3), dtype=np.float32)


def _turned(image: np.ndarray, angle: float) -> np.ndarray:
    if not angle:
        return image
    return np.asarray(Image.fromarray(image).rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32)


def _best_shift(this_spectrum: np.ndarray, other: np.ndarray, shape: tuple[int, int]) -> tuple[float, int, int]:
    """(score, dy, dx): the shift of `other` that lays most of its ink on this side's."""
    from scipy import fft  # here, not above: 0.2 s of every command's start

    product = this_spectrum * np.conj(fft.rfft2(other, s=shape))
    correlation = fft.irfft2(product, s=shape)
    peak = int(np.argmax(correlation))
    dy, dx = np.unravel_index(peak, shape)
    dy = dy - shape[0] if dy > shape[0] // 2 else dy
    dx = dx - shape[1] if dx > shape[1] // 2 else dx
    return float(correlation.flat[peak]), int(dy), int(dx)


def register(this_ink: np.ndarray, other_ink: np.ndarray, *, dpi: float) -> Registration | None:
    """The other side's ink (bool, this side's shape, as scanned) laid over this side's as it shows
    through, or None when either side has no ink."""
    from scipy import fft  # here, not above: 0.2 s of every command's start

    if not this_ink.any() or not other_ink.any():
        return None
    factor = max(1, round(dpi / MATCH_DPI))
    this_small = _small(this_ink, factor)
    shape = tuple(fft.next_fast_len(2 * n, real=True) for n in this_small.shape)  # no wrapping around
    this_spectrum = fft.rfft2(this_small, s=shape)
    candidates = {"left-right": other_ink[:, ::-1], "top-bottom": other_ink[::-1, :]}
    best: tuple[float, str, float, int, int] | None = None
    for mirror, mirrored in candidates.items():
        small = _small(mirrored, factor)
        for angle in ANGLES:
            score, dy, dx = _best_shift(this_spectrum, _turned(small, float(angle)), shape)
            if best is None or score > best[0]:
                best = (score, mirror, float(angle), dy, dx)
    assert best is not None  # candidates and ANGLES are never empty
    _score, mirror, coarse, *_ = best
    small = _small(candidates[mirror], factor)
    for angle in (coarse + step for step in REFINE):  # finer: between the coarse angles
        score, dy, dx = _best_shift(this_spectrum, _turned(small, angle), shape)
        if score > best[0]:
            best = (score, mirror, angle, dy, dx)
    _score, mirror, angle, dy, dx = best
    return _laid(this_ink, candidates[mirror], mirror, angle, dy * factor, dx * factor, dpi)


def _laid(this_ink: np.ndarray, mirrored: np.ndarray, mirror: str, angle: float, dy: int, dx: int,
          dpi: float) -> Registration:
    """The mirrored other side turned and shifted onto this side at full size, widened by SLACK_MM."""
    from scipy import ndimage  # here, not above: 0.2 s of every command's and OCR child's start

    turned = np.asarray(Image.fromarray(mirrored.astype(np.uint8) * 255).rotate(angle), dtype=np.uint8) > 0
    shown = np.zeros_like(this_ink)
    h, w = shown.shape
    src = turned[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    shown[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    slack = max(1, round(SLACK_MM / 25.4 * dpi))
    shown = ndimage.maximum_filter(shown, size=2 * slack + 1)
    overlap = float(np.count_nonzero(this_ink & shown) / max(1, int(np.count_nonzero(this_ink))))
    return Registration(shown, overlap, mirror, angle)


def is_show_through(found: Registration | None, this_darkness: float, other_darkness: float, *,
                    explained: float) -> TypeGuard[Registration]:
    """Whether this side's ink is the other side showing through: explained by the registered
    other side (`explained` of it or more), and much fainter than the other side's print."""
    return (found is not None and found.overlap >= explained and other_darkness > 0
            and this_darkness < FAINTER * other_darkness)
