"""Ingest: a scanned batch becomes filed, searchable PDF/A documents.

The steps, in order, each handed what the ones before it produced:

1. `read_batch`             -> the batch checked, its pages and where each one's pixels are
                               (`BatchInput`); nothing is written on failure.
2. `classify_and_start_ocr` -> cover / blank / content for every page. **OCR overlaps this step:**
                               each content page's OCR starts in the pool as soon as it is
                               classified (`ocr.PageOcr`; a kiosk batch's pages were mostly read
                               while it was scanned, and their results are kept with it).
3. `final_plan`             -> the final word (`SplitResult`): documents, held pages with reasons,
                               blank pages — the cover sheets', or the one an officer reviewed.
4. `filing.keep_raw`        -> the batch stored exactly as received, with SHA-256s, and recorded:
                               from here on, no scanned page can be lost.
5. `PageOcr.results`        -> each document to file assembled from its pages' results as PDF/A-2b
                               with XMP metadata, validated (`assemble`); a page turned at review is
                               read again. Softcopies instead go whole through ocrmypdf
                               (`DocumentOcr`), keeping the text their pages carry.
6. `filing.file_documents`  -> each document a new version in storage with its sidecar, recorded,
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
from ..pages.split import SplitResult, split
from ..register.lookup import existing_ids
from .store import Received, file_documents, keep_raw, set_batch_status

Progress = Callable[[str, dict], None]


def new_batch_id(now: dt.datetime) -> str:
    return f"B{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2).upper()}"


# -- the steps -----------------------------------------------------------------------------------


def classify_and_start_ocr(
    settings: Settings, batch: BatchInput, ocr: PageOcr, *, classified, start: bool,
    on_progress: Progress
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
            ocr.seen(pages)
        on_progress(
            "classify",
            {
                "page": page.number,
                "kind": page.kind,
                "register_id": page.register_id,
                "decode_ms": round(page.decode_ms, 1),
            },
        )
    return pages


def _ocr(settings: Settings, db: Database, pool: OcrPool, batch: BatchInput, work: Path, results_dir: Path,
         origin: dict | None) -> PageOcr:
    """Scanned pages are OCR'd page by page, and so are softcopies whose pages are all images (a
    scanned PDF, photos of pages: each page turned upright and judged as a scan is); softcopies
    with text of their own go whole through ocrmypdf, keeping the text they carry (`DocumentOcr`,
    which offers the same `seen` and `results`)."""
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
    used = {n for group in [*plan.documents, *plan.held] for n in group.batch_pages}
    used |= set(plan.blank_pages) | {p.number for p in pages if p.kind == COVER}
    return [p.number for p in pages if p.number not in used]


class _Clock:
    """Seconds per step, for the summary."""

    def __init__(self):
        self.timings: dict[str, float] = {}

    def __call__(self, name: str, step: Callable, *args, **kwargs):
        started = time.perf_counter()
        result = step(*args, **kwargs)
        self.timings[name] = round(time.perf_counter() - started, 3)
        return result


def ingest(
    source: Path,
    *,
    settings: Settings,
    db: Database,
    on_progress: Progress | None = None,
    batch_id: str | None = None,
    classified: list[PageClass] | None = None,
    plan: SplitResult | None = None,
    submitted_by: str = "",
    prepared: BatchInput | None = None,
    origin: dict | None = None,
    pool: OcrPool | None = None,
    results_dir: Path | None = None,
) -> dict:
    """Run every step on one batch and return the summary that `scan-station ingest --json` prints.
    A scanned batch passes its own id, the pages it classified while scanning and the folder its
    pages' OCR results are kept in (`results_dir`); a batch reviewed at the kiosk passes the `plan`
    the officer confirmed, and who confirmed it; softcopies (`softcopy.submit`) the batch they
    `prepared` in its work folder, and their `origin`. A worker passes the `pool` its page jobs
    share; else the batch has a pool of its own."""
    report = on_progress or (lambda _step, _info: None)
    received_at = utcnow()
    batch_id = batch_id or new_batch_id(received_at)
    received = Received(batch_id, received_at, Path(source), submitted_by, plan is not None, origin)
    work = settings.work_dir / received.batch_id
    work.mkdir(parents=True, exist_ok=True)
    clock, raw = _Clock(), None
    try:
        with contextlib.ExitStack() as stack:
            own_pool = pool is None
            pool = pool or stack.enter_context(OcrPool(settings.workers))
            batch = prepared or clock("read", read_batch, received.source, work, settings, wrap=classified is None)
            if own_pool and origin is None:  # its children start, loading the engine, while pages are classified
                pool.warm(tuple(settings.ocr_languages.split("+")))
            report("read", {"pages": batch.page_count})
            crash_points.point("ingest.read")
            ocr = _ocr(settings, db, pool, batch, work, results_dir or work / "pages", origin)
            pages = clock("classify", classify_and_start_ocr, settings, batch, ocr,
                          classified=classified, start=plan is None, on_progress=report)
            crash_points.point("ingest.classified")
            final = clock("split", final_plan, db, pages, known_ids(db, pages), plan)
            crash_points.point("ingest.split")
            removed = removed_pages(pages, final, plan is not None)
            raw = clock("keep_raw", keep_raw, settings, db, received, batch, pages, final, removed)
            documents = clock("ocr", ocr.results, final, lambda r: (crash_points.point("ocr.document_done"),
                              report("ocr", {"document": r.key, "pages": len(r.page_texts)})))
            checks = clock("checks", page_checks.collect, pages, documents)
            filed = clock("file", file_documents, settings, db, received, raw, documents, checks=checks,
                          on_filed=lambda d: report("filed", {"register_id": d.register_id, "version": d.version}))
            if isinstance(ocr, PageOcr):
                clock.timings["pages"] = ocr.page_seconds  # in the OCR children, all pages together
    except BaseException as exc:
        if raw is not None:  # the raw batch is kept; the batch can be ingested again
            set_batch_status(db, received.batch_id, BatchOutcome.FAILED, str(exc) or type(exc).__name__)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    set_batch_status(db, received.batch_id, BatchOutcome.FILED)
    return _summary(settings, received, batch.page_count, final, removed, raw, filed, checks, clock.timings)


def _owner(plan: SplitResult, page: int) -> str | None:
    return next((d.register_id for d in plan.documents if page in d.batch_pages), None)


def _summary(settings, received, page_count, final, removed, raw, filed, checks, timings) -> dict:
    """What `scan-station ingest --json` prints."""
    held = [{"batch_pages": g.batch_pages, "reason": g.reason, "cover_page": g.cover_page,
             "register_id": g.register_id} for g in final.held]
    return {
        "batch": received.batch_id,
        "pages": page_count,
        "documents": [d.as_dict() for d in filed],
        "held": held,
        "blank_pages": final.blank_pages,
        "removed_pages": removed,
        "pages_to_check": [c.as_dict() | {"register_id": _owner(final, c.page)} for c in checks],
        "raw_batch": settings.display_path(settings.storage_dir / raw.relpath),
        "timings": timings,
    }
