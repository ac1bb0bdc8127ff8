"""The copy the PPID hands out: the filed PDF/A with a last page of authentication added.

The added page states that the document is the result of alih media, names the berita acara that
records it, gives the SHA-256 of the archival master in short, and carries a QR code to the
kiosk's verification page (`/verifikasi/<sha256>`, base address from `public_base_url` — never
from the address a request came in by, which its sender writes; without the setting no copy is
made), and that address printed whole, for a citizen to type; it names the agency
(`agency_name`) and, when set, how to reach its PPID (`ppid_contact`). A softcopy whose original
carries digital signatures says on that page, and in the copy's metadata (`dc:source`), what the
check of each signature found when it was handed over (a record from before signatures were
checked: "belum diperiksa"), and that no signature holds on the copy.
The master's own pages are never touched. A returned version is no copy to hand out.
Every copy made is recorded with its own SHA-256, so that uploading the copy a citizen received
to the verification page finds it too.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

import pikepdf
from reportlab.graphics.barcode import qr
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select

from ..core.config import Settings
from ..core.errors import ConfigError, NotFoundError, RegisterError
from ..core.model import DocumentStatus
from ..db.database import AccessCopy, BeritaAcara, Database, Document, utcnow
from ..ocr.pdfa_job import drop_presentation_keys
from ..papers import text as paper_text
from ..papers.cover_sheet import BOLD, REGULAR, register_fonts

#: Lines of a title on the statement page; a longer one ends in an ellipsis (the register has it whole).
TITLE_LINES = 4
#: The longest base address a copy is made with: its verification address is printed whole, and
#: carried by a QR code a phone still reads at the printed size.
MAX_BASE_URL = 500


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
    if len(base_url) > MAX_BASE_URL:
        raise ConfigError(f"public_base_url has {len(base_url)} characters; a copy prints it whole, so at most "
                          f"{MAX_BASE_URL}", code="public_base_url_long", limit=MAX_BASE_URL)
    with db.session() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFoundError(f"no document {document_id}")
        if document.status == DocumentStatus.RETURNED:
            raise RegisterError(f"{document.register_id} v{document.version} was returned to its unit; it is no "
                                "document to hand out", code="returned_no_copy")
        ba = _berita_acara(session, document.id)
        master = settings.storage_dir / document.path
        note, signature_lines = _signatures(document.origin)
        stamp = statement_page(register_id=document.register_id, version=document.version,
                               title=document.entry.title, sha256=document.sha256, ba_number=ba,
                               url=verification_url(base_url, document.sha256), signatures=signature_lines,
                               agency=settings.agency_name, contact=settings.ppid_contact)
        with pikepdf.open(master) as pdf, pikepdf.open(io.BytesIO(stamp)) as extra:
            pdf.pages.append(extra.pages[0])
            drop_presentation_keys(pdf.pages[-1])
            if note:  # the verdicts as recorded, whatever an older master's metadata says
                with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
                    meta["dc:source"] = "; ".join(filter(None, [document.entry.number, note]))
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


def _signatures(origin) -> tuple[str, list[str]]:
    """A softcopy's signatures as the copy states them: its metadata note, and one line per
    signature for the statement page (Bahasa Indonesia)."""
    from .signatures import SignatureCheck, access_copy_note, statement

    files = origin.get("files") if isinstance(origin, dict) else None
    files = [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []
    lines = []
    for f in files:
        found = f.get("signatures")
        for check in [SignatureCheck.from_dict(s) for s in found] if isinstance(found, list) else []:
            lines.append(f"{str(f.get('name', ''))[:60]}: {statement(check)}")
    return access_copy_note(files), lines


def statement_page(*, register_id: str, version: int, title: str, sha256: str, ba_number: str | None, url: str,
                   signatures: Sequence[str] = (), agency: str = "", contact: str = "") -> bytes:
    """The page of authentication: every line wrapped within the page's margins, the verification
    address printed whole (broken only between characters, nothing added, so that typing the lines
    one after the other gives the address the QR code holds)."""
    register_fonts()
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, initialFontName=REGULAR, initialFontSize=11)
    width, height = A4
    column = paper_text.Column(c, x=25 * mm, top=height - 22 * mm, width=width - 50 * mm)
    _letterhead(column, agency, contact)
    column.text("PERNYATAAN ALIH MEDIA", BOLD, 14, leading=10 * mm)
    body = {"font": REGULAR, "size": 11, "leading": 5.6 * mm}
    column.text("Dokumen ini adalah salinan elektronik hasil alih media arsip yang disimpan oleh Pejabat "
                f"Pengelola Informasi dan Dokumentasi (PPID) {agency}.".replace(" .", "."), **body)
    column.skip(2 * mm)
    column.text(f"Nomor register: {register_id} versi {version}", **body)
    column.text(f"Judul: {title}", **body, max_lines=TITLE_LINES, smallest=9)
    column.text(f"Berita acara alih media: {ba_number or 'belum dibuat'}", **body, max_lines=2)
    column.text(f"SHA-256 arsip induk: {sha256[:16]}…{sha256[-8:]}", **body)
    column.skip(2 * mm)
    column.text("Keaslian dapat diperiksa dengan memindai kode QR di bawah ini atau dengan membuka alamat ini:",
                **body)
    column.lines(paper_text.break_word(url, REGULAR, 10.5, column.width, after="/"), REGULAR, 10.5, leading=5 * mm)
    qr_size = 45 * mm
    _draw_qr(c, url, x=25 * mm, y=column.y - qr_size + 2 * mm, size=qr_size)
    if signatures:
        _draw_signatures(c, signatures, top=column.y - qr_size - 6 * mm, width=column.width)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _letterhead(column: paper_text.Column, agency: str, contact: str) -> None:
    """Who vouches for the copy, and how a citizen reaches them, above a rule."""
    column.text("PEJABAT PENGELOLA INFORMASI DAN DOKUMENTASI (PPID)", BOLD, 9.5, leading=5 * mm)
    column.text(agency, BOLD, 12, leading=5.4 * mm, max_lines=4, smallest=9)
    column.text(contact, REGULAR, 9, leading=4.2 * mm, max_lines=5, smallest=7)
    column.rule(gap=2 * mm)
    column.skip(7 * mm)


def _draw_signatures(c: canvas.Canvas, lines: Sequence[str], *, top: float, width: float) -> None:
    """What the check of the original's signatures found, wrapped, down to the page's margin."""
    c.setFont(BOLD, 11)
    c.drawString(25 * mm, top, "Tanda tangan elektronik pada dokumen asli (diperiksa saat diserahkan)")
    c.setFont(REGULAR, 9.5)
    rows = [row for line in lines for row in paper_text.wrap(f"– {line}", REGULAR, 9.5, width)]
    last = paper_text.wrap("Tanda tangan elektronik tidak berlaku pada salinan ini; dokumen asli disimpan utuh oleh "
                           "PPID dan dapat diperiksa di sana.", REGULAR, 9.5, width)
    room = max(2, int((top - 6 * mm - 15 * mm) / (4.6 * mm)) + 1 - len(last))
    if len(rows) > room:
        rows = rows[:room - 1] + ["… (selengkapnya pada metadata salinan ini)"]
    for index, row in enumerate(rows + last):
        gap = 2 * mm if index >= len(rows) else 0  # the closing sentence set off from the list
        c.drawString(25 * mm, top - 6 * mm - index * 4.6 * mm - gap, row)


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
