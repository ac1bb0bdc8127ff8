"""The printed berita acara alih media (`berita_acara`): the agency's letterhead, the act in words,
the pelaksana by full name and NIP, the daftar arsip alih media, and signature blocks with a name
line and a NIP line under each, as Indonesian government papers have them.

Everything is set in paragraphs and table cells that wrap within the page (a word longer than its
column is split between characters); a date is joined by non-breaking spaces, so that
"7 Desember 2026" is never broken across lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import log as audit
from ..core.config import Settings
from ..db.database import UserAccount
from .cover_sheet import BOLD, REGULAR, register_fonts
from .text import NBSP, keep_together

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
PPID_NAME = "Pejabat Pengelola Informasi dan Dokumentasi"
#: The signature blocks: (the role as printed, the role whose user is named under it).
SIGNATURES = (("Petugas Dokumentasi", "dokumentasi"), ("Petugas PPID", "ppid"), ("Mengetahui,<br/>Atasan PPID",
                                                                                  "atasan"))
#: Printed under an unnamed signature, for the name and NIP to be written by hand.
BLANK_NAME, BLANK_NIP = "(" + "." * 40 + ")", "NIP. " + "." * 30
#: The daftar's columns: header and width; together the width of the page between its margins.
COLUMNS = (("No.", 8), ("Unit Pengolah", 26), ("Jenis/Judul Arsip", 44), ("Kurun Waktu", 18), ("Jumlah", 14),
           ("Kode Klasifikasi", 18), ("Keterangan (SHA-256)", 41))
MARGIN_MM = 18


@dataclass(frozen=True)
class Person:
    """Someone the berita acara names: full name (the username where none was given), NIP ("" for
    none) and role ("" for a name that is no kiosk user, as `--by` may give)."""

    name: str
    nip: str = ""
    role: str = ""


def people(session: Session, usernames: list[str]) -> list[Person]:
    """The users `usernames` as the paper names them, in the order given."""
    found = {u.username: u for u in session.scalars(select(UserAccount).where(UserAccount.username.in_(usernames)))}
    return [Person(found[u].name or u, found[u].nip or "", found[u].role) if u in found else Person(u)
            for u in usernames]


def signers(session: Session, pelaksana: list[Person]) -> list[Person | None]:
    """Who is named under each signature block (`SIGNATURES`): the one pelaksana of its role, and
    the one active Atasan PPID; None (a blank line to write on) where there is not exactly one."""
    atasan = list(session.scalars(select(UserAccount).where(UserAccount.role == "atasan", UserAccount.active)))
    named = []
    for _title, role in SIGNATURES:
        candidates = ([Person(u.name or u.username, u.nip or "", role) for u in atasan] if role == "atasan"
                      else [p for p in pelaksana if p.role == role])
        named.append(candidates[0] if len(candidates) == 1 else None)
    return named


def date_words(when: dt.datetime) -> str:
    """The day and date in words on the office's clock, kept on one line: "Senin, 7 Desember 2026"."""
    local = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone()
    return keep_together(f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year}")


def _styles() -> dict[str, ParagraphStyle]:
    return {"body": ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=14),
            "small": ParagraphStyle("small", fontName=REGULAR, fontSize=7, leading=9),
            "title": ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=17, alignment=1),
            "head": ParagraphStyle("head", fontName=BOLD, fontSize=10.5, leading=14, alignment=1),
            "agency": ParagraphStyle("agency", fontName=BOLD, fontSize=14, leading=18, alignment=1),
            "contact": ParagraphStyle("contact", fontName=REGULAR, fontSize=8.5, leading=11, alignment=1),
            "sign": ParagraphStyle("sign", fontName=REGULAR, fontSize=10, leading=13, alignment=1),
            "signer": ParagraphStyle("signer", fontName=BOLD, fontSize=10, leading=13, alignment=1)}


def letterhead(settings: Settings, styles: dict[str, ParagraphStyle]) -> list:
    """The agency's letterhead: PPID, the agency's name, how to reach the PPID, and a double rule."""
    story = [Paragraph(escape(PPID_NAME.upper()) + " (PPID)", styles["head"]),
             Paragraph(escape(settings.agency_name), styles["agency"])]
    if settings.ppid_contact.strip():
        story.append(Paragraph(escape(settings.ppid_contact), styles["contact"]))
    return [*story, Spacer(1, 1.5 * mm), HRFlowable(width="100%", thickness=1.6, color=colors.black, spaceAfter=0.8),
            HRFlowable(width="100%", thickness=0.5, color=colors.black, spaceAfter=5 * mm)]


def named(person: Person) -> str:
    """A pelaksana as the text names them: "Budi Santoso (NIP. 198503122010011002)"."""
    return escape(person.name) + (f" ({keep_together('NIP. ' + person.nip)})" if person.nip else "")


