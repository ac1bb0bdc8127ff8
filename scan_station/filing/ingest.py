"""Ingest: a scanned batch becomes filed, searchable PDF/A documents.

`ingest(source, settings=, db=, options=)` takes what is filed as one `IngestSource` (a batch
file, a scan batch, softcopies: `sources`), tells its steps as `IngestEvent`s and returns an
`IngestResult`. The steps, in order, each handed what the ones before it produced:

1. `read_batch`             -> the batch checked, its pages and where each one's pixels are
                               (`BatchInput`); nothing is written on failure.
2. `classify_and_start_ocr` -> cover / blank / content for every page. **OCR overlaps this step:**
                               each content page's OCR starts in the pool as soon as it is
                               classified (`ocr.batch.PageOcr`; a kiosk batch's pages were mostly read
                               while it was scanned, and their results are kept with it).
3. `final_plan`             -> the final word (`SplitResult`): documents, held pages with reasons,
                               blank pages — the cover sheets', or the one an officer reviewed.
4. `store.keep_raw`         -> the batch stored exactly as received, with SHA-256s, and recorded:
                               from here on, no scanned page can be lost.
5. `PageOcr.results`        -> each document to file assembled from its pages' results as PDF/A-2b
                               with XMP metadata, validated (`assemble`); a page turned at review is
                               read again. Softcopies instead go whole through ocrmypdf
                               (`DocumentOcr`), keeping the text their pages carry.
6. `store.file_documents`   -> each document a new version in storage with its sidecar, recorded,
                               indexed; all of the batch's documents or none.

Everything before filing happens in the batch's work folder, removed at the end whatever happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import crash_points
from ..core.config import Settings
from ..core.errors import UnknownEntryError
from ..core.model import COVER, BatchOutcome, PageClass
from ..db.database import Database, Entry, utcnow
from ..ocr import page_checks
from ..ocr.assemble import dublin_core
from ..ocr.batch import PageOcr
from ..ocr.pool import OcrPool
from ..pages.batch_input import BatchInput, read_batch
from ..pages.classify import classify_pdf
from ..pages.source import PageSource, carries_text
from ..pages.split import HeldGroup, PlannedDocument, SplitResult, split
from ..register.lookup import existing_ids
from .sources import IngestEvent, IngestOptions, IngestResult, IngestSource, OnProgress, Step
from .store import Received, file_documents, keep_raw, set_batch_status

if TYPE_CHECKING:
    from ..ocr.document import DocumentOcr


def new_batch_id(now: dt.datetime) -> str:
    return f"B{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2).upper()}"


# -- the steps -----------------------------------------------------------------------------------


def classify_and_start_ocr(
    settings: Settings, batch: BatchInput, ocr: PageOcr | DocumentOcr, *, classified, start: bool,
    on_progress: OnProgress
) -> list[PageClass]:
    """Every page's class (`classified` when the scanner classified them already); with `start`,
    OCR starts as classification goes (`seen`)."""
    pages: list[PageClass] = []
    found = (
        classified
        if classified and len(classified) == batch.page_count
        else classify_pdf(batch.wrapped(), dpi=settings.classify_dpi)
    )
    for page in found:
        pages.append(page)
        if start:
            # only a softcopy is read whole (DocumentOcr), and it comes split (reviewed): never started
            assert isinstance(ocr, PageOcr)
            ocr.seen(pages)
        on_progress(IngestEvent(Step.CLASSIFY, page=page.number, kind=page.kind, register_id=page.register_id,
                                decode_ms=round(page.decode_ms, 1)))
    return pages


def _ocr(settings: Settings, db: Database, pool: OcrPool, batch: BatchInput, work: Path, results_dir: Path,
         origin: dict | None) -> PageOcr | DocumentOcr:
    """Scanned pages are OCR'd page by page, and so are softcopies whose pages are all images (a
    scanned PDF, photos of pages: each page turned upright and judged as a scan is); softcopies
    with text of their own go whole through ocrmypdf, keeping the text they carry (`DocumentOcr`,
    which offers the same `results`)."""
    note = (origin or {}).get("note", "")
    if origin is not None and carries_text(batch.wrapped()):
        from ..ocr.document import DocumentOcr

        return DocumentOcr(settings, db, pool, batch, work, note=note)

    def metadata(register_id: str) -> dict:
        with db.session() as session:
            found = dublin_core(session.get(Entry, register_id))
        if note:  # a softcopy's access copy says what it is
            found["source"] = "; ".join(filter(None, [found.get("source"), note]))
        return found

    sources = batch.page_sources() if origin is None else [
        PageSource(batch.wrapped(), n) for n in range(1, batch.page_count + 1)]
    return PageOcr(settings, pool, sources, results_dir, work=work, metadata=metadata)


def known_ids(db: Database, pages: list[PageClass]) -> set[str]:
    """The register ids of these pages' covers that are in the register."""
    wanted = {p.register_id for p in pages if p.register_id}
    if not wanted:
        return set()
    with db.session() as session:
        return existing_ids(session, wanted)


