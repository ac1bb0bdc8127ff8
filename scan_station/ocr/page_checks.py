"""What the officer should look at before a page is trusted, as a validation station shows it:
each a `PageCheck` with a code the kiosk translates.

On one page, in its OCR child (`of_page`): text hard to read or none read (`readability`), skew beyond what
levelling corrects, content cut off at the page's edge. Across the batch, once its pages are read
(`of_batch`): a page kept although it may be blank, a page much darker or lighter than the
others, and in each document the running page numbers offices print ("- 2 -", "Halaman 2 dari
5", "2/5") that skip or repeat — a sheet left in the tray, or two fed at once.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from PIL import Image

from ..core.model import CONTENT, OcrResult, PageCheck, PageClass
from ..pages.images import MAX_SKEW, as_grey, ink_threshold
from ..pages.split import PlannedDocument
from .readability import Readability, Verdict

#: Content cut off: at least CUT_MARKS marks of text size crossing the EDGE_MM band along one edge.
EDGE_MM, CUT_MARKS, CUT_MARK_MM = 2.0, 3, (1.0, 12.0)
#: A page's paper this many grey levels darker or lighter than the batch's median is flagged.
BRIGHTNESS_STEP = 40
#: Running page numbers: the first and last lines of a page's text are searched for them.
NUMBER_LINES = 3
_NUMBERS = [re.compile(p, re.IGNORECASE) for p in (
    r"^\W*(?:halaman|hal\.?|page)\s*(\d{1,3})\s*(?:dari|of|/)\s*(\d{1,3})\W*$",  # Halaman 2 dari 5
    r"^\s*[-–—~]\s*(\d{1,3})\s*[-–—~]\s*$",  # - 2 -
    r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$",  # 2/5
    r"^\W*(?:halaman|hal\.?|page)\s*(\d{1,3})\W*$",  # Halaman 2
)]


def of_page(image: Image.Image, dpi: float, *, number: int, skew: float, readability: Readability
            ) -> tuple[PageCheck, ...]:
    """The checks one page fails, measured on it as it is filed."""
    found = []
    if readability.verdict is Verdict.CHECK:
        figures = {"share": round(100 * readability.words_share), "confidence": round(readability.confidence)}
        found.append(PageCheck(number, "unreadable", readability.reason, figures))
    elif readability.verdict is Verdict.NO_TEXT:
        found.append(PageCheck(number, "no_text", readability.reason))
    if abs(skew) > MAX_SKEW:
        found.append(PageCheck(number, "skewed", f"skewed {abs(skew):.1f} degrees; levelling corrects up to "
                               f"{MAX_SKEW:.0f}", {"degrees": round(abs(skew), 1)}))
    edges = cut_off(image, dpi)
    if edges:
        found.append(PageCheck(number, "cut_off", f"text-sized marks run off the {', '.join(edges)} edge",
                               {"edges": edges}))
    return tuple(found)


def cut_off(image: Image.Image, dpi: float) -> list[str]:
    """The edges that content runs off: marks of text size (not a line along the edge, not a
    speck) crossing the outermost EDGE_MM of the page, at least CUT_MARKS of them."""
    from scipy import ndimage  # here, not above: 0.2 s of every command's and OCR child's start

    factor = max(1, round(dpi / 100))
    grey = np.asarray(as_grey(image).reduce(factor) if factor > 1 else as_grey(image))
    ink = grey <= ink_threshold(np.bincount(grey.ravel(), minlength=256))
    if not 0.0005 < ink.mean() < 0.5:
        return []
    per_mm = dpi / factor / 25.4
    band, low, high = max(1, round(EDGE_MM * per_mm)), CUT_MARK_MM[0] * per_mm, CUT_MARK_MM[1] * per_mm
    depth = round(high) + band
    strips = {"top": ink[:depth], "bottom": ink[::-1][:depth], "left": ink[:, :depth].T,
              "right": ink[:, ::-1][:, :depth].T}
    edges = []
    for edge, strip in strips.items():  # each strip: rows from the edge inwards
        labels, count = ndimage.label(strip)
        if count < CUT_MARKS:
            continue
        crossing = 0
        for rows, columns in ndimage.find_objects(labels):
            across, along = rows.stop - rows.start, columns.stop - columns.start
            if rows.start < band and low <= across and along <= high:
                crossing += 1
        if crossing >= CUT_MARKS:
            edges.append(edge)
    return edges


def of_batch(classified: Sequence[PageClass], documents: Iterable[Sequence[int]], texts: Mapping[int, str]
             ) -> list[PageCheck]:
    """The checks that need the other pages: pages kept as "maybe blank", pages much darker or
    lighter than the batch's, running page numbers that skip or repeat within a document.
    `documents`: each document's batch pages in filed order; `texts`: batch page -> its text."""
    filed = {n for pages in documents for n in pages}
    found = [PageCheck(p.number, "maybe_blank", p.reason) for p in classified
             if p.number in filed and p.maybe_blank]
    found += _brightness([p for p in classified if p.kind == CONTENT], filed)
    for pages in documents:
        found += numbering(pages, [texts.get(n, "") for n in pages])
    return sorted(found, key=lambda c: c.page)


