"""Scanning a batch: every page on disk the moment it is read, classified while the next one is
being scanned, then ingested exactly as `ingest` does.

Pages go into a batch folder (`batchfolder.BatchFolder`). A fault — jam, cover open, unplugged
scanner, a profile the device cannot do, a full disk — ends the current page, keeps every page
already written, records the fault in the batch's state (in both languages, with what to do) and
raises; `resume` continues the same batch with the same device and profile. The folder is also a
valid input for `ingest`, so a partial batch can be ingested as it is.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from ..audit import log as audit
from ..core import crash_points, storage
from ..core.config import Settings, plausible_dpi
from ..core.errors import ProfileError, ScannerError, ScanStationError, StorageError
from ..core.model import Fault, PageClass
from ..core.state_folder import this_process
from ..db.database import Database, utcnow
from ..filing.ingest import ingest, new_batch_id
from ..filing.sources import IngestOptions, IngestResult, IngestSource
from ..filing.store import already_filed
from ..pages.classify import classify_image, shrink
from ..pages.split import SplitResult, resolve
from .batch_folder import UNREADABLE_COVER, BatchFolder, BatchState, Status, owner_after
from .profiles import get_profile
from .scanner import open_session

log = logging.getLogger(__name__)
THUMB_WIDTH = 240
FAULT_NO_PAGES = Fault("no_docs", "Belum ada halaman yang terpindai — letakkan dokumen, lalu tekan Lanjutkan",
                       "No page was scanned — load the documents, then press Resume")


@dataclass(frozen=True)
class PageEvent:
    """What the kiosk shows as each page arrives."""

    batch: str
    page: int
    width: int
    height: int
    seconds: float
    path: str
    kind: str | None = None  # filled in once classified
    register_id: str | None = None


OnPage = Callable[[PageEvent], None]


# -- classifying the pages of a batch ------------------------------------------------------------


def _page_image(settings: Settings, folder: BatchFolder, number: int) -> tuple[Image.Image, int]:
    """A scanned page from its file, as scanned, with its dpi."""
    with Image.open(folder.page_path(number)) as image:
        image.load()
    return image, round(settings.image_dpi(image.info.get("dpi")))


def _shrunk(settings: Settings, folder: BatchFolder, number: int) -> Image.Image:
    """A scanned page from its file, as classification sees it."""
    image, dpi = _page_image(settings, folder, number)
    return shrink(image, image_dpi=dpi, dpi=settings.classify_dpi)[0]


def _classify(settings: Settings, image, number: int, dpi: int, previous: PageClass | None, before):
    """(the page's class after the page before it, the shrunk image it was classified from)."""
    small, small_dpi = shrink(image, image_dpi=dpi, dpi=settings.classify_dpi)
    page = classify_image(small, number, dpi=small_dpi, other_side=before, closer=lambda: image.convert("L"))
    return resolve(page, previous), small


def page_classes(settings: Settings, folder: BatchFolder) -> list[PageClass]:
    """Every page of the batch classified, in order; a page classified in no earlier run (a run
    that stopped between reading and classifying) is classified now, from its file."""
    state = folder.read_state()
    pages: list[PageClass]
    pages, current = [], None
    for number in range(1, state.pages + 1):
        current = state.lead_owners.get(number, current)
        page = folder.page_class(number)
        if page is None:
            before = _shrunk(settings, folder, number - 1) if number > 1 else None
            image, dpi = _page_image(settings, folder, number)
            page, _small = _classify(settings, image, number, dpi, pages[-1] if pages else None, before)
            folder.write_class(page, owner_after(page, current))
        current = folder.physical_owner(number)[1]
        pages.append(page)
    return pages


def lead_owner(folder: BatchFolder, pages: int) -> str | None:
    """Whose pages the next pages scanned into the batch are, until their first cover: those of
    the page being rescanned, else those of the batch's last page."""
    target = (folder.read_review() or {}).get("rescan_of") or pages
    if not target:
        return None
    known, owner = folder.physical_owner(target)
    return owner if known else UNREADABLE_COVER


# -- one run of the feeder -----------------------------------------------------------------------


class _Worker:
    """A thread that works through a queue in order; `finish()` waits for everything queued."""

    def __init__(self, work: Callable[..., None]):
        self._work = work
        self._queue: queue.Queue[tuple[object, ...] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # after a failure nothing more is done: pages stay in order, none skipped
            try:
                self._work(*item)
            except BaseException as exc:  # noqa: BLE001 - re-raised by finish() in the caller's thread
                self._error = exc

    @property
    def failed(self) -> bool:
        return self._error is not None

    def submit(self, *item: object) -> None:
        self._queue.put(item)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _Run:
    """One run of the feeder into a batch. The scanning thread only reads: each page goes at once
    to a writer thread (thumbnail, PNG written atomically, then counted in the state), and from
    there to a classifier thread, so page N is written and classified while N+1 is scanned."""

    def __init__(self, settings: Settings, folder: BatchFolder, on_page: OnPage | None):
        self.settings, self.folder, self.on_page = settings, folder, on_page
        self.state = folder.read_state()
        folder.drop_uncounted(self.state.pages)
        earlier = page_classes(settings, folder)  # pages a stopped run did not classify: their owners lead on
        self.previous = earlier[-1] if earlier else None
        #: the page before, shrunk: the other side of the sheet, in duplex
        self.before = _shrunk(settings, folder, self.state.pages) if self.state.pages else None
        self.owner = lead_owner(folder, self.state.pages)
        self.state.lead_owners[self.state.pages + 1] = self.owner
        self.classified: dict[int, PageClass] = {}
        self.events: dict[int, PageEvent] = {}
        self.classifier = _Worker(self._classify)
        self.writer = _Worker(self._write)

    def _write(self, n: int, image: Image.Image, dpi: int, seconds: float) -> None:
        thumb = image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode)
        thumb.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
        out = io.BytesIO()
        thumb.save(out, format="JPEG", quality=80)
        storage.replace_file(self.folder.thumb_path(n), out.getvalue())
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1, dpi=(dpi, dpi))
        storage.atomic_write_bytes(self.folder.page_path(n), buffer.getvalue())
        crash_points.point("scan.page_file")
        self.state.pages = n  # a page counts once its file is whole and the state says so
        self.folder.write_state(self.state)
        crash_points.point("scan.page_counted")
        self.events[n] = PageEvent(self.state.batch, n, *image.size, round(seconds, 3), str(self.folder.page_path(n)))
        if self.on_page:
            self.on_page(self.events[n])
        self.classifier.submit(n, image, dpi)

    def _classify(self, n: int, image, dpi: int) -> None:
        page, self.before = _classify(self.settings, image, n, dpi, self.previous, self.before)
        self.classified[n] = self.previous = page
        self.owner = owner_after(page, self.owner)
        self.folder.write_class(page, self.owner)
        crash_points.point("scan.page_classified")
        if self.on_page:
            self.on_page(dataclasses.replace(self.events[n], kind=page.kind, register_id=page.register_id))

    def drain(self) -> None:
        """Every page read is on disk (and classified) before anything is reported."""
        try:
            self.writer.finish()
        finally:
            self.classifier.finish()

    def feed(self) -> None:
        profile = self.state.profile
        number = self.state.pages
        demo = self.settings.demo_feeder_dir if self.settings.demo_feeder else None
        with open_session(self.state.device, profile, demo_feeder=demo) as session:
            for scanned in session.pages():
                number += 1
                dpi = round(plausible_dpi(scanned.dpi) or profile.resolution)  # a device may report none, or nonsense
                crash_points.point("scan.page_read")
                self.writer.submit(number, scanned.image, dpi, scanned.seconds)
                if self.writer.failed:
                    break  # e.g. a full disk: stop feeding paper that could not be kept