def final_plan(db: Database, pages: list[PageClass], known: set[str], reviewed: SplitResult | None) -> SplitResult:
    """The cover sheets' split, or the reviewed one (its entries checked again)."""
    if reviewed is None:
        return split(pages, known)
    wanted = {d.register_id for d in reviewed.documents}
    with db.session() as session:
        missing = wanted - existing_ids(session, wanted)
    if missing:
        raise UnknownEntryError(f"not in the register: {', '.join(sorted(missing))}; correct the review")
    return reviewed


def removed_pages(pages: list[PageClass], plan: SplitResult, reviewed: bool) -> list[int]:
    """Pages an officer removed at review: kept in the raw batch, filed nowhere."""
    if not reviewed:
        return []
    groups: list[PlannedDocument | HeldGroup] = [*plan.documents, *plan.held]
    used = {n for group in groups for n in group.batch_pages}
    used |= set(plan.blank_pages) | {p.number for p in pages if p.kind == COVER}
    return [p.number for p in pages if p.number not in used]


class _Clock:
    """Seconds per step, for the summary."""

    def __init__(self) -> None:
        self.timings: dict[str, Any] = {}  # seconds per step; "pages": seconds per OCR stage

    def __call__(self, name: str, step: Callable, *args, **kwargs):
        started = time.perf_counter()
        result = step(*args, **kwargs)
        self.timings[name] = round(time.perf_counter() - started, 3)
        return result


def ingest(source: IngestSource, *, settings: Settings, db: Database,
           options: IngestOptions | None = None) -> IngestResult:
    """Run every step on one source (a batch file, a scan batch, softcopies: `IngestSource`) and
    say what came of it."""
    options = options or IngestOptions()
    report = options.on_progress or (lambda _event: None)
    received_at = utcnow()
    received = Received(source.batch_id or new_batch_id(received_at), received_at, source.path, source.submitted_by,
                        source.reviewed, source.origin)
    work = settings.work_dir / received.batch_id
    work.mkdir(parents=True, exist_ok=True)
    clock, raw = _Clock(), None
    try:
        with contextlib.ExitStack() as stack:
            pool = options.pool or stack.enter_context(OcrPool(settings.workers))
            batch = source.prepared or clock("read", read_batch, received.source, work, settings,
                                             wrap=source.classified is None)
            if options.pool is None and source.origin is None:  # its children load while pages are classified
                pool.warm(tuple(settings.ocr_languages.split("+")))
            report(IngestEvent(Step.READ, pages=batch.page_count))
            crash_points.point("ingest.read")
            ocr = _ocr(settings, db, pool, batch, work, source.results_dir or work / "pages", source.origin)
            pages = clock("classify", classify_and_start_ocr, settings, batch, ocr,
                          classified=source.classified, start=not source.reviewed, on_progress=report)
            crash_points.point("ingest.classified")
            final = clock("split", final_plan, db, pages, known_ids(db, pages), source.plan)
            crash_points.point("ingest.split")
            removed = removed_pages(pages, final, source.reviewed)
            raw = clock("keep_raw", keep_raw, settings, db, received, batch, pages, final, removed)
            documents = clock("ocr", ocr.results, final, lambda r: (crash_points.point("ocr.document_done"),
                              report(IngestEvent(Step.OCR, document=r.key, pages=len(r.page_texts)))))
            checks = [*source.checks, *clock("checks", page_checks.collect, pages, documents)]
            filed = clock("file", file_documents, settings, db, received, raw, documents, checks=checks,
                          on_filed=lambda d: report(IngestEvent(Step.FILED, register_id=d.register_id,
                                                                version=d.version)))
            if isinstance(ocr, PageOcr):
                clock.timings["pages"] = ocr.page_seconds  # in the OCR children, all pages together
    except BaseException as exc:
        if raw is not None:  # the raw batch is kept; the batch can be ingested again
            set_batch_status(db, received.batch_id, BatchOutcome.FAILED, str(exc) or type(exc).__name__)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    set_batch_status(db, received.batch_id, BatchOutcome.FILED)
    return IngestResult(received.batch_id, batch.page_count, filed, final.held, final.blank_pages, removed,
                        [(c, _owner(final, c.page)) for c in checks],
                        settings.display_path(settings.storage_dir / raw.relpath), clock.timings)


def _owner(plan: SplitResult, page: int) -> str | None:
    return next((d.register_id for d in plan.documents if page in d.batch_pages), None)
