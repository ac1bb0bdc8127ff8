"""Text set on printed papers so that all of it stays on the page: wrapped to a width at spaces, a
word wider than a line (a URL, a name typed without spaces) broken between its characters, and a
text longer than its room ended with an ellipsis after a fixed number of lines — never drawn past
the paper's edge, where a printer drops it without a word.

Non-breaking spaces (U+00A0, U+202F, U+2007) hold what they join on one line: a date such as
"7 Desember 2026" is not broken in the middle.
"""

from __future__ import annotations

import itertools
import re

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

ELLIPSIS = "…"
NBSP = "\u00a0"
#: A word too wide for a line is best broken after one of these (a URL's parts, a compound name).
BREAK_AFTER = frozenset("/-_.,;:?&=)]")
_SPACES = re.compile(r"[^\S\u00a0\u2007\u202f]+")  # white space, but not the non-breaking kinds


def keep_together(text: str) -> str:
    """`text` with its spaces made non-breaking: it goes on one line (a date, "NIP. 1985...")."""
    return NBSP.join(text.split())


def wrap(text: str, font: str, size: float, width: float, *, max_lines: int = 0) -> list[str]:
    """`text` as lines no wider than `width` points in `font` at `size`; with `max_lines`, at most
    that many, the last one ending in an ellipsis when text was left out."""
    lines: list[str] = []
    line = ""
    for word in (w for w in _SPACES.split(text) if w):
        trial = f"{line} {word}" if line else word
        if stringWidth(trial, font, size) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        *whole, line = break_word(word, font, size, width)
        lines.extend(whole)
    if line:
        lines.append(line)
    if max_lines and len(lines) > max_lines:
        lines = [*lines[:max_lines - 1], ellipsize(lines[max_lines - 1], font, size, width)]
    return lines


def break_word(word: str, font: str, size: float, width: float, *, after: frozenset[str] | str = BREAK_AFTER
               ) -> list[str]:
    """`word` in pieces no wider than `width` (one piece if it fits), each as long as it can be,
    cut after a character of `after` where one lies in the piece's second half. The pieces joined
    give the word back: nothing is added (a URL typed from them is the URL)."""
    pieces: list[str] = []
    while word:
        ends = list(itertools.accumulate(stringWidth(c, font, size) for c in word))
        fits = max(1, sum(1 for end in ends if end <= width))  # at least one character, however narrow
        if fits < len(word):
            breaks = [i + 1 for i in range(fits // 2, fits) if word[i] in after]
            fits = breaks[-1] if breaks else fits
        pieces.append(word[:fits])
        word = word[fits:]
    return pieces


def ellipsize(line: str, font: str, size: float, width: float) -> str:
    """`line` shortened as far as needed to end in an ellipsis within `width`."""
    line = line.rstrip()
    while line and stringWidth(line + ELLIPSIS, font, size) > width:
        line = line[:-1].rstrip()
    return line.rstrip(" ,;:") + ELLIPSIS


def fit_lines(text: str, font: str, size: float, width: float, *, max_lines: int, smallest: float
              ) -> tuple[float, list[str]]:
    """(font size, lines) of `text` in at most `max_lines`: at `size` if it fits, else at the
    largest size down to `smallest` (by half points) that holds it whole, else ended in an ellipsis
    at `smallest`."""
    while size > smallest and len(wrap(text, font, size, width)) > max_lines:
        size = max(smallest, size - 0.5)
    return size, wrap(text, font, size, width, max_lines=max_lines)


def fit_size(text: str, font: str, size: float, width: float, *, smallest: float) -> float:
    """The largest font size up to `size`, down to `smallest`, at which `text` is no wider than `width`."""
    wide = stringWidth(text, font, size)
    return size if wide <= width else max(smallest, size * width / wide)


class Column:
    """Lines set down a canvas from `top`, at `x`, at most `width` wide: each call wraps its text
    and moves down by its lines (`y` is the baseline of the next line)."""

    def __init__(self, c: Canvas, *, x: float, top: float, width: float):
        self.c, self.x, self.y, self.width = c, x, top, width

    def text(self, text: str, font: str, size: float, *, leading: float, max_lines: int = 0, smallest: float = 0
             ) -> list[str]:
        """`text` wrapped; with `max_lines` and `smallest`, in smaller print where it would not fit
        (`fit_lines`), the leading shrunk alike."""
        if max_lines and smallest:
            fitted, lines = fit_lines(text, font, size, self.width, max_lines=max_lines, smallest=smallest)
            leading, size = leading * fitted / size, fitted
        else:
            lines = wrap(text, font, size, self.width, max_lines=max_lines)
        self.lines(lines, font, size, leading=leading)
        return lines

    def lines(self, lines: list[str], font: str, size: float, *, leading: float) -> None:
        self.c.setFont(font, size)
        for line in lines:
            self.c.drawString(self.x, self.y, line)
            self.y -= leading

    def skip(self, space: float) -> None:
        self.y -= space

    def rule(self, *, gap: float, weight: float = 0.8) -> None:
        """A line across the column (under a letterhead), `gap` below the last text."""
        self.c.setLineWidth(weight)
        self.c.line(self.x, self.y + gap, self.x + self.width, self.y + gap)