def scan_pages(settings: Settings, folder: BatchFolder, *, on_page: OnPage | None = None) -> dict[int, PageClass]:
    """Scan into `folder` (page numbers go on from what is there) until the feeder is empty; a
    fault is recorded in the batch's state, then raised. Returns the pages classified in this run."""
    run = _Run(settings, folder, on_page)
    state = run.state
    state.status, state.fault, state.owner = Status.SCANNING, None, this_process()
    folder.write_state(state)
    failure: BaseException | None = None
    try:
        run.feed()
    except BaseException as exc:  # noqa: BLE001 - recorded below, then raised
        failure = exc
    try:
        run.drain()
    except BaseException as exc:  # noqa: BLE001 - a page that could not be written (a full disk) says more
        failure = exc if failure is None or isinstance(failure, ScannerError) else failure
    empty = isinstance(failure, ScannerError) and failure.fault.kind == "no_docs" and state.pages > 0
    if failure is None or empty:  # an empty feeder after pages: the feeder ran through
        crash_points.point("scan.feeder_empty")
        state.status = Status.SCANNED
        folder.write_state(state)
        return run.classified
    state.status, state.fault = Status.INTERRUPTED, _fault_of(failure, state.pages)
    folder.write_state(state)
    if isinstance(failure, ScannerError):
        raise ScannerError(failure.fault, f"batch {state.batch}: {state.pages} page(s) kept; "
                                          f"run: scan-station resume {state.batch}") from None
    raise failure


