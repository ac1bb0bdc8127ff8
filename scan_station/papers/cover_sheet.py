"""Barcode cover sheets: the A4 PDF that staff print, carrying the payload of `cover_payload`
(`SST1:<register id>:<check>`, re-exported here). Each sheet carries the same payload twice, as
Code128 and as QR, so one damaged symbol is enough. The text is set in DejaVu Sans (Debian's
`fonts-dejavu-core`), embedded, so names and titles in any Latin script, Greek, Cyrillic and the
usual symbols print as typed.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Sequence
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ..core.errors import BadArgumentsError, MissingDependencyError
from ..core.storage import atomic_write_bytes
from ..db.database import Entry
from ..pages import cover_mark as covermark
from ..pages.cover_payload import ALPHABET, PREFIX, CoverCode, check_character, parse_payload, payload_for  # noqa: F401
from . import text as paper_text

#: Cover sheets one print may hold (each is a page of barcodes and text: about 50 ms of CPU).
MAX_COVERSHEETS = 100

INSTRUCTION = (
    "LEMBAR SAMPUL PINDAI — letakkan lembar ini di atas dokumen, lalu masukkan ke pemindai."
)
INSTRUCTION_2 = "Jangan dilipat atau dicoret. Satu lembar sampul untuk satu dokumen."


# -- the printable PDF ---------------------------------------------------------------------------

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
#: reportlab font name -> file in FONT_DIR (TrueType, embedded as a subset).
FONTS = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf"}
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@functools.cache
def register_fonts() -> None:
    """Register the cover-sheet fonts with reportlab, once per process."""
    for name, file_name in FONTS.items():
        path = FONT_DIR / file_name
        if not path.is_file():
            raise MissingDependencyError(
                f"cover sheets need the font {path}; install the Debian package fonts-dejavu-core "
                "(apt-get install fonts-dejavu-core)"
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))

_CATEGORY_LABELS = {
    "berkala": "Informasi Berkala",
    "serta-merta": "Informasi Serta-merta",
    "setiap-saat": "Informasi Setiap Saat",
    "dikecualikan": "Informasi Dikecualikan",
}


#: Lines a title may take on the sheet, in smaller print down to 11 pt; a longer one ends in an
#: ellipsis (the register has it whole).
TITLE_LINES = 4
#: Lines of each printed field (a real KPU unit name takes two), in smaller print down to 9 pt; a
#: longer value (no unit name within the register's limit) ends in an ellipsis.
FIELD_LINES = {"Unit": 5, "Nomor naskah": 3}
#: Code128's narrowest bar: 0.42 mm, narrowed for a long register id down to what fits the page.
BAR_MM = 0.42


def _draw_sheet(c: canvas.Canvas, entry: Entry) -> None:
    width, height = A4
    margin = 20 * mm
    payload = payload_for(entry.id)

    _draw_mark(c)
    c.setFont(BOLD, 13)
    c.drawString(margin, height - 26 * mm, "PPID — Lembar Sampul Dokumen")
    c.setFont(REGULAR, 10)
    c.drawString(margin, height - 32 * mm, INSTRUCTION)
    c.drawString(margin, height - 37 * mm, INSTRUCTION_2)

    bar = _code128(payload, room=width - 20 * mm)
    bar.drawOn(c, (width - bar.width) / 2, height - 72 * mm)
    _draw_id(c, entry.id, room=width - 2 * margin)

    qr_size = 62 * mm
    widget = qr.QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0],
                      initialFontName=REGULAR)  # else reportlab sets (unembedded) Helvetica
    drawing.add(widget)
    renderPDF.draw(drawing, c, (width - qr_size) / 2, height - 160 * mm)

    y = height - 172 * mm
    size, lines = paper_text.fit_lines(entry.title, BOLD, 15, width - 2 * margin, max_lines=TITLE_LINES,
                                       smallest=11)
    c.setFont(BOLD, size)
    for line in lines:
        c.drawString(margin, y, line)
        y -= 7 * mm
    _draw_fields(c, _fields(entry), x=margin, y=y, room=width - 2 * margin - 35 * mm)
    c.setFont(REGULAR, 8)
    c.drawString(margin, 20 * mm, f"{payload}  ·  dicetak {dt.date.today():%d-%m-%Y}")


def _fields(entry: Entry) -> list[tuple[str, str]]:
    created = entry.created_date.strftime("%d-%m-%Y") if entry.created_date else "—"
    return [("Unit", entry.unit), ("Kategori", _CATEGORY_LABELS.get(entry.category, entry.category)),
            ("Tanggal", created), ("Nomor naskah", entry.number or "—")]


def _draw_fields(c: canvas.Canvas, rows: list[tuple[str, str]], *, x: float, y: float, room: float) -> None:
    """Label and value side by side, the value wrapped in its column (`FIELD_LINES`), in smaller
    print where it would not fit."""
    for label, value in rows:
        y -= 2 * mm
        c.setFont(REGULAR, 12)
        c.drawString(x, y, f"{label}:")
        size, lines = paper_text.fit_lines(value, REGULAR, 12, room, max_lines=FIELD_LINES.get(label, 2), smallest=9)
        c.setFont(REGULAR, size)
        for line in lines:
            c.drawString(x + 35 * mm, y, line)
            y -= 5 * mm


def _code128(payload: str, *, room: float) -> code128.Code128:
    """The Code128 symbol of `payload`, its bars narrowed where a long id would not fit in `room`
    (quiet zones included); the QR code beside it carries the same at any length."""
    full = code128.Code128(payload, barHeight=28 * mm, barWidth=BAR_MM * mm, humanReadable=False)
    if full.width <= room:
        return full
    return code128.Code128(payload, barHeight=28 * mm, barWidth=BAR_MM * mm * room / full.width,
                           humanReadable=False)


def _draw_id(c: canvas.Canvas, entry_id: str, *, room: float) -> None:
    """The register id in large print between the barcodes: smaller for a long id, and on two
    lines, broken after a `-` or `/`, for the longest."""
    size = paper_text.fit_size(entry_id, BOLD, 30, room, smallest=18)
    lines = paper_text.break_word(entry_id, BOLD, size, room)
    while len(lines) > 2:
        size -= 1
        lines = paper_text.break_word(entry_id, BOLD, size, room)
    c.setFont(BOLD, size)
    top = A4[1] - (88 if len(lines) == 1 else 84) * mm
    for index, line in enumerate(lines):
        c.drawCentredString(A4[0] / 2, top - index * size * 1.1, line)


def _draw_mark(c: canvas.Canvas) -> None:
    """The row of blocks along the top and bottom edges that tells a cover sheet whose barcodes
    cannot be read (`covermark`)."""
    width, height = A4
    c.setFillColorRGB(0, 0, 0)
    for n in range(covermark.BLOCKS):
        x = (covermark.FIRST_BLOCK_MM + 2 * n * covermark.BLOCK_MM) * mm
        for y in (covermark.EDGE_MM * mm, height - (covermark.EDGE_MM + covermark.BAND_MM) * mm):
            c.rect(x, y, covermark.BLOCK_MM * mm, covermark.BAND_MM * mm, stroke=0, fill=1)


def check_coversheet_count(count: int) -> None:
    """Refuse a print of more than `MAX_COVERSHEETS` sheets (before any work is done for it)."""
    if count > MAX_COVERSHEETS:
        raise BadArgumentsError(f"{count:,} cover sheets asked for; at most {MAX_COVERSHEETS} go in one print, "
                                f"so print them in parts of up to {MAX_COVERSHEETS}")


def coversheets_pdf(entries: Sequence[Entry]) -> bytes:
    """One A4 page per entry, in the given order (at most `MAX_COVERSHEETS`)."""
    check_coversheet_count(len(entries))
    register_fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=REGULAR)
    c.setTitle("Lembar sampul pindai")
    for entry in entries:
        _draw_sheet(c, entry)
        c.showPage()
    c.save()
    return buffer.getvalue()


def write_coversheets(entries: Sequence[Entry], out: Path) -> Path:
    atomic_write_bytes(out, coversheets_pdf(entries))
    return out
