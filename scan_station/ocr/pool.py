"""A pool of OCR child processes: scanned pages one at a time (`page_ocr`), softcopies as whole
documents (`document_ocr`, through ocrmypdf).

A child runs one page (or document) at a time, and a page one engine on one thread, so
`ocr_workers` children keep that many cores busy, from the first page classified to the last.
Children are started once and live as long as the pool (a worker process shares one pool between
its page jobs and its filings: `shared_pool`); they run at a lower priority than the kiosk, so
that scanning and the screens stay quick while pages are read (`ocr_child`). This module is light
to import: a command starts its children first (`warm`), and they load while it checks and reads.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

from .._exec import libtesseract
from ..core.errors import OcrError, ScanStationError
from ..core.model import OcrResult
from . import child as ocr_child

if TYPE_CHECKING:
    from .page import PageJob
    from .pdfa_job import OcrJob

K = TypeVar("K")  # whatever names a job: a document's key, a page's (document, page)


def page_threads(workers: int, *, last: bool) -> int:
    """Ocrmypdf page threads for one document: one while other documents keep the other cores
    busy (each thread runs a tesseract of ~150 MB, so more would only cost memory); all cores
    for the last document of a batch, which may be the only one."""
    return workers if last else 1


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
        """End the children. Children that could not start, or died, are no error here: work that
        needed them has said so already (a batch refused before any page was read never did)."""
        if self._executor is not None:
            try:
                self._executor.shutdown(wait=True, cancel_futures=True)
            except (OSError, BrokenProcessPool):
                pass

    def _submit(self, function: Callable, job: object) -> Future:
        with self._lock:
            if self._executor is None or getattr(self._executor, "_broken", False):  # a child was killed
                self._executor = ProcessPoolExecutor(max_workers=self.workers, initializer=ocr_child.start,
                                                     mp_context=multiprocessing.get_context("spawn"))
            return self._executor.submit(function, job)

    def warm(self, languages: tuple[str, ...]) -> None:
        """Start the children now, each loading the engine, while the batch is still being checked
        and classified: the first pages do not wait for them."""
        try:
            for _ in range(self.workers):
                self._submit(libtesseract.load, tuple(languages))
        except (OSError, BrokenProcessPool):  # said when a page is read, if it still happens then
            pass

    def submit(self, job: OcrJob) -> Future:
        """A whole document through ocrmypdf."""
        from .pdfa_job import ocr_document  # only softcopies and the berita acara need it

        return self._submit(ocr_document, job)

    def page(self, job: PageJob) -> Future:
        """One page: its kept result at once when there is one, else its OCR."""
        from .page import kept_result, ocr_page

        kept = kept_result(job)
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
        futures: Mapping[K, Future], *, on_done: Callable[[OcrResult], None] | None = None
    ) -> dict[K, OcrResult]:
        """Wait for these jobs; all succeed, or the first failure is raised once none is still
        running (`raise_failure`)."""
        keys = {future: key for key, future in futures.items()}
        results: dict[K, OcrResult] = {}
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


def shutdown_shared() -> None:
    """End this process's shared OCR children (a worker stopping)."""
    with _shared_lock:
        for pool in _shared.values():
            pool.shutdown()
        _shared.clear()
