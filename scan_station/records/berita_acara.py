"""Berita acara alih media and its daftar arsip alih media (PP 28/2012; Peraturan ANRI 9/2018).

For one filed batch, or for the documents a unit filed in a month: a numbered berita acara under
the agency's letterhead (when, where, from which medium to which, how many, the process and the
equipment, who did it by full name and NIP, signature blocks with name lines) with the list of
what was digitised (no. urut, unit pengolah, jenis/judul, kurun waktu, jumlah halaman, kode
klasifikasi, SHA-256); the paper itself is set by `berita_acara_paper`. One PDF/A-2b document,
filed in storage and recorded; never altered: a correction is a new berita acara that names the
one it replaces.

Once printed and signed, the paper berita acara is scanned back like any document: it gets a
register entry of its own (`signed_copy_entry`, made when its cover sheet is first asked for),
whose summary names the digital original by number and SHA-256; the cover sheet, the scan and
the handover are the ordinary ones, and `listing` shows the signed copy beside its original.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pikepdf
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.roles import EXEMPT
from ..audit import log as audit
from ..core import storage
from ..core.config import Settings
from ..core.errors import BadArgumentsError, NotFoundError, OcrError
from ..db.database import Batch, BeritaAcara, Database, Document, Entry, utcnow
from ..ocr.pdfa_job import drop_presentation_keys
from ..papers import berita_acara as paper

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


@dataclass(frozen=True)
class Scope:
    """What a berita acara covers: one batch, or a unit's month."""

    batch_id: str | None = None
    month: tuple[int, int] | None = None
    unit: str | None = None

    def describe(self) -> str:
        if self.batch_id:
            return f"batch {self.batch_id}"
        assert self.month is not None  # a scope is a batch's or a unit's month
        return f"{self.month[0]}-{self.month[1]:02d} {self.unit}"


def documents_in(session: Session, scope: Scope) -> list[Document]:
    query = select(Document).join(Entry).order_by(Document.id)
    if scope.batch_id:
        if session.get(Batch, scope.batch_id) is None:
            raise NotFoundError(f"no filed batch {scope.batch_id}")
        query = query.where(Document.batch_id == scope.batch_id)
    else:
        assert scope.month is not None  # a scope is a batch's or a unit's month
        year, month = scope.month
        start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
        query = query.where(Document.filed_at >= start, Document.filed_at < end, Entry.unit == scope.unit)
    found = list(session.scalars(query))
    if not found:
        raise NotFoundError(f"nothing was filed for {scope.describe()}; no berita acara to make")
    return found


def next_number(session: Session, settings: Settings, when: dt.datetime) -> str:
    seq = (session.scalar(select(func.count()).select_from(BeritaAcara).where(BeritaAcara.year == when.year))
           or 0) + 1
    return settings.berita_acara_pattern.format(seq=seq, year=when.year, month=when.month,
                                                month_roman=ROMAN[when.month - 1])


def make(settings: Settings, db: Database, scope: Scope, *, by: str = "", replaces: str | None = None,
         actor: str = "") -> dict:
    """Write, file and record a new berita acara; its number, path (relative to the home) and SHA-256.
    `by`: who is named as pelaksana; `actor`: who the audit log records (default: `by`)."""
    from ..ocr.pdfa_job import OcrJob
    from ..ocr.pool import OcrPool

    now = utcnow()
    work = settings.work_dir / f"ba-{now:%Y%m%d%H%M%S%f}"
    work.mkdir(parents=True)
    try:
        with db.session() as session:
            if replaces and session.scalar(select(BeritaAcara).where(BeritaAcara.number == replaces)) is None:
                raise BadArgumentsError(f"no berita acara {replaces} to replace")
            documents = documents_in(session, scope)
            number = next_number(session, settings, now)
            anchor = audit.record(session, actor or by, "berita_acara.make", number, scope=scope.describe(),
                                  documents=[d.id for d in documents], replaces=replaces)
            rows = [_row(i, d) for i, d in enumerate(documents, start=1)]
            draft = work / "draft.pdf"
            paper.write_pdf(draft, settings, number=number, when=now, rows=rows, replaces=replaces, anchor=anchor,
                            **_named(session, documents, by))
            _drop_page_transitions(draft)
            job = OcrJob(key="berita-acara", input_pdf=draft, output_pdf=work / "ba.pdf", languages=("ind",), jobs=1,
                         max_image_mpixels=settings.max_image_megapixels, skip_text=True,
                         metadata={"title": f"Berita Acara Alih Media {number}", "identifier": number,
                                   "type": ["Berita Acara Alih Media"]})
            with OcrPool(1) as pool:  # in a child: ocrmypdf is not thread-safe, and sets Pillow's limits
                result = pool.collect({"ba": pool.submit(job)})["ba"]
            if not result.pdfa_passed:
                raise OcrError(f"berita acara {number}: not valid PDF/A-2b ({'; '.join(result.pdfa_findings)})")
            rel = Path("berita-acara") / str(now.year) / f"{storage.slug(number)}.pdf"
            sha = storage.atomic_copy(result.output_pdf, settings.storage_dir / rel)
            session.add(BeritaAcara(number=number, year=now.year, created_at=now, created_by=by,
                                    scope=scope.describe(), document_ids=[d.id for d in documents], path=str(rel),
                                    sha256=sha, replaces=replaces, audit_seq=anchor.seq, audit_hash=anchor.hash))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"number": number, "path": settings.display_path(settings.storage_dir / rel), "sha256": sha,
            "documents": len(rows), "pages": sum(r["pages"] for r in rows), "replaces": replaces}