def _fault_of(exc: BaseException, kept: int) -> Fault:
    """What to tell the officer about a scan that ended with `exc`, `kept` pages being safe."""
    if isinstance(exc, ScannerError):
        return exc.fault
    if isinstance(exc, ProfileError):  # nothing to resume: choose another profile
        return Fault("profile", "Pemindai ini tidak dapat memakai profil ini — pilih profil lain",
                     f"This scanner cannot use this profile — choose another one ({exc})",
                     code=exc.code, params=exc.params)
    if isinstance(exc, StorageError):
        return Fault("storage",
                     f"Penyimpanan penuh atau tidak dapat ditulis — {kept} halaman aman; kosongkan ruang, masukkan "
                     f"lagi kertas mulai halaman {kept + 1}, lalu tekan Lanjutkan",
                     f"Storage is full or cannot be written — {kept} page(s) are safe; free some space, feed the "
                     f"paper again from page {kept + 1}, then press Resume ({exc})")
    if not isinstance(exc, ScanStationError):
        log.exception("scanning failed", exc_info=exc)
    return Fault("error", f"Pemindaian terhenti karena kesalahan — {kept} halaman aman; tekan Lanjutkan, atau "
                          "hubungi admin bila terulang",
                 f"Scanning stopped on an error — {kept} page(s) are safe; press Resume, or ask the admin if it "
                 f"happens again ({exc})")


# -- batches ---------------------------------------------------------------------------------------


def start_batch(settings: Settings, db: Database, *, device: str, profile: str | None, user: str = "") -> BatchFolder:
    """A new, empty batch for `device` with the profile called `profile` (None: the first by name)."""
    chosen = get_profile(db, profile)
    for attempt in range(8):  # two kiosks may start a batch in the same second: a new id, not a clash
        state = BatchState(batch=new_batch_id(utcnow()), device=device, profile=chosen,
                           started_at=utcnow().isoformat(), user=user)
        try:
            folder = BatchFolder.create(settings.scans_dir, state)
            break
        except FileExistsError:
            if attempt == 7:
                raise
    with db.session() as session:
        audit.record(session, user, "scan.start", state.batch, device=device, profile=state.profile.name)
    return folder


def batch_folder(settings: Settings, batch_id: str) -> BatchFolder:
    return BatchFolder.open(settings.scans_dir, batch_id)


def ingest_scanned(settings: Settings, db: Database, folder: BatchFolder, *, plan: SplitResult | None = None,
                   options: IngestOptions | None = None) -> IngestResult:
    """Ingest a scanned batch folder (as split by `plan`, a reviewed `SplitResult`, else by its
    cover sheets), using the OCR results its pages have already; on success the folder goes (its
    pages are in storage now)."""
    state = folder.read_state()
    if state.pages == 0:
        raise ScannerError(FAULT_NO_PAGES)
    if already_filed(db, state.batch):  # the process that filed it died before the folder went
        folder.remove()
        return IngestResult(state.batch, state.pages, already_filed=True)
    source = IngestSource.scanned(folder.path, batch_id=state.batch, submitted_by=state.user,
                                  classified=page_classes(settings, folder), results_dir=folder.ocr_dir, plan=plan)
    result = ingest(source, settings=settings, db=db, options=options)
    crash_points.point("ingest.filed")
    folder.remove()
    crash_points.point("batch.removed")
    return result


def resume(settings: Settings, db: Database, batch_id: str, *, on_page: OnPage | None = None) -> IngestResult:
    folder = batch_folder(settings, batch_id)
    scan_pages(settings, folder, on_page=on_page)
    return ingest_scanned(settings, db, folder)
