"""Ingest: a scanned batch becomes filed, searchable PDF/A documents.

The steps run in this order, each `step(ctx)` reading what the ones before it left in the context:

1. `read`      — check the batch and get all its pages as one PDF (nothing is written on failure).
2. `classify`  — cover sheet / blank / content for every page. As soon as a cover sheet closes
                 the document before it, that document is built from the batch's own pages (no
                 re-rendering) and its OCR starts in the pool, while classification goes on.
3. `split`     — the final word: documents per cover sheet, held pages with reasons, blank pages.
                 OCR already started for a document that this holds is discarded.
4. `keep_raw`  — store the batch exactly as received, with SHA-256s, and record it and its held
                 pages in the database: from here on, no scanned page can be lost.
5. `ocr`       — wait for the OCR of every document to file (PDF/A-2b with XMP metadata).
6. `file`      — copy into storage (new version, never overwriting), write sidecars, index the
                 text; all documents of the batch or none.

Everything before `file` happens in the batch's work folder; only `keep_raw` and `file` touch
storage, and the work folder is removed at the end whatever happened.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from sqlalchemy import func, select

from . import search, storage
from ._exec import tool_versions
from ._exec.ocrmypdf import OcrJob, OcrResult
from .batch_input import BatchInput, read_batch
from .classify import COVER, PageClass, classify_pdf
from .config import Settings
from .db import Batch, Database, Document, DocumentEvent, DocumentPage, Entry, HeldPages, utcnow
from .errors import UnknownEntryError
from .ocr import OcrPool, page_threads
from .register import entry_dict
from .split import PlannedDocument, SplitResult, split as split_pages

Progress = Callable[[str, dict], None]


@dataclass
class IngestContext:
    settings: Settings
    db: Database
    source: Path
    batch_id: str
    received_at: dt.datetime
    work: Path
    on_progress: Progress
    classified: list[PageClass] | None = None  # pages already classified while being scanned
    reviewed: SplitResult | None = None  # the split as an officer corrected and confirmed it
    submitted_by: str = ""  # who confirmed the batch at the kiosk
    batch: BatchInput | None = None
    pages: list[PageClass] = field(default_factory=list)
    plan: SplitResult | None = None
    raw_dir: Path | None = None  # relative to storage
    pool: OcrPool | None = None
    known_ids: dict[str, bool] = field(default_factory=dict)  # register id -> in the register?
    started: dict[tuple, Future] = field(default_factory=dict)  # document signature -> its OCR
    ocr_results: dict[tuple, OcrResult] = field(default_factory=dict)
    filed: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step

    def removed_pages(self) -> list[int]:
        """Pages an officer removed at review: kept in the raw batch, filed nowhere."""
        if self.reviewed is None:
            return []
        used = {n for group in [*self.plan.documents, *self.plan.held] for n in group.batch_pages}
        used |= set(self.plan.blank_pages) | {p.number for p in self.pages if p.kind == COVER}
        return [p.number for p in self.pages if p.number not in used]


def new_batch_id(now: dt.datetime) -> str:
    return f"B{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2).upper()}"


def _signature(planned: PlannedDocument) -> tuple:
    return (planned.register_id, planned.cover_page, tuple(planned.batch_pages), planned.rotate,
            tuple(sorted(planned.turns.items())))


# -- the steps -----------------------------------------------------------------------------------


def read(ctx: IngestContext) -> None:
    ctx.batch = read_batch(ctx.source, ctx.work, ctx.settings)
    ctx.on_progress("read", {"pages": ctx.batch.page_count})


def classify(ctx: IngestContext) -> None:
    pages = ctx.classified if ctx.classified and len(ctx.classified) == ctx.batch.page_count else classify_pdf(
        ctx.batch.pdf, dpi=ctx.settings.classify_dpi
    )
    for page in pages:
        if page.kind == COVER and ctx.reviewed is None:
            _start_ocr(ctx, final=False)  # the document before this cover is complete
        ctx.pages.append(page)
        ctx.on_progress("classify", {"page": page.number, "kind": page.kind, "register_id": page.register_id,
                                     "decode_ms": round(page.decode_ms, 1)})


def _known(ctx: IngestContext) -> set[str]:
    new = {p.register_id for p in ctx.pages if p.register_id} - ctx.known_ids.keys()
    if new:
        with ctx.db.session() as session:
            found = set(session.scalars(select(Entry.id).where(Entry.id.in_(new))))
        ctx.known_ids.update({i: i in found for i in new})
    return {i for i, known in ctx.known_ids.items() if known}


def _start_ocr(ctx: IngestContext, *, final: bool) -> None:
    """Submit the OCR of every document that is complete and not yet submitted."""
    plan = ctx.plan if final else split_pages(ctx.pages, _known(ctx))
    waiting = [d for d in plan.documents if _signature(d) not in ctx.started]
    if not waiting:
        return
    languages = tuple(ctx.settings.ocr_languages.split("+"))
    with pikepdf.open(ctx.batch.pdf) as batch_pdf, ctx.db.session() as session:
        for index, planned in enumerate(waiting):
            key = f"doc-p{planned.cover_page:04d}"
            source = ctx.work / f"{key}.in.pdf"
            with pikepdf.new() as doc:
                for number in planned.batch_pages:
                    doc.pages.append(batch_pdf.pages[number - 1])
                    if planned.turn(number):
                        doc.pages[-1].rotate(planned.turn(number), relative=True)
                doc.save(source)
            threads = page_threads(ctx.settings.workers, last=final and index == len(waiting) - 1)
            job = OcrJob(
                key=key, input_pdf=source, output_pdf=ctx.work / f"{key}.pdf", languages=languages,
                jobs=min(threads, len(planned.batch_pages)), max_image_mpixels=ctx.settings.max_image_megapixels,
                metadata=_dublin_core(session.get(Entry, planned.register_id)),
            )
            ctx.started[_signature(planned)] = ctx.pool.submit(job)


def split(ctx: IngestContext) -> None:
    if ctx.reviewed is None:
        ctx.plan = split_pages(ctx.pages, _known(ctx))
        return
    wanted = {d.register_id for d in ctx.reviewed.documents}
    with ctx.db.session() as session:
        missing = wanted - set(session.scalars(select(Entry.id).where(Entry.id.in_(wanted))))
    if missing:
        raise UnknownEntryError(f"not in the register: {', '.join(sorted(missing))}; correct the review")
    ctx.plan = ctx.reviewed


def keep_raw(ctx: IngestContext) -> None:
    raw_dir = storage.batch_relpath(year=ctx.received_at.year, batch_id=ctx.batch_id)
    dest = ctx.settings.storage_dir / raw_dir
    size = sum(p.stat().st_size for p in ctx.batch.raw_files)
    storage.check_free_space(ctx.settings.storage_dir, size + 1_000_000)
    files = []
    for path in ctx.batch.raw_files:
        sha = storage.atomic_copy(path, dest / path.name)
        files.append({"name": path.name, "bytes": path.stat().st_size, "sha256": sha})
    manifest = {
        "batch": ctx.batch_id,
        "received_at": ctx.received_at.isoformat(),
        "source": str(ctx.source),
        "files": files,
        "pages": [
            {"page": n, "file": o.file, "frame": o.frame, "kind": p.kind, "register_id": p.register_id,
             "problem": p.problem, "maybe_blank": p.maybe_blank, "reason": p.reason, "measure": p.measure}
            for n, (o, p) in enumerate(zip(ctx.batch.origins, ctx.pages), start=1)
        ],
        "submitted_by": ctx.submitted_by,
        "reviewed": ctx.reviewed is not None,
        "removed_pages": ctx.removed_pages(),
    }
    manifest_sha = storage.atomic_write_json(dest / "batch.json", manifest)
    ctx.raw_dir = raw_dir
    with ctx.db.session() as session:
        session.add(Batch(
            id=ctx.batch_id, received_at=ctx.received_at, source_name=ctx.source.name,
            raw_dir=str(raw_dir), manifest_sha256=manifest_sha,
            page_count=ctx.batch.page_count, status="received", blank_pages=ctx.plan.blank_pages,
            submitted_by=ctx.submitted_by,
        ))
        session.flush()
        for group in ctx.plan.held:
            session.add(HeldPages(
                batch_id=ctx.batch_id, batch_pages=group.batch_pages, cover_page=group.cover_page,
                register_id=group.register_id, reason=group.reason,
            ))


def _dublin_core(entry: Entry) -> dict:
    return {
        "title": entry.title,
        "identifier": entry.id,
        "description": entry.summary,
        "creator": entry.responsible or None,
        "publisher": entry.unit,
        "subject": [s for s in (entry.category, entry.classification, entry.unit) if s],
        "date": entry.created_date.isoformat() if entry.created_date else None,
        "source": entry.number or None,
        "coverage": entry.place or None,
        "type": "Text",
    }


def ocr(ctx: IngestContext) -> None:
    _start_ocr(ctx, final=True)
    wanted = {_signature(d): ctx.started[_signature(d)] for d in ctx.plan.documents}
    for signature, future in ctx.started.items():
        if signature not in wanted:
            future.cancel()  # held after all: its OCR, if already done, is simply not used
    ctx.ocr_results = ctx.pool.collect(
        wanted, on_done=lambda r: ctx.on_progress("ocr", {"document": r.key, "pages": len(r.page_texts)})
    )


def file(ctx: IngestContext) -> None:
    if not ctx.plan.documents:
        return
    needed = sum(r.output_pdf.stat().st_size + 200_000 for r in ctx.ocr_results.values())
    storage.check_free_space(ctx.settings.storage_dir, needed)
    tools = tool_versions()
    written: list[Path] = []
    try:
        with ctx.db.session() as session:
            for planned in ctx.plan.documents:
                result = ctx.ocr_results[_signature(planned)]
                ctx.filed.append(_file_one(ctx, session, planned, result, tools, written))
    except BaseException:
        for path in written:  # created by this run under new names: nothing existing is touched
            path.unlink(missing_ok=True)
        ctx.filed.clear()
        raise


def _file_one(ctx, session, planned, result: OcrResult, tools: dict, written: list[Path]) -> dict:
    entry = session.get(Entry, planned.register_id)
    last = session.scalar(select(func.max(Document.version)).where(Document.register_id == entry.id))
    version = (last or 0) + 1
    year = entry.created_date.year if entry.created_date else ctx.received_at.year
    rel_pdf = storage.document_relpath(year=year, unit=entry.unit, register_id=entry.id, version=version)
    rel_json = rel_pdf.with_suffix(".json")
    pdf_path = ctx.settings.storage_dir / rel_pdf
    sha = storage.atomic_copy(result.output_pdf, pdf_path)
    written.append(pdf_path)
    filed_at = utcnow()
    sidecar = {
        "register_id": entry.id,
        "version": version,
        "file": rel_pdf.name,
        "sha256": sha,
        "bytes": pdf_path.stat().st_size,
        "page_count": len(result.page_texts),
        "register": entry_dict(entry),
        "batch": {"id": ctx.batch_id, "raw_dir": str(ctx.raw_dir), "cover_page": planned.cover_page,
                  "batch_pages": planned.batch_pages},
        "pdfa": {"flavour": "PDF/A-2b", "validation_passed": result.pdfa_passed,
                 "findings": result.pdfa_findings},
        "tools": tools,
        "filed_at": filed_at.isoformat(),
        "pages": [
            {"page": n, "batch_page": bp, "text": t}
            for n, (bp, t) in enumerate(zip(planned.batch_pages, result.page_texts), start=1)
        ],
    }
    json_path = ctx.settings.storage_dir / rel_json
    sidecar_sha = storage.atomic_write_json(json_path, sidecar)
    written.append(json_path)
    document = Document(
        register_id=entry.id, version=version, batch_id=ctx.batch_id, batch_pages=planned.batch_pages,
        page_count=len(result.page_texts), path=str(rel_pdf), sha256=sha, sidecar_path=str(rel_json),
        sidecar_sha256=sidecar_sha, filed_at=filed_at,
    )
    session.add(document)
    session.flush()
    session.add(DocumentEvent(document_id=document.id, action="submitted", actor=ctx.submitted_by or "-", at=filed_at))
    for n, (bp, page_text) in enumerate(zip(planned.batch_pages, result.page_texts), start=1):
        session.add(DocumentPage(document_id=document.id, page=n, batch_page=bp, text=page_text))
    search.index_document(session, document, entry, result.page_texts)
    ctx.on_progress("filed", {"register_id": entry.id, "version": version})
    return {
        "register_id": entry.id, "version": version, "batch_pages": planned.batch_pages,
        "page_count": len(result.page_texts), "path": ctx.settings.display_path(pdf_path), "sha256": sha,
    }


STEPS = (read, classify, split, keep_raw, ocr, file)


def _set_batch_status(db: Database, batch_id: str, status: str, error: str = "") -> None:
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is not None:
            batch.status, batch.error = status, error


def ingest(
    source: Path, *, settings: Settings, db: Database, on_progress: Progress | None = None,
    batch_id: str | None = None, classified: list[PageClass] | None = None,
    plan: SplitResult | None = None, submitted_by: str = "",
) -> dict:
    """Run every step on one batch and return the summary that `scan-station ingest --json` prints.
    A scanned batch passes its own id and the pages it classified while scanning; a batch reviewed
    at the kiosk passes the `plan` the officer confirmed, and who confirmed it."""
    received_at = utcnow()
    batch_id = batch_id or new_batch_id(received_at)
    ctx = IngestContext(
        settings=settings, db=db, source=Path(source), batch_id=batch_id, received_at=received_at,
        work=settings.work_dir / batch_id, on_progress=on_progress or (lambda _s, _i: None),
        classified=classified, reviewed=plan, submitted_by=submitted_by,
    )
    ctx.work.mkdir(parents=True, exist_ok=True)
    try:
        with OcrPool(settings.workers) as ctx.pool:
            for step in STEPS:
                started = time.perf_counter()
                step(ctx)
                ctx.timings[step.__name__] = round(time.perf_counter() - started, 3)
    except BaseException as exc:
        if ctx.raw_dir is not None:  # the raw batch is kept; the batch can be ingested again
            _set_batch_status(db, batch_id, "failed", str(exc) or type(exc).__name__)
        raise
    finally:
        shutil.rmtree(ctx.work, ignore_errors=True)
    _set_batch_status(db, batch_id, "filed")
    return {
        "batch": batch_id,
        "pages": ctx.batch.page_count,
        "documents": ctx.filed,
        "held": [
            {"batch_pages": g.batch_pages, "reason": g.reason, "cover_page": g.cover_page,
             "register_id": g.register_id}
            for g in ctx.plan.held
        ],
        "blank_pages": ctx.plan.blank_pages,
        "removed_pages": ctx.removed_pages(),
        "raw_batch": settings.display_path(settings.storage_dir / ctx.raw_dir),
        "timings": ctx.timings,
    }
