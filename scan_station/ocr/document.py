"""Softcopies OCR'd whole, through ocrmypdf: pages that carry text keep it, only pages without text
are OCR'd (`OcrJob.skip_text`). A softcopy's documents are known from the start (its plan comes
with it), so they all start in `results`, as `ocr.PageOcr.results` for scans.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pikepdf

from ..core import crash_points
from ..core.config import Settings
from ..core.model import OcrResult
from ..db.database import Database, Entry
from ..pages.batch_input import BatchInput
from ..pages.split import PlannedDocument, SplitResult
from .assemble import dublin_core
from .pdfa_job import OcrJob, drop_presentation_keys
from .pool import OcrPool, page_threads
from .vector_pages import drawn_within_limit


def _signature(planned: PlannedDocument) -> tuple:
    return (planned.register_id, planned.cover_page, tuple(planned.batch_pages), planned.rotate,
            tuple(sorted(planned.turns.items())))


class DocumentOcr:
    """The OCR of a softcopy's documents, whole, through ocrmypdf in a pool of children."""

    def __init__(self, settings: Settings, db: Database, pool: OcrPool, batch: BatchInput, work: Path, *,
                 note: str = ""):
        self.settings, self.db, self.pool, self.batch, self.work = settings, db, pool, batch, work
        self.note = note  # the PDF's dc:source, e.g. "an access copy of a signed original"
        self.started: dict[tuple, Future] = {}  # document signature -> its OCR

    def start(self, documents: list[PlannedDocument], *, final: bool) -> None:
        """Submit the OCR of every document not submitted yet."""
        waiting = [d for d in documents if _signature(d) not in self.started]
        if not waiting:
            return
        with pikepdf.open(self.batch.wrapped()) as batch_pdf, self.db.session() as session:
            for index, planned in enumerate(waiting):
                threads = page_threads(self.settings.workers, last=final and index == len(waiting) - 1)
                metadata = dublin_core(session.get(Entry, planned.register_id))
                if self.note:
                    metadata["source"] = "; ".join(filter(None, [metadata.get("source"), self.note]))
                job = self._job(batch_pdf, planned, threads, metadata)
                self.started[_signature(planned)] = self.pool.submit(job)
                crash_points.point("ocr.submitted")

    def _job(self, batch_pdf: pikepdf.Pdf, planned: PlannedDocument, threads: int, metadata: dict) -> OcrJob:
        key = f"doc-p{planned.cover_page:04d}"  # 0: a softcopy's one document
        source = self.work / f"{key}.in.pdf"
        with pikepdf.new() as doc, warnings.catch_warnings():
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)  # a softcopy's form fields are not kept
            for number in planned.batch_pages:
                doc.pages.append(batch_pdf.pages[number - 1])
                if planned.turn(number):
                    doc.pages[-1].rotate(planned.turn(number), relative=True)
                drop_presentation_keys(doc.pages[-1])
            doc.save(source)
        drawn_within_limit(source, self.settings.max_image_megapixels)  # vector pages ocrmypdf would draw
        return OcrJob(
            key=key,
            input_pdf=source,
            output_pdf=self.work / f"{key}.pdf",
            languages=tuple(self.settings.ocr_languages.split("+")),
            jobs=min(threads, len(planned.batch_pages)),
            max_image_mpixels=self.settings.max_image_megapixels,
            metadata=metadata,
            skip_text=True,
        )

    def results(
        self, plan: SplitResult, on_done: Callable[[OcrResult], None]
    ) -> list[tuple[PlannedDocument, OcrResult]]:
        self.start(plan.documents, final=True)
        wanted = {_signature(d): self.started[_signature(d)] for d in plan.documents}
        for signature, future in self.started.items():
            if signature not in wanted:
                future.cancel()  # held after all: its OCR, if already done, is simply not used
        results = self.pool.collect(wanted, on_done=on_done)
        return [(d, results[_signature(d)]) for d in plan.documents]

