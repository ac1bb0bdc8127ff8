"""Reading pages while they are scanned: as soon as a page is classified as content, its OCR
starts (`page_ocr`), turned as it would be filed now (`review.page_turn`), and its result is kept
in the batch folder for the filing to use.

At the kiosk, and for `scan --no-ingest`, each page becomes a job on the queue (`queue_pages`),
so that whichever worker is free reads it; `scan` on the command line, which files the batch
itself right after, reads its pages in its own OCR pool meanwhile (`read_pages`). Either way this
is a head start only: filing reads whatever page has no result, or one out of date.
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from ..core import crash_points
from ..core.config import Settings
from ..core.errors import ScanStationError
from ..core.model import CONTENT, PageCheck, PageClass
from ..db.database import Database
from ..ocr import page_checks
from ..ocr.batch import PageOcr, job_options
from ..ocr.page import PageJob, load_result
from ..ocr.pool import OcrPool, shared_pool
from ..pages.source import PageSource, file_digest
from ..pages.split import HeldGroup, PlannedDocument
from .batch_folder import BatchFolder, Status
from .review import Review, page_turn
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
    crash_points.point("ocr.page_job_done")
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


# -- what the readings found, for the review -------------------------------------------------------


@dataclass(frozen=True)
class Findings:
    """What reading a batch's pages has found so far, as they would be filed now."""

    turns: dict[int, int]  # batch page -> the clockwise turn it is filed at (pages read)
    checks: dict[int, list[PageCheck]]  # batch page -> what the officer should look at


def findings(settings: Settings, folder: BatchFolder, review: Review, pages: list[PageClass]) -> Findings:
    """The kept readings of the batch's pages to be filed (`page_ocr.load_result`: only a result of
    the job that would run now counts), and the checks they and the batch fail."""
    turns: dict[int, int] = {}
    texts: dict[int, str] = {}
    checks: dict[int, list[PageCheck]] = {}
    options = job_options(settings)
    groups: list[PlannedDocument | HeldGroup] = [*review.documents, *review.held]
    for group in groups:
        cover = getattr(group, "rotate", 0)
        for n in group.batch_pages:
            path = folder.page_path(n)
            if n in review.removed or not path.is_file():
                continue
            job = PageJob(n, PageSource(path), _digest(path), folder.ocr_dir, (cover + review.turns.get(n, 0)) % 360,
                          n in review.turns, **options)
            result = load_result(job)
            if result is not None:
                turns[n], texts[n] = result.turn, result.text
                if result.checks:
                    checks[n] = list(result.checks)
    for check in page_checks.of_batch(pages, [d.batch_pages for d in review.documents], texts):
        checks.setdefault(check.page, []).append(check)
    return Findings(turns, checks)


def _digest(path: Path) -> str:
    stat = path.stat()
    return _cached_digest(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _cached_digest(path: Path, _size: int, _mtime_ns: int) -> str:
    """A page file's SHA-256, worked out once while it stays the same file (a review screen asks
    for every page at each load)."""
    return file_digest(path)
