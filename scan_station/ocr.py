"""OCR of many documents at once, in a pool of child processes.

One `ocrmypdf` start costs about a second; so documents are OCR'd in long-lived children, largest
first, each child working on one document at a time. When there are fewer documents than
workers, each document gets several of ocrmypdf's own page workers, so the cores stay busy.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from ._exec.ocrmypdf import OcrJob, OcrResult, ocr_document, quiet_child
from .errors import OcrError


def plan_jobs(page_counts: Sequence[int], workers: int) -> tuple[int, list[int]]:
    """(pool size, ocrmypdf jobs per document) for documents with these page counts."""
    if not page_counts:
        return 0, []
    pool = min(workers, len(page_counts))
    per_doc = max(1, workers // len(page_counts))
    return pool, [min(per_doc, n) for n in page_counts]


class OcrPool:
    """A pool of OCR children; use as a context manager."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _ensure(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=quiet_child,
            )
        return self._executor

    def run(
        self, jobs: Sequence[OcrJob], *, on_done: Callable[[OcrResult], None] | None = None
    ) -> dict[str, OcrResult]:
        """OCR every job; all succeed or OcrError is raised once the others have stopped."""
        if not jobs:
            return {}
        executor = self._ensure()
        ordered = sorted(jobs, key=lambda j: -j.pages)
        futures = {executor.submit(ocr_document, job): job for job in ordered}
        results: dict[str, OcrResult] = {}
        failure: BaseException | None = None
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - reported below, after the others finish
                failure = failure or exc
                for other in futures:
                    other.cancel()
                continue
            results[result.key] = result
            if on_done:
                on_done(result)
        if failure is not None:
            if isinstance(failure, OcrError):
                raise failure
            raise OcrError(f"OCR failed: {type(failure).__name__}: {failure}") from failure
        return results