def _named(session: Session, documents: list[Document], by: str) -> dict:
    """The pelaksana (who confirmed the batches, and `by`) by full name and NIP, in order of name,
    and who is named under each signature."""
    usernames = sorted({d.batch.submitted_by for d in documents if d.batch.submitted_by} | ({by} - {""}))
    pelaksana = sorted(paper.people(session, usernames), key=lambda p: p.name.casefold())
    return {"pelaksana": pelaksana, "signed_by": paper.signers(session, pelaksana)}


def _drop_page_transitions(path: Path) -> None:
    """Reportlab writes /Trans on every page, which PDF/A has no use for (and ocrmypdf refuses)."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for page in pdf.pages:
            drop_presentation_keys(page)
        pdf.save(path)


def _row(n: int, d: Document) -> dict:
    e = d.entry
    return {"no": n, "unit": e.unit, "title": f"{e.title} ({e.id} v{d.version})", "period":
            e.created_date.strftime("%d-%m-%Y") if e.created_date else "", "pages": d.page_count,
            "classification": e.classification or "", "sha256": d.sha256,
            "origin": "softcopy" if d.origin else "kertas"}


SIGNED_UNIT = "PPID"


def shown_to(settings: Settings, db: Database, record_id: int, hidden: tuple[str, ...]) -> bytes | None:
    """Berita acara `record_id` for someone who may not see the categories `hidden`: the same
    text and counts, its rows of those categories counted without being named (not the stored
    PDF/A, which stays the record); None when it names nothing hidden."""
    with db.session() as session:
        record = session.get(BeritaAcara, record_id)
        if record is None:
            raise NotFoundError(f"no berita acara {record_id}")
        listed = [session.get(Document, i) for i in record.document_ids]
        documents = [d for d in listed if d is not None]
        if not any(d.entry.category in hidden for d in documents):
            return None
        shown = [d for d in documents if d.entry.category not in hidden]
        withheld = [_row(0, d) for d in documents if d.entry.category in hidden]
        rows = [_row(i, d) for i, d in enumerate(shown, start=1)]
        anchor = audit.Head(record.audit_seq or 0, record.audit_hash or "")
        work = settings.work_dir / f"ba-view-{secrets.token_hex(8)}"
        work.mkdir(parents=True)
        try:
            paper.write_pdf(work / "ba.pdf", settings, number=record.number, when=record.created_at, rows=rows,
                            replaces=record.replaces, anchor=anchor, withheld=withheld,
                            **_named(session, documents, record.created_by))
            return (work / "ba.pdf").read_bytes()
        finally:
            shutil.rmtree(work, ignore_errors=True)


def record_id(db: Database, number: str) -> int:
    with db.session() as session:
        found = session.scalar(select(BeritaAcara.id).where(BeritaAcara.number == number))
    if found is None:
        raise NotFoundError(f"no berita acara {number}")
    return found


def signed_copy_entry(settings: Settings, db: Database, record_id: int, *, actor: str = "-") -> str:
    """The register id under which berita acara `record_id`'s signed paper is scanned back; the
    entry is made the first time, and only once, however many ask at the same moment."""
    try:
        return _link_signed_copy(settings, db, record_id, actor)
    except IntegrityError:  # two taps at once both made an entry of the same id: the first one won
        with db.session() as session:
            record = session.get(BeritaAcara, record_id)
            assert record is not None  # `_link_signed_copy` found it before the clash
            return record.register_id or _link_signed_copy(settings, db, record_id, actor)


def _link_signed_copy(settings: Settings, db: Database, record_id: int, actor: str) -> str:
    from ..register import add_entry

    with db.session() as session:
        record = session.get(BeritaAcara, record_id)
        if record is None:
            raise NotFoundError(f"no berita acara {record_id}")
        if record.register_id:
            return record.register_id
        names_exempt = any(d is not None and d.entry.category == EXEMPT
                           for d in (session.get(Document, i) for i in record.document_ids))
        entry = add_entry(session, settings, actor=actor,
                          title=f"Berita Acara Alih Media {record.number} (bertanda tangan)",
                          unit=SIGNED_UNIT, category=EXEMPT if names_exempt else "setiap-saat",
                          created_date=record.created_at.date().isoformat(),
                          summary=f"Pindaian berita acara alih media nomor {record.number} yang telah ditandatangani; "
                                  f"dokumen elektronik aslinya: SHA-256 {record.sha256}.")
        # an UPDATE's result is a CursorResult (with rowcount); Session.execute is typed as returning any Result
        taken = cast(CursorResult[Any], session.execute(
            update(BeritaAcara).where(BeritaAcara.id == record_id, BeritaAcara.register_id.is_(None))
            .values(register_id=entry.id))).rowcount
        if taken:
            return entry.id
        session.rollback()  # another request linked one first: theirs it is, ours is not kept
        record = session.get(BeritaAcara, record_id)
        assert record is not None and record.register_id is not None  # the update found it linked already
        return record.register_id


def listing(db: Database) -> list[dict]:
    """Every berita acara, with its signed copy's latest filed version where one was scanned back."""
    with db.session() as session:
        records = list(session.scalars(select(BeritaAcara).order_by(BeritaAcara.id)))
        linked = [b.register_id for b in records if b.register_id]
        signed: dict[str | None, dict] = {d.register_id: {"document_id": d.id, "version": d.version, "status": d.status}
                  for d in session.scalars(select(Document).where(Document.register_id.in_(linked))
                                           .order_by(Document.version))}
        return [{"id": b.id, "number": b.number, "created_at": b.created_at, "scope": b.scope, "path": b.path,
                 "sha256": b.sha256, "replaces": b.replaces, "register_id": b.register_id,
                 "signed": signed.get(b.register_id)} for b in records]
