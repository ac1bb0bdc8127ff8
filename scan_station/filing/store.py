"""Putting a batch into PPID storage: the raw batch as received (`keep_raw`), then its documents
(`file_documents`), each a new version with its sidecar, recorded and indexed — all of a batch's
documents or none. Only this module and `storage` write into the storage folder.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import search
from .._exec import tool_versions
from ..audit import log as audit
from ..core import crash_points, storage
from ..core.config import Settings
from ..core.errors import StorageError
from ..core.model import BatchOutcome, DocumentStatus, OcrResult, PageCheck, PageClass
from ..core.sidecar import Sidecar, SidecarBatch, SidecarPage
from ..db.database import Batch, Database, Document, DocumentEvent, DocumentPage, Entry, HeldPages, utcnow
from ..pages.batch_input import BatchInput
from ..pages.split import PlannedDocument, SplitResult
from ..register import entry_dict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """Who and what: the batch being filed, wherever it came from."""

    batch_id: str
    received_at: dt.datetime
    source: Path
    submitted_by: str = ""
    reviewed: bool = False
    #: Softcopies handed over (not scanned): {"kind": "softcopy", "files": [...]}, see `softcopy`.
    origin: dict | None = None


@dataclass(frozen=True)
class RawBatch:
    relpath: Path  # of its folder, relative to the storage folder
    manifest_sha256: str


@dataclass(frozen=True)
class FiledDocument:
    register_id: str
    version: int
    batch_pages: list[int]
    page_count: int
    path: str  # of the PDF, relative to the home folder
    sha256: str
    pages_to_check: list[int] = field(default_factory=list)  # batch pages the officer should look at

    def as_dict(self) -> dict:
        return asdict(self)


def _page_record(number: int, origin, page: PageClass) -> dict:
    return {"page": number, "file": origin.file, "frame": origin.frame, "kind": page.kind,
            "register_id": page.register_id, "problem": page.problem, "maybe_blank": page.maybe_blank,
            "reason": page.reason, "measure": page.measure}


def keep_raw(settings: Settings, db: Database, received: Received, batch: BatchInput, pages: list[PageClass],
             plan: SplitResult, removed: list[int]) -> RawBatch:
    """Store the batch exactly as received, with SHA-256s, and record it and its held pages: from
    here on, no scanned page can be lost. A batch whose filing failed after this step keeps what
    was stored: filed again, it adds only its new pages and a manifest of its own that names the
    one before (stored files are never rewritten)."""
    earlier = _earlier_attempt(db, received.batch_id)
    relpath = Path(earlier.raw_dir) if earlier else storage.batch_relpath(year=received.received_at.year,
                                                                         batch_id=received.batch_id)
    dest = settings.storage_dir / relpath
    size = sum(p.stat().st_size for p in batch.raw_files)
    storage.check_free_space(settings.storage_dir, size + 1_000_000)
    files = [keep_file(path, dest) for path in batch.raw_files]
    crash_points.point("raw.files_kept")
    manifest = {
        "batch": received.batch_id, "received_at": received.received_at.isoformat(), "source": str(received.source),
        "files": files,
        "pages": [_page_record(n, o, p) for n, (o, p) in enumerate(zip(batch.origins, pages, strict=False), start=1)],
        "submitted_by": received.submitted_by, "reviewed": received.reviewed, "removed_pages": removed,
        "audit_head": audit.head(db).as_dict(),  # an anchor: the log cannot lose its tail unnoticed
        "blank_pages": plan.blank_pages,
        "held": [{"batch_pages": g.batch_pages, "cover_page": g.cover_page, "register_id": g.register_id,
                  "reason": g.reason} for g in plan.held],
    }
    if received.origin:
        manifest["origin"] = received.origin
    name, previous = manifest_name(dest)
    if previous:  # an earlier attempt's, recorded or not (its process died first): chained
        manifest["previous_manifest"] = previous
    manifest_sha = storage.atomic_write_json(dest / name, manifest)
    crash_points.point("raw.manifest_written")
    with db.session() as session:
        row = session.get(Batch, received.batch_id) or Batch(id=received.batch_id, received_at=received.received_at)
        row.source_name, row.raw_dir, row.manifest_name, row.manifest_sha256 = (received.source.name, str(relpath),
                                                                               name, manifest_sha)
        row.page_count, row.status, row.error = batch.page_count, BatchOutcome.RECEIVED, ""
        row.blank_pages, row.submitted_by = plan.blank_pages, received.submitted_by
        session.add(row)
        session.execute(delete(HeldPages).where(HeldPages.batch_id == received.batch_id))  # as this attempt says
        session.flush()
        for group in plan.held:
            session.add(HeldPages(batch_id=received.batch_id, batch_pages=group.batch_pages,
                                  cover_page=group.cover_page, register_id=group.register_id, reason=group.reason))
    crash_points.point("raw.recorded")
    return RawBatch(relpath, manifest_sha)


@dataclass(frozen=True)
class _Attempt:
    raw_dir: str
    manifest_name: str
    manifest_sha256: str


def _earlier_attempt(db: Database, batch_id: str) -> _Attempt | None:
    """The raw batch kept by an earlier attempt to file this batch, which then failed."""
    with db.session() as session:
        row = session.get(Batch, batch_id)
        if row is None:
            return None
        if row.status == BatchOutcome.FILED:
            raise StorageError(f"batch {batch_id} is filed already; scan the pages again as a new batch")
        return _Attempt(row.raw_dir, row.manifest_name, row.manifest_sha256)


def keep_file(path: Path, dest: Path) -> dict:
    target = dest / path.name
    if target.exists():  # kept by an earlier attempt: the same bytes, or something is badly wrong
        sha = storage.sha256_file(target)
        if sha != storage.sha256_file(path):
            raise StorageError(f"{target}: stored already with other content; nothing was changed — "
                               "run `scan-station verify` and tell the PPID")
    else:
        sha = storage.atomic_copy(path, target)
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": sha}


def manifest_name(dest: Path) -> tuple[str, dict | None]:
    """The name of a raw batch's next manifest, and the one before it ({name, sha256}) if any."""
    latest = _latest_manifest(dest)
    if latest is None:
        return "batch.json", None
    return _next_manifest_name(dest), {"name": latest.name, "sha256": storage.sha256_file(latest)}


