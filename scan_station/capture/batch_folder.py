"""A scan batch's folder, owned by this module: its layout, its typed state, its pages.

    <scans_dir>/<batch id>/
      page-0001.png ...          the pages as scanned (the folder is also a valid `ingest` input)
      .scan.json                 the batch's state (`BatchState`), written atomically
      .review.json               the officer's corrections (`review.Review`), once the review began
      .meta/page-0001.jpg        each page's thumbnail, written with the page
      .meta/page-0001.json       its classification and the cover it came in under, once classified
      .ocr/page-0001/            its OCR result (`page_ocr`), read while the batch is scanned and reviewed
      .lock                      taken while a status changes hands (confirm, a worker taking it up)

Scanning, review, filing and the kiosk all go through `BatchFolder`; nobody else builds these
paths or reads these files.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from ..core import storage
from ..core.errors import NotFoundError, StorageError
from ..core.model import COVER, Fault, PageClass, Profile
from ..core.state_folder import StateFolder, process_alive

STATE_FILE, REVIEW_FILE, META, OCR = ".scan.json", ".review.json", ".meta", ".ocr"
#: The physical owner of pages that came in under a cover sheet nobody could read: some entry,
#: perhaps a "dikecualikan" one.
UNREADABLE_COVER = "?"


class Status(StrEnum):
    NEW = "new"
    SCANNING = "scanning"
    INTERRUPTED = "interrupted"  # a fault, or the scanning process ended: Lanjutkan goes on
    SCANNED = "scanned"  # waiting for review
    QUEUED = "queued"  # confirmed, waiting for a worker
    FILING = "filing"
    FAILED = "failed"  # filing failed; every page kept, confirm again
    CANCELLED = "cancelled"  # being put away unfiled (`cancel`); cancelling again finishes it

    @property
    def busy(self) -> bool:
        """Nobody may change the batch now (its pages or its review)."""
        return self in (Status.SCANNING, Status.QUEUED, Status.FILING, Status.CANCELLED)


FAULT_STOPPED = Fault("stopped", "Pemindaian terhenti (program dimulai ulang) — tekan Lanjutkan",
                      "Scanning stopped (the program was restarted) — press Resume")
FILING_STOPPED = "filing stopped before it was done (the program ended); confirm again"


@dataclass
class FilingProgress:
    """How far the filing of a confirmed batch has got."""

    step: str = "start"
    documents: int = 0
    filed: int = 0
    ocr_done: int = 0


@dataclass
class BatchState:
    batch: str
    device: str
    profile: Profile
    pages: int = 0  # pages whose files are whole; a page counts once its file is and the state says so
    status: Status = Status.NEW
    fault: Fault | None = None
    started_at: str = ""
    user: str = ""  # who scanned, then who confirmed
    owner: dict | None = None  # the process working on it: {"host", "pid"}
    error: str | None = None
    #: The error's code and parameters (`ScanStationError`), for a screen to say it in its language.
    code: str = ""
    params: dict = field(default_factory=dict)
    #: The filing failed for a reason that passes (a full or read-only disk, the database away):
    #: workers try again (`jobs.requeue_orphans`) until it is filed.
    retry: bool = False
    progress: FilingProgress | None = None
    #: Batch page -> the owner of the pages scanned from there until their first cover (a rescan:
    #: the page it replaces; a resumed feeder: the last page before).
    lead_owners: dict[int, str | None] = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["status"] = str(self.status)
        data["lead_owners"] = {str(k): v for k, v in self.lead_owners.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> BatchState:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**values | {
            "profile": Profile(**data["profile"]), "status": Status(data.get("status", "new")),
            "fault": Fault(**data["fault"]) if data.get("fault") else None,
            "progress": FilingProgress(**data["progress"]) if data.get("progress") else None,
            "lead_owners": {int(k): v for k, v in (data.get("lead_owners") or {}).items()},
        })


class BatchFolder(StateFolder[BatchState]):
    """One batch folder under `scans_dir`."""

    STATE_FILE, KIND = STATE_FILE, "scan batch"

    # -- finding and making -------------------------------------------------------------------

    @classmethod
    def create(cls, scans_dir: Path, state: BatchState) -> BatchFolder:
        folder = cls(scans_dir / state.batch)
        folder.path.mkdir(parents=True)
        try:
            folder.write_state(state)
        except (OSError, StorageError):  # a full or read-only disk: no folder without a state is left
            folder.path.rmdir()
            raise
        return folder

    @classmethod
    def open(cls, scans_dir: Path, batch_id: str) -> BatchFolder:
        folder = cls(scans_dir / batch_id)
        if not (folder.path / STATE_FILE).is_file():
            raise NotFoundError(f"no scan batch {batch_id} in {scans_dir}")
        return folder

    @classmethod
    def all(cls, scans_dir: Path) -> Iterator[BatchFolder]:
        """Every batch folder in `scans_dir`, newest first."""
        for state_file in sorted(scans_dir.glob(f"*/{STATE_FILE}"), reverse=True):
            yield cls(state_file.parent)

    def remove(self) -> None:
        """The batch is in storage now: its folder goes."""
        shutil.rmtree(self.path)

    # -- state ------------------------------------------------------------------------------------

    def load(self, data: dict) -> BatchState:
        return BatchState.from_json(data)

    def dump(self, state: BatchState) -> dict:
        return state.to_json()

    def settle(self, state: BatchState) -> BatchState:
        """A scan or a filing whose process is gone (the kiosk was restarted, the machine lost
        power) reads as interrupted / failed, so that it can be resumed or confirmed again."""
        if state.status in (Status.SCANNING, Status.FILING) and not process_alive(state.owner):
            if state.status == Status.SCANNING:
                state.status, state.fault = Status.INTERRUPTED, FAULT_STOPPED
            else:
                state.status, state.error = Status.FAILED, FILING_STOPPED
        return state

    # -- pages ------------------------------------------------------------------------------------

    def page_path(self, number: int) -> Path:
        return self.path / f"page-{number:04d}.png"

    @property
    def ocr_dir(self) -> Path:
        """Where the pages' OCR results are kept until the batch is filed."""
        return self.path / OCR

    def thumb_path(self, number: int) -> Path:
        return self.path / META / f"page-{number:04d}.jpg"

    def _class_path(self, number: int) -> Path:
        return self.path / META / f"page-{number:04d}.json"

    def drop_uncounted(self, counted: int) -> None:
        """Page files beyond the count (written when the state could not be: a full disk); the
        officer was told to feed those pages again."""
        for path in self.path.glob("page-*.png"):
            if int(path.stem.split("-")[1]) > counted:
                path.unlink()

    def classified_count(self) -> int:
        return sum(1 for _ in (self.path / META).glob("page-*.json"))

    def write_class(self, page: PageClass, owner: str | None) -> None:
        """A page's classification and its physical owner (`physical_owner`)."""
        storage.replace_json(self._class_path(page.number), asdict(page) | {"owner": owner})

    def _read_class(self, number: int) -> dict | None:
        try:
            return json.loads(self._class_path(number).read_text())
        except FileNotFoundError:
            return None

    def page_class(self, number: int) -> PageClass | None:
        """The page's classification, once it is made (None before)."""
        data = self._read_class(number)
        return None if data is None else PageClass.from_dict(data)

    def physical_owner(self, number: int) -> tuple[bool, str | None]:
        """(known, owner): the register id of the cover sheet the page came in under, as recorded
        when it was classified — what the page *is*, whatever a review says later. Not known before
        the page is classified; `None` for pages before any cover, `UNREADABLE_COVER` after a cover
        whose id could not be trusted."""
        data = self._read_class(number)
        if data is None:
            return False, None
        return True, data.get("owner", UNREADABLE_COVER)

    # -- the review -------------------------------------------------------------------------------

    def read_review(self) -> dict | None:
        try:
            return json.loads((self.path / REVIEW_FILE).read_text())
        except FileNotFoundError:
            return None

    def write_review(self, data: dict) -> None:
        storage.replace_json(self.path / REVIEW_FILE, data)

    def review_version(self) -> int | None:
        """Changes whenever the review is written (for caches)."""
        path = self.path / REVIEW_FILE
        return path.stat().st_mtime_ns if path.is_file() else None


def owner_after(page: PageClass, current: str | None) -> str | None:
    """The physical owner of the pages after `page`, given the owner of the pages before it."""
    if page.kind != COVER:
        return current
    return page.register_id if page.register_id and not page.problem else UNREADABLE_COVER
