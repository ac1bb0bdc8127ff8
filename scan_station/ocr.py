"""OCR in a pool of child processes: scanned pages one at a time (`PageOcr`), as soon as each is
known; softcopies as whole documents (`ingest.DocumentOcr`, through ocrmypdf).

A child runs one page (or document) at a time and a page runs one tesseract on one thread, so
`ocr_workers` children keep that many cores busy, from the first page classified to the last.
Children are started once and live as long as the pool (a worker process shares one pool between
its page jobs and its filings: `shared_pool`); they run at a lower priority than the kiosk, so
that scanning and the screens stay quick while pages are read.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import faults
from ._exec.ocrmypdf import OcrJob, ocr_document, quiet_child
from .assemble import assemble
from .config import Settings
from .errors import OcrError, ScanStationError
from .model import CONTENT, COVER, OcrResult, PageClass
from .page_ocr import PageJob, PageResult, load_result, ocr_page
from .page_source import PageSource, file_digest
from .split import TURN_UPRIGHT, PlannedDocument, SplitResult

#: OCR children are this much nicer than the kiosk and the scanner (see os.nice).
NICENESS = 10


def page_threads(workers: int, *, last: bool) -> int:
    """Ocrmypdf page threads for one document: one while other documents keep the other cores
    busy (each thread runs a tesseract of ~150 MB, so more would only cost memory); all cores
    for the last document of a batch, which may be the only one."""
    return workers if last else 1


def _child_start() -> None:
    quiet_child()
    os.nice(NICENESS)


class OcrPool:
    """A pool of OCR children; use as a context manager. Children start on the first submit.
    The same page asked for twice while it is being read is read once."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._pages: dict[str, Future] = {}  # job key -> its OCR, while it runs
        self._lock = threading.Lock()

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, function: Callable, job: object) -> Future:
        with self._lock:
            if self._executor is None or getattr(self._executor, "_broken", False):  # a child was killed
                self._executor = ProcessPoolExecutor(max_workers=self.workers, initializer=_child_start,
                                                     mp_context=multiprocessing.get_context("spawn"))
            return self._executor.submit(function, job)

    def submit(self, job: OcrJob) -> Future:
        """A whole document through ocrmypdf."""
        return self._submit(ocr_document, job)

    def page(self, job: PageJob) -> Future:
        """One page: its kept result at once when there is one, else its OCR."""
        kept = load_result(job)
        if kept is not None:
            done: Future = Future()
            done.set_result(kept)
            return done
        with self._lock:
            running = self._pages.get(job.key)
        if running is not None and not running.cancelled():
            return running
        future = self._submit(ocr_page, job)
        with self._lock:
            self._pages[job.key] = future
        future.add_done_callback(lambda _f: self._forget(job.key, future))
        return future

    def _forget(self, key: str, future: Future) -> None:
        with self._lock:
            if self._pages.get(key) is future:
                del self._pages[key]

    @staticmethod
    def collect(
        futures: Mapping[str, Future], *, on_done: Callable[[OcrResult], None] | None = None
    ) -> dict[str, OcrResult]:
        """Wait for these jobs; all succeed, or the first failure is raised once none is still
        running (`raise_failure`)."""
        keys = {future: key for key, future in futures.items()}
        results: dict[str, OcrResult] = {}
        failure: BaseException | None = None
        for future in as_completed(keys):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - reported below, after the others stop
                failure = failure or exc
                for other in keys:
                    other.cancel()
                continue
            results[keys[future]] = result
            if on_done:
                on_done(result)
        if failure is not None:
            raise_failure(failure)
        return results


def raise_failure(failure: BaseException) -> None:
    """An error of ours as it is (a missing language pack stays a MissingDependencyError, exit 6),
    anything else as an OcrError."""
    if isinstance(failure, ScanStationError):
        raise failure
    if isinstance(failure, BrokenProcessPool):
        raise OcrError("OCR failed: an OCR process ended abruptly (killed, or out of memory); try again") from None
    raise OcrError(f"OCR failed: {type(failure).__name__}: {failure}") from failure


