"""The OCR of a scanned batch, page by page (`PageOcr`): each content page submitted to the pool of
OCR children (`ocr_pool`) as soon as it is classified, its result kept with the page
(`page_ocr`); the documents assembled from their pages once the plan is final (`assemble`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from ..core import crash_points
from ..core.config import Settings
from ..core.model import CONTENT, COVER, OcrResult, PageClass
from ..pages.source import PageSource, file_digest
from ..pages.split import TURN_UPRIGHT, PlannedDocument, SplitResult
from .assemble import assemble
from .page import PageJob, PageResult
from .pool import OcrPool, raise_failure

# -- the pages of one batch ------------------------------------------------------------------------


def job_options(settings: Settings) -> dict:
    """The settings that shape a page's reading (`PageJob`'s options)."""
    return dict(languages=tuple(settings.ocr_languages.split("+")), compact=settings.page_images == "compact",
                default_dpi=settings.default_image_dpi, max_image_mpixels=settings.max_image_megapixels)


class PageOcr:
    """The OCR of a scanned batch's pages (`page_ocr`): each content page submitted as soon as it
    is classified (`seen`); the documents assembled once the plan is final (`results`)."""

    def __init__(self, settings: Settings, pool: OcrPool, sources: list[PageSource], results_dir: Path, *,
                 work: Path | None = None, metadata: Callable[[str], dict] | None = None):
        self.pool, self.sources, self.results_dir, self.work = pool, sources, results_dir, work
        self.options = job_options(settings)
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
            crash_points.point("ocr.submitted")
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
        wanted = [[self._future(self.job(n, d.turn(n), n in d.turns)) for n in d.batch_pages]
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
        crash_points.point("ocr.page_done")
        for stage, seconds in result.seconds.items():
            self.page_seconds[stage] = round(self.page_seconds.get(stage, 0.0) + seconds, 3)
        return result

    def _assemble(self, planned: PlannedDocument, pages: list[PageResult]) -> OcrResult:
        key = f"doc-p{planned.cover_page:04d}"
        # both are given where documents are assembled (ingest); `page_jobs` only reads pages
        assert self.work is not None and self.metadata is not None
        return assemble(pages, key=key, metadata=self.metadata(planned.register_id), out=self.work / f"{key}.pdf")