def _latest_manifest(dest: Path) -> Path | None:
    """The newest manifest in a raw batch folder: batch.json, batch-2.json, ..."""
    found = {1: dest / "batch.json"} if (dest / "batch.json").is_file() else {}
    found |= {int(p.stem[6:]): p for p in dest.glob("batch-*.json") if p.stem[6:].isdigit()}
    return found[max(found)] if found else None


def _next_manifest_name(dest: Path) -> str:
    n = 2
    while (dest / f"batch-{n}.json").exists():
        n += 1
    return f"batch-{n}.json"


def file_documents(settings: Settings, db: Database, received: Received, raw: RawBatch,
                   documents: list[tuple[PlannedDocument, OcrResult]], *, checks: Sequence[PageCheck] = (),
                   on_filed=None) -> list[FiledDocument]:
    """File every document of the batch, or none: each as its entry's next version (nothing is
    ever overwritten), with its sidecar, recorded as submitted, its text indexed. `checks`: the
    pages the officer should look at (`page_checks.collect`), recorded with their documents."""
    if not documents:
        return []
    needed = sum(result.output_pdf.stat().st_size + 200_000 for _planned, result in documents)
    storage.check_free_space(settings.storage_dir, needed)
    tools = tool_versions()
    written: list[Path] = []
    filed = []
    try:
        with db.session() as session:
            for planned, result in documents:
                mine = [c for c in checks if c.page in planned.batch_pages]
                filed.append(_file_one(settings, session, received, raw, planned, result, tools, written, mine))
                if on_filed:
                    on_filed(filed[-1])
            batch = session.get(Batch, received.batch_id)
            assert batch is not None  # recorded by `keep_raw`, the step before filing
            batch.status, batch.error = BatchOutcome.FILED, ""  # with its documents, in one commit
            crash_points.point("filing.before_commit")
    except BaseException:
        for path in written:  # created by this run under new names: nothing existing is touched
            path.unlink(missing_ok=True)
        raise
    crash_points.point("filing.committed")
    return filed