_shared: dict[int, OcrPool] = {}
_shared_lock = threading.Lock()


def shared_pool(workers: int) -> OcrPool:
    """This process's pool of `workers` children, for everything a worker process OCRs: page
    jobs and filings queue for the same cores."""
    with _shared_lock:
        if workers not in _shared:
            _shared[workers] = OcrPool(workers)
        return _shared[workers]


# -- the pages of one batch ------------------------------------------------------------------------


class PageOcr:
    """The OCR of a scanned batch's pages (`page_ocr`): each content page submitted as soon as it
    is classified (`seen`); the documents assembled once the plan is final (`results`)."""

    def __init__(self, settings: Settings, pool: OcrPool, sources: list[PageSource], results_dir: Path, *,
                 work: Path | None = None, metadata: Callable[[str], dict] | None = None):
        self.pool, self.sources, self.results_dir, self.work = pool, sources, results_dir, work
        self.options = dict(languages=tuple(settings.ocr_languages.split("+")),
                            compact=settings.page_images == "compact", default_dpi=settings.default_image_dpi,
                            max_image_mpixels=settings.max_image_megapixels)
        self.metadata = metadata  # register id -> the document's Dublin Core
        self._digests: dict[Path, str] = {}
        self._futures: dict[str, Future] = {}
        self._cover_turn, self._seen = 0, 0
        #: Seconds the pages filed took, by stage (`PageResult.seconds`), in the OCR children.
        self.page_seconds: dict[str, float] = {}

    def job(self, number: int, turn: int, final: bool) -> PageJob:
        source = self.sources[number - 1]
        if source.path not in self._digests:
            self._digests[source.path] = file_digest(source.path)
        return PageJob(number, source, self._digests[source.path], self.results_dir, turn, final, **self.options)

    def _future(self, job: PageJob) -> Future:
        if job.key not in self._futures:
            self._futures[job.key] = self.pool.page(job)
            faults.point("ocr.submitted")
        return self._futures[job.key]

    def page(self, number: int, turn: int, final: bool) -> Future:
        """One page's OCR: its kept result, the one running, or a new one."""
        return self._future(self.job(number, turn, final))

    def seen(self, pages: list[PageClass]) -> None:
        """Pages classified so far, in order: the OCR of each new content page starts, turned as
        its cover sheet lies (the stack went through the feeder together)."""
        for page in pages[self._seen:]:
            if page.kind == COVER:
                self._cover_turn = TURN_UPRIGHT.get(page.orientation or "", 0)
            elif page.kind == CONTENT:
                self.page(page.number, self._cover_turn, False)
        self._seen = len(pages)

    def results(self, plan: SplitResult, on_done: Callable[[OcrResult], None]) -> list[tuple[PlannedDocument,
                                                                                            OcrResult]]:
        """Each document of the plan assembled from its pages' results, in order."""
        wanted = [[self._future(self.job(n, d.turn(n), bool(d.turns.get(n)))) for n in d.batch_pages]
                  for d in plan.documents]
        done = []
        try:
            for planned, futures in zip(plan.documents, wanted, strict=True):
                pages = [self._page(f) for f in futures]
                done.append((planned, self._assemble(planned, pages)))
                on_done(done[-1][1])
        except BaseException:
            for future in (f for futures in wanted for f in futures):
                future.cancel()
            raise
        return done

    def _page(self, future: Future) -> PageResult:
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - said as ours, or as an OcrError
            raise_failure(exc)
        faults.point("ocr.page_done")
        for stage, seconds in result.seconds.items():
            self.page_seconds[stage] = round(self.page_seconds.get(stage, 0.0) + seconds, 3)
        return result

    def _assemble(self, planned: PlannedDocument, pages: list[PageResult]) -> OcrResult:
        key = f"doc-p{planned.cover_page:04d}"
        return assemble(pages, key=key, metadata=self.metadata(planned.register_id), out=self.work / f"{key}.pdf")
