"""Can the page's text be read? A verdict on every page, from what OCR already gives.

A page filed upside down reads as reversed garbage ("lueHueyepueusw Uep JIpeYy"); a blurred or
washed-out one as fragments; a page skewed past what levelling corrects as nothing at all. None
of it may be filed silently. Three measures, each cheap, decide (`judge`):

- **words that are words**: the share of the letters read that are in words of the OCR
  languages' dictionaries (the engine's own word lists), or read with high confidence (names,
  numbers, codes that no dictionary holds): upright text 0.95-1.0, upside down about 0.1;
- **the engine's confidence**, per letter: upright text 90-97, upside down 30-50, blurred 30-80;
- **characters per mark**: the characters read against the text-sized marks on the page (a
  letter is a mark, give or take touching letters): text the engine did not see at all shows
  as marks with nothing read for them.

A page on which nothing was read and whose marks are too few to be text (a photo, a drawing, a
signature alone — or text too faint to see) has no text: it is flagged too, more gently, for the
officer to see that nothing of it will be found by search. `score` compares two readings of one
page (upright against turned): the letters of words that are words. The bars were set on generated pages with known text
(`bench/bench_readability.py`, figures in bench/README.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from PIL import Image

from .._exec.libtesseract import Box, Word

#: A word read with at least this confidence counts as a word although no dictionary has it.
SURE = 85.0
#: The bars: below any of them, the page needs checking.
MIN_WORDS_SHARE, MIN_CONFIDENCE, MIN_COVERAGE = 0.85, 82.0, 0.45
#: A page with fewer text-like marks than this, on which nothing was read, has no text to judge.
MIN_MARKS = 20
#: Marks are counted at about this resolution; a mark of text is MARK_MM high (6-36 pt).
MARK_DPI, MARK_MM = 75, (0.9, 9.0)
#: A mark is in a picture when more than PICTURE_SHARE of the PICTURE_MM square around it is midtones
#: (looked for only on a page with more than PICTURE_PAGE midtones: a page of text has far fewer).
PICTURE_MM, PICTURE_SHARE, PICTURE_PAGE = 4.0, 0.35, 0.01


class Verdict(StrEnum):
    READABLE = "terbaca"
    CHECK = "perlu diperiksa"
    NO_TEXT = "tanpa teks"  # nothing text-like to read: a photo, a drawing


@dataclass(frozen=True)
class Readability:
    verdict: Verdict
    words: int  # words read (two letters or digits or more)
    characters: int  # letters and digits read
    words_share: float  # of the letters read, in words that are words (0-1)
    confidence: float  # the engine's, per letter (0-100)
    marks: int  # text-sized marks on the page
    coverage: float  # characters read per mark
    reason: str = ""  # why it needs checking, in English, for the record

    @property
    def readable(self) -> bool:
        return self.verdict is Verdict.READABLE

    @property
    def score(self) -> int:
        """Letters in words that are words: the better of two readings of one page has more."""
        return round(self.characters * self.words_share)

    def as_dict(self) -> dict:
        return asdict(self) | {"verdict": str(self.verdict)}

    @classmethod
    def from_dict(cls, data: dict) -> Readability:
        return cls(**(data | {"verdict": Verdict(data["verdict"])}))


def _letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


@dataclass(frozen=True)
class Marks:
    """The text-like marks on a page, and about how many characters they hold."""

    count: int
    characters: int
    boxes: tuple[Box, ...] = ()  # each mark's, in the page's pixels


def text_marks(image: Image.Image, dpi: float) -> Marks:
    """Marks on the page that could be text, at about MARK_DPI: of a letter's height (`MARK_MM`),
    no wider than a word, not inside a picture (where midtones are most of what is around
    them). A mark holds about one character per its height of width: letters that touch, or a
    blurred word run together, count as the characters they are."""
    from scipy import ndimage  # here, not above: 0.2 s of every command's and OCR child's start

    from ..pages.images import as_grey, ink_threshold

    factor = max(1, round(dpi / MARK_DPI))
    small = np.asarray(as_grey(image).reduce(factor) if factor > 1 else as_grey(image))
    histogram = np.bincount(small.ravel(), minlength=256)
    threshold = ink_threshold(histogram)
    ink = small <= threshold
    if ink.mean() > 0.5:  # more ink than paper: white on black; its marks are the paper's
        ink = ~ink
    labels, count = ndimage.label(ink)
    if count == 0:
        return Marks(0, 0)
    per_mm = dpi / factor / 25.4
    boxes = ndimage.find_objects(labels)
    heights = np.array([b[0].stop - b[0].start for b in boxes])
    widths = np.array([b[1].stop - b[1].start for b in boxes])
    low, high = MARK_MM[0] * per_mm, MARK_MM[1] * per_mm
    sized = (heights >= low) & (heights <= high) & (widths <= 8 * heights)
    centres = np.array([((b[0].start + b[0].stop) // 2, (b[1].start + b[1].stop) // 2) for b in boxes])
    pictured = _pictures(small, histogram, threshold, per_mm)[centres[:, 0], centres[:, 1]]
    text = sized & ~pictured
    placed = tuple((b[1].start * factor, b[0].start * factor, b[1].stop * factor, b[0].stop * factor)
                   for b, kept in zip(boxes, text, strict=True) if kept)
    return Marks(int(np.count_nonzero(text)), int(np.maximum(1, widths[text] // heights[text]).sum()), placed)


def _pictures(grey: np.ndarray, histogram: np.ndarray, threshold: int, per_mm: float) -> np.ndarray:
    """Where the page is a picture: most pixels around (`PICTURE_MM` square) are midtones,
    neither ink nor paper, as in a photograph (around text, only the edges of strokes are)."""
    from scipy import ndimage  # here, not above: 0.2 s of every command's and OCR child's start

    ink_level, paper_level = _median(histogram[:threshold + 1]), threshold + 1 + _median(histogram[threshold + 1:])
    span = paper_level - ink_level
    low, high = int(ink_level + 0.25 * span) + 1, int(np.ceil(paper_level - 0.25 * span))
    if histogram[low:high].sum() <= PICTURE_PAGE * grey.size:
        return np.zeros(grey.shape, dtype=bool)  # a page of text: no picture anywhere
    midtones = ((grey >= low) & (grey < high)).astype(np.float32)
    return ndimage.uniform_filter(midtones, size=max(3, round(PICTURE_MM * per_mm))) > PICTURE_SHARE


def _median(histogram: np.ndarray) -> float:
    total = histogram.sum()
    return float(np.searchsorted(np.cumsum(histogram), (total + 1) / 2)) if total else 0.0


def judge(words: tuple[Word, ...], marks: Marks) -> Readability:
    """The verdict on one reading of a page: its words as the engine read them, and the page's
    text-like marks (`text_marks`)."""
    read = [w for w in words if _letters(w.text) >= 2]
    characters = sum(_letters(w.text) for w in read)
    good = sum(_letters(w.text) for w in read if w.dictionary or w.confidence >= SURE)
    share = good / characters if characters else 0.0
    confidence = sum(_letters(w.text) * w.confidence for w in read) / characters if characters else 0.0
    coverage = characters / marks.characters if marks.characters else 1.0
    figures: dict[str, Any] = dict(words=len(read), characters=characters, words_share=round(share, 3),
                   confidence=round(confidence, 1), marks=marks.count, coverage=round(coverage, 2))
    if marks.count < MIN_MARKS and characters == 0:
        return Readability(Verdict.NO_TEXT, **figures, reason="no text read; little on the page looks like text")
    faults = []
    if characters and share < MIN_WORDS_SHARE:
        faults.append(f"{share:.0%} of the letters read are in words")
    if characters and confidence < MIN_CONFIDENCE:
        faults.append(f"OCR confidence {confidence:.0f}")
    if coverage < MIN_COVERAGE:
        faults.append(f"{characters} characters read for about {marks.characters} in text-like marks")
    if faults:
        return Readability(Verdict.CHECK, **figures, reason="text hard to read: " + "; ".join(faults))
    return Readability(Verdict.READABLE, **figures)