def _file_one(settings: Settings, session: Session, received: Received, raw: RawBatch, planned: PlannedDocument,
              result: OcrResult, tools: dict, written: list[Path], checks: list[PageCheck]) -> FiledDocument:
    # Filings of one entry queue here until commit, so that a file already at the next version's
    # path can only be a leftover of a process that died before its commit: it is cleared away.
    session.execute(update(Entry).where(Entry.id == planned.register_id).values(updated_at=Entry.updated_at))
    entry = session.get(Entry, planned.register_id)
    assert entry is not None  # a plan files only entries in the register (`final_plan`), never deleted
    last = session.scalar(select(func.max(Document.version)).where(Document.register_id == entry.id))
    version = (last or 0) + 1
    year = entry.created_date.year if entry.created_date else received.received_at.year
    rel_pdf = storage.document_relpath(year=year, unit=entry.unit, register_id=entry.id, version=version)
    pdf_path = settings.storage_dir / rel_pdf
    _clear_unrecorded(pdf_path)
    sha = storage.atomic_copy(result.output_pdf, pdf_path)
    written.append(pdf_path)
    crash_points.point("filing.pdf")
    filed_at = utcnow()
    rel_json = rel_pdf.with_suffix(".json")
    document = Document(register_id=entry.id, version=version, batch_id=received.batch_id,
                        batch_pages=planned.batch_pages, page_count=len(result.page_texts), path=str(rel_pdf),
                        sha256=sha, sidecar_path=str(rel_json), sidecar_sha256="", filed_at=filed_at,
                        origin=received.origin, pages_to_check=[c.as_dict() for c in checks])
    session.add(document)
    session.flush()  # its id goes into the sidecar, so that `rebuild` gives it the same id again
    sidecar = Sidecar(
        register_id=entry.id, version=version, document_id=document.id, file=rel_pdf.name, sha256=sha,
        bytes=pdf_path.stat().st_size, page_count=len(result.page_texts), register=entry_dict(entry),
        registered_at=_iso(entry.registered_at), updated_at=_iso(entry.updated_at),
        batch=SidecarBatch(received.batch_id, planned.batch_pages, str(raw.relpath), planned.cover_page),
        pdfa={"flavour": "PDF/A-2b", "validation_passed": result.pdfa_passed, "findings": result.pdfa_findings},
        tools=tools, filed_at=filed_at.isoformat(), submitted_by=received.submitted_by or "-",
        origin=received.origin, pages=_sidecar_pages(planned, result, checks),
        pages_to_check=[c.as_dict() for c in checks],
    )
    document.sidecar_sha256 = storage.atomic_write_json(settings.storage_dir / rel_json, sidecar.to_json())
    written.append(settings.storage_dir / rel_json)
    crash_points.point("filing.sidecar")
    session.add(
        DocumentEvent(document_id=document.id, action=DocumentStatus.SUBMITTED, actor=received.submitted_by or "-",
                      at=filed_at)
    )
    audit.record(session, received.submitted_by, "document.filed", f"{entry.id} v{version}", sha256=sha,
                 pages=len(result.page_texts), batch=received.batch_id, path=str(rel_pdf))
    for n, (bp, page_text) in enumerate(zip(planned.batch_pages, result.page_texts, strict=False), start=1):
        session.add(DocumentPage(document_id=document.id, page=n, batch_page=bp, text=page_text))
    search.index_document(session, document, entry, result.page_texts)
    crash_points.point("filing.indexed")
    return FiledDocument(entry.id, version, planned.batch_pages, len(result.page_texts),
                         settings.display_path(pdf_path), sha, sorted({c.page for c in checks}))


def _sidecar_pages(planned: PlannedDocument, result: OcrResult, checks: list[PageCheck]) -> list[SidecarPage]:
    """Each page's text, readability verdict (pages read one by one) and the checks it fails."""
    verdicts = result.page_readability or [None] * len(result.page_texts)
    return [SidecarPage(n, bp, text, verdict, [c.code for c in checks if c.page == bp])
            for n, (bp, text, verdict) in enumerate(zip(planned.batch_pages, result.page_texts, verdicts,
                                                        strict=False), start=1)]


def _clear_unrecorded(pdf_path: Path) -> None:
    """Remove what a filing that never committed left at this version's paths (its PDF, sidecar,
    decision files): no record names them, and the version is being filed now."""
    for leftover in [pdf_path, pdf_path.with_suffix(".json"), *pdf_path.parent.glob(f"{pdf_path.stem}.event-*.json")]:
        if leftover.exists():
            log.warning("%s: left by a filing that did not finish; filed again now", leftover)
            leftover.unlink()


def already_filed(db: Database, batch_id: str) -> bool:
    """Whether the batch's documents are in storage and the database (committed together)."""
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        return batch is not None and batch.status == BatchOutcome.FILED


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


def set_batch_status(db: Database, batch_id: str, status: str, error: str = "") -> None:
    with db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is not None:
            batch.status, batch.error = status, error
