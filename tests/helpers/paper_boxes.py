"""Printed papers read back as their reader would: every word and its box from poppler's
`pdftotext -bbox`, the page's MediaBox from pikepdf, and hostile texts to print.

pdftotext leaves out a character drawn wholly off the page, so text that ran off the paper shows
both ways: as a word whose box crosses the page's edge, and as a word missing from what is read.
"""

from __future__ import annotations

import io
import itertools
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pikepdf

_NS = "{http://www.w3.org/1999/xhtml}"
MM = 72 / 25.4


@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float  # from the top of the page, as pdftotext gives it
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    words: list[Word]


def read(data: bytes) -> list[Page]:
    """The pages of the PDF `data` with their words, each checked to be as big as its MediaBox."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        xhtml = subprocess.run(["pdftotext", "-bbox", file.name, "-"], capture_output=True, check=True).stdout
    pages = []
    for number, page in enumerate(ET.fromstring(xhtml).iter(f"{_NS}page"), start=1):
        words = [Word(number, w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                 for w in page.iter(f"{_NS}word")]
        pages.append(Page(number, float(page.get("width")), float(page.get("height")), words))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        boxes = [[float(v) for v in p.mediabox] for p in pdf.pages]
    assert len(boxes) == len(pages)
    for page, (left, bottom, right, top) in zip(pages, boxes, strict=True):
        assert (left, bottom) == (0, 0) and (round(page.width, 2), round(page.height, 2)) == (round(right, 2),
                                                                                            round(top, 2))
    return pages


def outside(pages: list[Page], *, margin_mm: float = 5) -> list[Word]:
    """Words whose box is not within the page, `margin_mm` in from each edge (printers leave
    about 4 mm unprinted)."""
    m = margin_mm * MM
    return [w for p in pages for w in p.words
            if not (m <= w.x0 and w.x1 <= p.width - m and m <= w.y0 and w.y1 <= p.height - m)]


def reading(pages: list[Page], *, x_mm: tuple[float, float] = (0, 1000)) -> str:
    """The words whose middle lies between `x_mm` (a column), top to bottom and left to right, page
    after page, with no space: a text is printed whole where it appears in this without its spaces."""
    low, high = x_mm[0] * MM, x_mm[1] * MM
    chosen = [w for p in pages for w in p.words if low <= (w.x0 + w.x1) / 2 < high]
    return "".join(w.text for w in sorted(chosen, key=lambda w: (w.page, round(w.y0, 1), w.x0)))


def lines(pages: list[Page]) -> list[str]:
    """Every printed line: the words of the same height on a page, left to right, one space apart."""
    key = lambda w: (w.page, round(w.y0, 1))  # noqa: E731
    ordered = sorted((w for p in pages for w in p.words), key=lambda w: (*key(w), w.x0))
    return [" ".join(w.text for w in group).replace("\xa0", " ") for _k, group in itertools.groupby(ordered, key)]


def spaceless(text: str) -> str:
    return "".join(text.split())


def whole_or_shortened(text: str, printed: str) -> bool:
    """Whether `printed` (read with `reading`, starting where the text does) is `text` whole, or
    its beginning ended with an ellipsis."""
    want = spaceless(text)
    if printed.startswith(want):
        return True
    cut = printed.find("…")
    return cut > 0 and want.startswith(printed[:cut])


# -- hostile texts ------------------------------------------------------------------------------

UNIT = "Subbagian Perencanaan, Data dan Informasi Sekretariat Komisi Pemilihan Umum Kota Tangerang"
WORDS = ("Laporan Pertanggungjawaban Penggunaan Anggaran Pemutakhiran Data Pemilih Berkelanjutan Sekretariat "
         "Komisi Pemilihan Umum Kota Tangerang Tahun Anggaran 2026 Nomor 7/PL.02.1-Kpt/3671/2026")
#: Indonesian with no space for a long stretch, as a name typed without spaces comes.
STRETCH = "pertanggungjawabanpenyelenggaraanpemutakhirandatapemilihberkelanjutan"


def _cut(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length].strip()


def texts(limit: int) -> list[str]:
    """Hostile texts up to `limit` characters: Indonesian words at a quarter, half and all of it;
    a real KPU unit name; no space at all; spaces seldom; capitals; the widest letter."""
    made = [_cut(f"{WORDS} ", n) for n in sorted({limit // 4, limit // 2, limit})]
    made += [UNIT[:limit], _cut(STRETCH, limit), _cut(f"Dokumen {STRETCH} ", limit), _cut(f"{WORDS.upper()} ", limit),
             "W" * limit]
    return made
