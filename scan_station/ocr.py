"""OCR of many documents at once, in a pool of child processes.

One `ocrmypdf` start costs about a second; so documents are OCR'd in long-lived children, each
working on one document at a time (see `page_threads`), so the cores stay busy from the first
document to the last. Documents are submitted as soon as they are known, while the rest of the
batch is still being classified.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from ._exec.ocrmypdf import OcrJob, OcrResult, ocr_document, quiet_child
from .errors import OcrError, ScanStationError


def page_threads(workers: int, *, last: bool) -> int:
    """Ocrmypdf page threads for one document: one while other documents keep the other cores
    busy (each thread runs a tesseract of ~150 MB, so more would only cost memory); all cores
    for the last document of a batch, which may be the only one."""
    return workers if last else 1


class OcrPool:
    """A pool of OCR children; use as a context manager. Children start on the first submit."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, job: OcrJob) -> Future:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=quiet_child,
            )
        return self._executor.submit(ocr_document, job)

    @staticmethod
    def collect(
        futures: Mapping[str, Future], *, on_done: Callable[[OcrResult], None] | None = None
    ) -> dict[str, OcrResult]:
        """Wait for these jobs; all succeed, or the first failure is raised once none is still
        running: an error of ours as it is (a missing language pack stays a MissingDependencyError,
        exit 6), anything else as an OcrError."""
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
            if isinstance(failure, ScanStationError):
                raise failure
            raise OcrError(f"OCR failed: {type(failure).__name__}: {failure}") from failure
        return results
