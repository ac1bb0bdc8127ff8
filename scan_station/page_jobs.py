"""Reading pages while they are scanned: as soon as a page is classified as content, its OCR
starts (`page_ocr`), turned as it would be filed now (`review.page_turn`), and its result is kept
in the batch folder for the filing to use.

At the kiosk, and for `scan --no-ingest`, each page becomes a job on the queue (`queue_pages`),
so that whichever worker is free reads it; `scan` on the command line, which files the batch
itself right after, reads its pages in its own OCR pool meanwhile (`read_pages`). Either way this
is a head start only: filing reads whatever page has no result, or one out of date.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from . import faults
from .batchfolder import BatchFolder, Status
from .config import Settings
from .db import Database
from .errors import ScanStationError
from .model import CONTENT
from .ocr import PageOcr
from .ocr_pool import OcrPool, shared_pool
from .page_source import PageSource
from .review import page_turn
from .scanning import OnPage, PageEvent, batch_folder

log = logging.getLogger(__name__)


def start_page(settings: Settings, db: Database, folder: BatchFolder, number: int, pool: OcrPool) -> Future | None:
    """Start reading batch page `number` in `pool`, unless it would not be filed now."""
    state = folder.read_state()
    turn = page_turn(db, folder, number) if 0 < number <= state.pages else None
    if turn is None:
        return None
    sources = [PageSource(folder.page_path(n)) for n in range(1, state.pages + 1)]
    return PageOcr(settings, pool, sources, folder.ocr_dir).page(number, *turn)


def ocr_page(settings: Settings, db: Database, batch_id: str, number: int) -> str:
    """The job: read one page of a batch being scanned or reviewed (in the worker's shared pool)
    and keep the result; what happened, in a word."""
    try:
        folder = batch_folder(settings, batch_id)
        if folder.read_state().status == Status.FILING:
            return "skipped"  # its filing reads it itself
        future = start_page(settings, db, folder, number, shared_pool(settings.workers))
        if future is None:
            return "skipped"  # not a page to file (now)
        future.result()
    except (ScanStationError, OSError):  # whatever the read said, once its batch has gone
        if (settings.scans_dir / batch_id).is_dir():
            raise
        return "gone"  # filed meanwhile, or removed: nothing to read
    faults.point("ocr.page_job_done")
    return "done"


def queue_page(jobs, batch_id: str, number: int) -> None:
    """Queue a page job. A queue that cannot be reached costs the head start, never the scan or
    the review."""
    try:
        jobs.ocr_page(batch_id, number)
    except Exception:  # noqa: BLE001 - logged; the filing reads the page itself
        log.warning("could not queue the OCR of %s page %d", batch_id, number, exc_info=True)


def queue_pages(jobs, batch_id: str) -> OnPage:
    """A scanning callback: each content page, once classified, queued as a page job."""

    def on_page(event: PageEvent) -> None:
        if event.kind == CONTENT:
            queue_page(jobs, batch_id, event.page)

    return on_page


def read_pages(settings: Settings, db: Database, folder: BatchFolder, pool: OcrPool) -> OnPage:
    """A scanning callback: each content page, once classified, read in `pool` meanwhile."""

    def on_page(event: PageEvent) -> None:
        if event.kind == CONTENT:
            start_page(settings, db, folder, event.page, pool)

    return on_page