def write_pdf(path: Path, settings: Settings, *, number: str, when: dt.datetime, rows: list[dict],
              pelaksana: list[Person], signed_by: list[Person | None], replaces: str | None, anchor: audit.Head,
              withheld: Sequence[dict] = ()) -> None:
    """The berita acara; `withheld` rows are counted in its words and its table without being named."""
    register_fonts()
    styles = _styles()
    body, title = styles["body"], styles["title"]
    counted = [*rows, *withheld]
    pages = sum(r["pages"] for r in counted)
    paper = sum(1 for r in counted if r["origin"] == "kertas")
    story = [*letterhead(settings, styles), Paragraph("BERITA ACARA ALIH MEDIA ARSIP", title),
             Paragraph(f"Nomor: {escape(number)}", title), Spacer(1, 6 * mm),
             Paragraph(f"Pada hari ini, {date_words(when)}, bertempat di {escape(settings.berita_acara_place)}, "
                       f"telah dilaksanakan alih media arsip sebanyak {len(counted)} berkas ({pages} halaman): "
                       f"{paper} dari media kertas dan {len(counted) - paper} dari softcopy, ke media elektronik "
                       "PDF/A-2b dengan teks hasil pengenalan karakter (OCR).", body),
             Paragraph(f"Proses dan peralatan: pemindaian dengan pemindai dokumen melalui SANE, OCR tesseract "
                       f"(bahasa {escape(settings.ocr_languages)}), penyimpanan di penyimpanan internal PPID "
                       f"{escape(settings.agency_name)} dengan nilai hash SHA-256 untuk setiap berkas.", body),
             Paragraph(f"Pelaksana: {'; '.join(map(named, pelaksana)) or '-'}.", body)]
    if replaces:
        story.append(Paragraph(f"Berita acara ini menggantikan berita acara nomor {escape(replaces)}.", body))
    if withheld:
        story.append(Paragraph(f"Salinan tampilan tanpa nama informasi yang dikecualikan: {len(withheld)} berkas "
                               "dikecualikan dihitung tanpa disebutkan. Berita acara lengkap disimpan oleh PPID.",
                               body))
    story += [Spacer(1, 5 * mm), Paragraph("DAFTAR ARSIP ALIH MEDIA", title), Spacer(1, 3 * mm),
              table(rows, styles["small"], withheld), Spacer(1, 10 * mm),
              KeepTogether(signatures(signed_by, styles)),  # a signature is never parted from its name
              Spacer(1, 6 * mm), Paragraph(f"Log audit: catatan no. {anchor.seq}, SHA-256 {anchor.hash}",
                                           styles["small"])]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN_MM * mm, rightMargin=MARGIN_MM * mm, title=number,
                      initialFontName=REGULAR).build(story)


def table(rows: list[dict], style: ParagraphStyle, withheld: Sequence[dict] = ()) -> Table:
    """The daftar arsip alih media, its header repeated on every page."""
    data = [[Paragraph(h, style) for h, _width in COLUMNS]]
    data += [[Paragraph(escape(str(v)), style) for v in
              (r["no"], r["unit"], r["title"], keep_together(r["period"]), f"{r['pages']}{NBSP}hlm",
               r["classification"], f"{r['origin']}; {r['sha256']}")] for r in rows]
    if withheld:
        data.append([Paragraph(escape(v), style) for v in
                     ("-", "-", f"{len(withheld)} berkas dikecualikan (tidak disebutkan)", "-",
                      f"{sum(r['pages'] for r in withheld)}{NBSP}hlm", "-", "-")])
    grid = Table(data, colWidths=[width * mm for _head, width in COLUMNS], repeatRows=1)
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR),  # a table's default is Helvetica, not embedded
                              ("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    return grid


def signatures(signed_by: list[Person | None], styles: dict[str, ParagraphStyle]) -> Table:
    """A block per role: the role, room to sign, and under it the name line and the NIP line (a
    dotted line to write on where nobody is named, "NIP. -" for someone who has none)."""
    style = styles["sign"]
    names, nips = [], []
    for person in signed_by:
        names.append(Paragraph(f"<u>{escape(person.name)}</u>", styles["signer"]) if person
                     else Paragraph(BLANK_NAME, style))
        nips.append(Paragraph(keep_together(f"NIP. {person.nip or '-'}") if person else BLANK_NIP, style))
    cells = [[Paragraph(title, style) for title, _role in SIGNATURES], [Spacer(1, 22 * mm)] * 3, names, nips]
    width = (A4[0] / mm - 2 * MARGIN_MM - 6) / 3
    return Table(cells, colWidths=[width * mm] * 3, style=[("FONTNAME", (0, 0), (-1, -1), REGULAR),
                                                           ("VALIGN", (0, 0), (-1, -1), "TOP")])
