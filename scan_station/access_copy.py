"""The copy the PPID hands out: the filed PDF/A with a last page of authentication added.

The added page states that the document is the result of alih media, names the berita acara that
records it, gives the SHA-256 of the archival master in short, and carries a QR code to the
kiosk's verification page (`/verifikasi/<sha256>`, base address from `public_base_url` — never
from the address a request came in by, which its sender writes; without the setting no copy is
made). The master's own pages are never touched. A returned version is no copy to hand out.
Every copy made is recorded with its own SHA-256, so that uploading the copy a citizen received
to the verification page finds it too.
"""

from __future__ import annotations

import hashlib
import io

import pikepdf
from reportlab.graphics.barcode import qr
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select

from ._exec.ocrmypdf import drop_presentation_keys
from .config import Settings
from .coversheet import BOLD, REGULAR, register_fonts
from .db import AccessCopy, BeritaAcara, Database, Document, utcnow
from .errors import ConfigError, NotFoundError, RegisterError


def verification_url(base_url: str, sha256: str) -> str:
    return f"{base_url.rstrip('/')}/verifikasi/{sha256}"


def make(settings: Settings, db: Database, document_id: int, *, base_url: str | None = None,
         by: str = "") -> tuple[bytes, str]:
    """(the copy's bytes, its file name); recorded with its SHA-256 and who asked for it. The QR
    code's address starts with `base_url`, by default `public_base_url`."""
    base_url = base_url or settings.public_base_url
    if not base_url:
        raise ConfigError("copies need public_base_url, the address citizens reach the verification page at "
                          "(e.g. https://ppid.example.go.id); set it in scan-station.toml", code="no_public_base_url")
    with db.session() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFoundError(f"no document {document_id}")
        if document.status == "returned":
            raise RegisterError(f"{document.register_id} v{document.version} was returned to its unit; it is no "
                                "document to hand out", code="returned_no_copy")
        ba = _berita_acara(session, document.id)
        master = settings.storage_dir / document.path
        stamp = _stamp_page(register_id=document.register_id, version=document.version, title=document.entry.title,
                            sha256=document.sha256, ba_number=ba,
                            url=verification_url(base_url, document.sha256))
        with pikepdf.open(master) as pdf, pikepdf.open(io.BytesIO(stamp)) as extra:
            pdf.pages.append(extra.pages[0])
            drop_presentation_keys(pdf.pages[-1])
            out = io.BytesIO()
            pdf.save(out)
        data = out.getvalue()
        session.add(AccessCopy(document_id=document.id, sha256=hashlib.sha256(data).hexdigest(), created_at=utcnow(),
                               created_by=by, berita_acara=ba or ""))
        name = f"{document.register_id.replace('/', '_')}_v{document.version}_salinan.pdf"
    return data, name


def _berita_acara(session, document_id: int) -> str | None:
    """The newest berita acara that lists the document."""
    for record in session.scalars(select(BeritaAcara).order_by(BeritaAcara.id.desc())):
        if document_id in (record.document_ids or []):
            return record.number
    return None


def _stamp_page(*, register_id: str, version: int, title: str, sha256: str, ba_number: str | None, url: str) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, initialFontName=REGULAR, initialFontSize=11)
    width, height = A4
    c.setFont(BOLD, 14)
    c.drawString(25 * mm, height - 35 * mm, "PERNYATAAN ALIH MEDIA")
    lines = [
        "Dokumen ini adalah salinan elektronik hasil alih media arsip yang disimpan oleh",
        "Pejabat Pengelola Informasi dan Dokumentasi (PPID).",
        "",
        f"Nomor register: {register_id} versi {version}",
        f"Judul: {title[:90]}",
        f"Berita acara alih media: {ba_number or 'belum dibuat'}",
        f"SHA-256 arsip induk: {sha256[:16]}…{sha256[-8:]}",
        "",
        "Keaslian dapat diperiksa dengan memindai kode QR di bawah ini atau di:",
        url[:100],
    ]
    c.setFont(REGULAR, 11)
    for i, line in enumerate(lines):
        c.drawString(25 * mm, height - 50 * mm - i * 6.5 * mm, line)
    _draw_qr(c, url, x=25 * mm, y=height - 170 * mm, size=45 * mm)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _draw_qr(c: canvas.Canvas, text: str, *, x: float, y: float, size: float) -> None:
    """The QR code's dark modules as filled squares, drawn on the canvas itself (reportlab's
    drawing renderer would add an unembedded Helvetica to the page, which PDF/A forbids)."""
    code = qr.QrCodeWidget(text).qr
    code.make()
    modules = code.modules
    cell = size / (len(modules) + 8)  # a quiet zone of four modules on each side
    c.setFillGray(0)
    for row, line in enumerate(modules):
        for col, dark in enumerate(line):
            if dark:
                c.rect(x + (col + 4) * cell, y + size - (row + 5) * cell, cell, cell, stroke=0, fill=1)
