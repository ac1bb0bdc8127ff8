"""Lines of text the engine passed over, read again.

Tesseract's layout analysis now and then leaves a whole line out of a page it otherwise reads
well — a row of a table, the heading above one, most often on a photographed page — and nothing
in its output says so: the words are lost to search. So after each reading, the page's
text-like marks (`readability.text_marks`) that no line read covers are gathered into rows.
When there are any, only those marks are read again, on a white page of the same size, as one
block of text (`--psm 6`: no layout left to lose them in). What that reading finds is added when
it reads as text (`readability.judge`; a signature or a scribble does not): its lines to the
page's text after the line above them, its invisible words over the page's own text layer.

    passed_over(marks, lines)  ->  rows of marks no line covers
    read_again(reading, marks, ...)  ->  the reading with those rows' words added
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from .._exec import libtesseract
from .._exec.libtesseract import Box, Line, Recognised
from .readability import Marks, judge

#: A row holding at least this many characters of marks no line covers was passed over (one
#: character alone is a page number, a bullet, a speck).
MIN_CHARACTERS = 2
#: A mark this near a line read counts as covered by it (mm).
COVER_MM = 1.0
#: Around each mark read again, this much of the page is kept (pixels of the image read): the
#: strokes' soft edges, not the ruling of a table's cell beside them.
KEEP_PX = 2


@dataclass(frozen=True)
class Row:
    """Marks side by side that no line read covers (boxes in the pixels of the image read)."""

    marks: tuple[Box, ...]
    characters: int


def passed_over(marks: Marks, lines: tuple[Line, ...], *, scale: float, dpi: float) -> list[Row]:
    """The rows of text-like marks (boxes in the page's pixels; `scale` makes them the read
    image's, of `dpi`) that none of the lines read covers."""
    if not marks.boxes:
        return []
    near = COVER_MM * dpi / 25.4
    boxes = np.array(marks.boxes, dtype=float) * scale
    x, y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    covered = np.zeros(len(boxes), dtype=bool)
    for left, top, right, bottom in (line.box for line in lines):
        covered |= (x >= left - near) & (x <= right + near) & (y >= top - near) & (y <= bottom + near)
    loose: list[Box] = sorted(((round(a), round(b), round(c), round(d)) for a, b, c, d in boxes[~covered]),
                              key=lambda box: box[1])
    rows: list[list[Box]] = []
    open_rows: list[list[Box]] = []  # rows a mark further down may still join: sorted by top, none above
    for box in loose:
        open_rows = [row for row in open_rows if row[0][3] > box[1]]
        row = next((row for row in open_rows if _beside(row, box)), None)
        if row is None:
            rows.append([box])
            open_rows.append(rows[-1])
        else:
            row.append(box)
    found = [Row(tuple(row), sum(max(1, (b[2] - b[0]) // max(1, b[3] - b[1])) for b in row)) for row in rows]
    return [row for row in found if row.characters >= MIN_CHARACTERS]


def _beside(row: list[Box], box: Box) -> bool:
    """Whether `box` stands in the row: it shares half the height of the row's first mark."""
    first = row[0]
    shared = min(first[3], box[3]) - max(first[1], box[1])
    return shared >= 0.5 * min(first[3] - first[1], box[3] - box[1])


def read_again(reading: Recognised, marks: Marks, *, image: Path, scale: float, dpi: int,
               languages: tuple[str, ...], out_base: Path) -> Recognised:
    """`reading` of `image` (the page at `dpi`, `scale` times its own pixels), with what the rows
    of marks it passed over read as, when they read as text; its files are `out_base` and more."""
    rows = passed_over(marks, reading.lines, scale=scale, dpi=dpi)
    if not rows:
        return reading
    kept = _only(image, rows, Path(f"{out_base}.missed.tif"))
    more = libtesseract.recognise(kept, Path(f"{out_base}.missed"), languages=languages, dpi=dpi, block=True)
    marked = Marks(sum(len(row.marks) for row in rows), sum(row.characters for row in rows))
    if not more.lines or not judge(more.words, marked).readable:
        return reading
    return merged(reading, more, Path(f"{out_base}.merged.pdf"))


def _only(image: Path, rows: list[Row], out: Path) -> Path:
    """The image read, white but for the marks of `rows`."""
    with Image.open(image) as page:
        kept = Image.new("L", page.size, 255)
        for row in rows:
            for left, top, right, bottom in row.marks:
                box = (max(0, left - KEEP_PX), max(0, top - KEEP_PX), right + KEEP_PX, bottom + KEEP_PX)
                kept.paste(page.crop(box), box[:2])
    kept.save(out, format="TIFF", compression="raw")
    return out


def merged(reading: Recognised, more: Recognised, out: Path) -> Recognised:
    """One reading of both: `more`'s lines in the text after the line above each, its text layer
    over `reading`'s (both of one page of one size) in `out`."""
    import pikepdf  # here, not above: only a page with lines passed over needs it

    with pikepdf.open(reading.text_pdf) as pdf, pikepdf.open(more.text_pdf) as extra:
        page = pdf.pages[0]
        page.add_overlay(pdf.copy_foreign(extra.pages[0].as_form_xobject()), pikepdf.Rectangle(page.mediabox))
        pdf.save(out)
    return replace(reading, text=_inserted(reading.text, reading.lines, more.lines), text_pdf=out,
                   words=reading.words + more.words, lines=reading.lines + more.lines)


def _inserted(text: str, lines: tuple[Line, ...], added: tuple[Line, ...]) -> str:
    """`text` with each added line after the line read just above it (first when none is)."""
    for line in sorted(added, key=lambda line: line.box[1], reverse=True):  # the lowest first: order kept
        above = [old for old in lines if old.box[3] <= line.box[1] + 0.5 * (line.box[3] - line.box[1])
                 and old.box[0] < line.box[2] and line.box[0] < old.box[2]]
        if not above:
            text = f"{line.text}\n{text}"
            continue
        nearest = max(above, key=lambda old: old.box[3])
        at = text.find(nearest.text)
        if at < 0:
            text = f"{text}\n{line.text}"
        else:
            end = at + len(nearest.text)
            text = f"{text[:end]}\n{line.text}{text[end:]}"
    return text
