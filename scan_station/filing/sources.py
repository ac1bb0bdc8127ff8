"""The typed edges of one ingest (`ingest.ingest`), as paperless-ngx's `ConsumableDocument` and
OCRmyPDF's `OcrOptions` are: what is filed (`IngestSource`), how (`IngestOptions`), what it says
while it goes (`IngestEvent`) and what came of it (`IngestResult`).

Three kinds of caller hand an ingest its pages, each with what it already knows:

- a batch file or folder from the command line: nothing but the file (`IngestSource.batch_file`);
- a scan batch from the kiosk or `scan`: its own id, the pages it classified while scanning, the
  folder its pages' OCR results are kept in, and the split an officer confirmed at review
  (`IngestSource.scanned`);
- softcopies handed over for one entry: the pages already read into the work folder, all of
  them content of that entry, and the originals they came from (`IngestSource.softcopies`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.model import CONTENT, PageCheck, PageClass
from ..pages.split import HeldGroup, PlannedDocument, SplitResult

if TYPE_CHECKING:
    from ..ocr.pool import OcrPool
    from ..pages.batch_input import BatchInput
    from .store import FiledDocument


class SourceKind(enum.StrEnum):
    BATCH_FILE = "batch_file"  # a PDF, a multi-page TIFF or a folder of page images
    SCANNED = "scanned"  # a scan batch's folder
    SOFTCOPY = "softcopy"  # born-digital files handed over for one entry


@dataclass(frozen=True)
class IngestSource:
    """What one ingest files. Make one with `batch_file`, `scanned` or `softcopies`."""

    path: Path  # what the raw batch keeps as received (a softcopy: its first file)
    kind: SourceKind
    batch_id: str | None = None  # chosen before, so that a filing done again files nothing twice
    submitted_by: str = ""
    classified: list[PageClass] | None = None  # the pages' classes, already known
    plan: SplitResult | None = None  # the split an officer confirmed (a softcopy: its one document)
    prepared: BatchInput | None = None  # the pages already read into the work folder
    origin: dict | None = None  # a softcopy's originals: {"kind": "softcopy", "files": [...], "note"}
    results_dir: Path | None = None  # where the pages' OCR results are kept (a scan batch's own)
    checks: tuple[PageCheck, ...] = ()  # pages to look at known before any work (a photo with no page)

    @classmethod
    def batch_file(cls, path: Path, *, submitted_by: str = "") -> IngestSource:
        return cls(Path(path), SourceKind.BATCH_FILE, submitted_by=submitted_by)

    @classmethod
    def scanned(cls, folder: Path, *, batch_id: str, submitted_by: str, classified: list[PageClass],
                results_dir: Path, plan: SplitResult | None = None) -> IngestSource:
        """A scan batch's folder; without a reviewed `plan`, split at its cover sheets."""
        return cls(Path(folder), SourceKind.SCANNED, batch_id=batch_id, submitted_by=submitted_by,
                   classified=classified, plan=plan, results_dir=results_dir)

    @classmethod
    def softcopies(cls, first_file: Path, *, entry_id: str, batch_id: str, submitted_by: str,
                   prepared: BatchInput, origin: dict, checks: Sequence[PageCheck] = ()) -> IngestSource:
        """Softcopies read into `prepared`: every page is content of `entry_id`, in the order given."""
        pages = list(range(1, prepared.page_count + 1))
        return cls(Path(first_file), SourceKind.SOFTCOPY, batch_id=batch_id, submitted_by=submitted_by,
                   classified=[PageClass(n, CONTENT, reason="softcopy") for n in pages],
                   plan=SplitResult([PlannedDocument(entry_id, 0, pages)], held=[], blank_pages=[]),
                   prepared=prepared, origin=origin, checks=tuple(checks))

    @property
    def reviewed(self) -> bool:
        """The split is the caller's (an officer's review, a softcopy's entry), not the covers'."""
        return self.plan is not None


class Step(enum.StrEnum):
    READ = "read"  # the batch read: `pages`
    CLASSIFY = "classify"  # a page classified: `page`, `kind`, `register_id`, `decode_ms`
    OCR = "ocr"  # a document's pages read and assembled: `document`, `pages`
    FILED = "filed"  # a document filed: `register_id`, `version`


@dataclass(frozen=True)
class IngestEvent:
    """One step of an ingest as it happens."""

    step: Step
    pages: int | None = None
    page: int | None = None
    kind: str | None = None
    register_id: str | None = None
    decode_ms: float | None = None
    document: str | None = None
    version: int | None = None

    def details(self) -> dict:
        """What the event says beyond its step (the command line prints it)."""
        return {k: v for k, v in asdict(self).items() if k != "step" and v is not None}


OnProgress = Callable[[IngestEvent], None]


@dataclass(frozen=True)
class IngestOptions:
    on_progress: OnProgress | None = None
    #: The OCR pool to share (a worker's, whose page jobs use it too); else the ingest starts its own.
    pool: OcrPool | None = None


@dataclass
class IngestResult:
    """What came of one ingest; `as_dict` is what `scan-station ingest --json` prints."""

    batch: str
    pages: int
    documents: list[FiledDocument] = field(default_factory=list)
    held: list[HeldGroup] = field(default_factory=list)
    blank_pages: list[int] = field(default_factory=list)
    removed_pages: list[int] = field(default_factory=list)  # taken out at review: kept raw, filed nowhere
    #: Pages the officer should look at, each with the entry whose document holds it.
    pages_to_check: list[tuple[PageCheck, str | None]] = field(default_factory=list)
    raw_batch: str = ""  # where the batch is kept as received, as the settings show paths
    timings: dict[str, object] = field(default_factory=dict)  # seconds per step; "pages": per page
    #: The batch had been filed by a process that died before it said so: nothing was filed now.
    already_filed: bool = False

    def as_dict(self) -> dict:
        found = {
            "batch": self.batch,
            "pages": self.pages,
            "documents": [d.as_dict() for d in self.documents],
            "held": [{"batch_pages": g.batch_pages, "reason": g.reason, "cover_page": g.cover_page,
                      "register_id": g.register_id} for g in self.held],
            "blank_pages": self.blank_pages,
            "removed_pages": self.removed_pages,
            "pages_to_check": [check.as_dict() | {"register_id": owner} for check, owner in self.pages_to_check],
            "raw_batch": self.raw_batch,
            "timings": self.timings,
        }
        return found | ({"already_filed": True} if self.already_filed else {})