def _brightness(content: Sequence[PageClass], filed: set[int]) -> list[PageCheck]:
    papers = {p.number: float(p.measure["background"]) for p in content
              if p.measure and isinstance(p.measure.get("background"), int | float)}
    if len(papers) < 3:
        return []
    median = statistics.median(papers.values())
    found = []
    for number, level in papers.items():
        if number in filed and abs(level - median) >= BRIGHTNESS_STEP:
            code = "darker" if level < median else "lighter"
            found.append(PageCheck(number, code, f"paper at grey level {level:.0f}, the batch's {median:.0f}",
                                   {"level": round(level), "median": round(median)}))
    return found


def page_number(text: str) -> tuple[int, int | None] | None:
    """(number, of how many or None) printed as a running page number on the page, if any."""
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines[:NUMBER_LINES] + lines[-NUMBER_LINES:]:
        for pattern in _NUMBERS:
            found = pattern.match(line.strip())
            if found:
                total = int(found.group(2)) if found.lastindex and found.lastindex > 1 else None
                return int(found.group(1)), total
    return None


def numbering(pages: Sequence[int], texts: Sequence[str]) -> list[PageCheck]:
    """Pages of one document whose running numbers skip (a page missing before it) or repeat."""
    numbers = [page_number(t) for t in texts]
    known = [(i, n) for i, n in enumerate(numbers) if n is not None]
    if len(known) < 2:
        return []
    found = []
    first_index, (first, _total) = known[0]
    if first - first_index > 1:
        found.append(_missing(pages[first_index], 1, first))
    for (i, (before, _)), (j, (after, _)) in zip(known, known[1:], strict=False):
        expected = before + (j - i)
        if after == before or after < expected:
            found.append(PageCheck(pages[j], "page_repeated", f"page number {after} again (expected {expected})",
                                   {"number": after, "expected": expected}))
        elif after > expected:
            found.append(_missing(pages[j], expected, after))
    last_index, (last, total) = known[-1]
    if total and last + (len(pages) - 1 - last_index) < total:
        found.append(PageCheck(pages[-1], "page_missing", f"the last page is numbered {last} of {total}",
                               {"expected": last + 1, "found": total + 1}))
    return found


def _missing(page: int, expected: int, found: int) -> PageCheck:
    return PageCheck(page, "page_missing", f"numbered {found}; page {expected} is not before it",
                     {"expected": expected, "found": found})


def collect(classified: Sequence[PageClass], documents: Sequence[tuple[PlannedDocument, OcrResult]]
            ) -> list[PageCheck]:
    """Every check the pages of these documents fail: each page's own (found as it was read) and
    the batch's (`of_batch`), in page order."""
    texts = {n: t for planned, result in documents for n, t in zip(planned.batch_pages, result.page_texts,
                                                                       strict=False)}
    found = [c for _planned, result in documents for c in result.page_checks]
    found += of_batch(classified, [planned.batch_pages for planned, _result in documents], texts)
    return sorted(found, key=lambda c: (c.page, c.code))
