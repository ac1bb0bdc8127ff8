"""Building test batches: real cover sheets, scanned-looking pages, corpus pages, in any order."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import img2pdf
import pikepdf
import pypdfium2 as pdfium
from PIL import Image
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from scan_station.db.database import Entry
from scan_station.pages import samples
from scan_station.papers.cover_sheet import coversheets_pdf

DPI = 300


def entry(entry_id: str, title: str = "Dokumen uji", unit: str = "Subbagian Umum") -> Entry:
    return Entry(id=entry_id, title=title, unit=unit, category="berkala", number="", summary="")


def cover(entry_id: str, *, rotate: int = 0) -> Image.Image:
    """The real cover sheet for `entry_id`, printed and scanned (optionally turned)."""
    image = samples.cover_page_images(coversheets_pdf([entry(entry_id)]), dpi=DPI)[0]
    return image.rotate(rotate, expand=True, fillcolor=255) if rotate else image


def cover_with_payload(payload: str) -> Image.Image:
    """A cover-like sheet carrying an arbitrary payload (to imitate misreads and foreign codes)."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    bar = code128.Code128(payload, barHeight=28 * mm, barWidth=0.42 * mm, humanReadable=False)
    bar.drawOn(c, 20 * mm, 220 * mm)
    widget = qr.QrCodeWidget(payload)
    x0, y0, x1, y1 = widget.getBounds()
    size = 60 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, 20 * mm, 130 * mm)
    c.showPage()
    c.save()
    return samples.cover_page_images(buffer.getvalue(), dpi=DPI)[0]


def content(title: str, *, page_no: int = 1, paragraphs: Sequence[str] | None = None) -> Image.Image:
    page = samples.text_page(title, paragraphs or samples.PARAGRAPHS[:4], page_no=page_no, dpi=DPI)
    return samples.scanned_look(page, skew=0.4)


def with_barcodes(page: Image.Image, *stickers: Image.Image) -> Image.Image:
    """Paste barcode images (e-signature QR, asset labels) onto a page, as letters carry them."""
    page = page.copy()
    x = 150
    for sticker in stickers:
        sticker = sticker.convert("L")
        page.paste(sticker, (x, page.height - sticker.height - 250))
        x += sticker.width + 100
    return page


def write_pdf(pages: Sequence[Image.Image], out: Path) -> Path:
    return samples.write_batch_pdf(pages, out, dpi=DPI)


def image_page_pdf(image: Image.Image) -> pikepdf.Pdf:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI), compress_level=1)  # the same pixels, sooner
    return pikepdf.open(io.BytesIO(img2pdf.convert(buffer.getvalue())))


def mix_pdf(parts: Sequence[Image.Image | tuple[Path, int]], out: Path) -> Path:
    """A batch PDF from images and (pdf, 1-based page) pairs, keeping corpus pages as they are."""
    result = pikepdf.new()
    keep = []
    for part in parts:
        if isinstance(part, Image.Image):
            src = image_page_pdf(part)
            result.pages.append(src.pages[0])
        else:
            src = pikepdf.open(part[0])
            result.pages.append(src.pages[part[1] - 1])
        keep.append(src)
    result.save(out)
    for src in keep:
        src.close()
    return out


def render(pdf: Path, page: int, dpi: int = DPI) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[page - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
