"""Scanning a batch: every page on disk the moment it is read, classified while the next one is
being scanned, then ingested exactly as `ingest` does.

A batch folder (`<scans_dir>/<batch id>/`) holds `page-0001.png`, `page-0002.png`, ..., a
state file `.scan.json` (device, profile, pages, status, last fault, who scanned) and, in
`.meta/`, each page's thumbnail (`page-0001.jpg`, written with the page) and classification
(`page-0001.json`, written once it is made); the kiosk shows pages from there. A fault — jam,
cover open, unplugged scanner — ends the current page, keeps every page already written, records the fault
and raises `ScannerError`; `resume` continues the same batch with the same device and profile.
The folder is also a valid input for `ingest`, so a partial batch can be ingested as it is.
"""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from . import storage
from .classify import COVER, PageClass, classify_image, resolve, shrink
from .config import Settings
from .db import Database, ScanProfile, utcnow
from .errors import ScanStationError, StorageError
from .ingest import ingest, new_batch_id
from .scanner import (PAGE_SIZES_MM, Capabilities, Fault, Profile, ProfileError, ScannerError, Session, discover,
                      fit, has_feeder, open_session)

STATE_FILE = ".scan.json"
REVIEW_FILE = ".review.json"  # written by `review`
META = ".meta"
THUMB_WIDTH = 240
SCANNERS_CACHE = "scanners.json"


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


def get_profile(db: Database, name: str | None) -> Profile:
    with db.session() as session:
        row = session.get(ScanProfile, name) if name else session.scalars(select(ScanProfile).order_by(ScanProfile.name)).first()
        if row is None:
            names = ", ".join(session.scalars(select(ScanProfile.name)))
            raise ScanStationError(f"no scan profile {name!r}; profiles: {names or 'none (add one with: profiles add)'}")
        return Profile(row.name, row.source, row.mode, row.resolution, row.page_size)


#: Modes in the order a default is chosen: text reads best in grey; colour is for photographs.
_MODE_ORDER = {"gray": 0, "lineart": 1, "color": 2}


def choose_profile(settings: Settings, db: Database, *, device: str) -> tuple[Profile, str]:
    """The profile a scan uses when none is given, and why: the `default_profile` setting, else
    the first profile the device can do — feeder profiles first on a feeder scanner, grey before
    black-and-white before colour, and never a colour flatbed profile on a feeder scanner."""
    if settings.default_profile:
        return get_profile(db, settings.default_profile), "the default_profile setting"
    scanners = known_scanners(settings)["scanners"]
    if not any(s["name"] == device for s in scanners):
        scanners = known_scanners(settings, refresh=True)["scanners"]
    found = next((s for s in scanners if s["name"] == device), None)
    if found is None:
        raise ScanStationError(f"no scanner {device}; see: scan-station scanners --refresh")
    caps = Capabilities(**found)
    feeder = has_feeder(caps)
    with db.session() as session:
        rows = list(session.scalars(select(ScanProfile)))
    candidates = sorted((Profile(r.name, r.source, r.mode, r.resolution, r.page_size) for r in rows),
                        key=lambda p: (p.feeder != feeder, _MODE_ORDER.get(p.mode, 3), abs(p.resolution - 300), p.name))
    refusals = []
    for profile in candidates:
        if feeder and not profile.feeder and profile.mode == "color":
            continue
        try:
            fit(caps, profile)
        except ProfileError as exc:
            refusals.append(str(exc))
            continue
        return profile, f"the first profile {device} can do"
    raise ProfileError(f"no scan profile fits {device} ({'; '.join(refusals) or 'there are no profiles'}); "
                       "add one: scan-station profiles add NAME --source ... --page-size max")


def write_state(folder: Path, state: dict) -> None:
    try:
        storage.replace_json(folder / STATE_FILE, state)
    except StorageError:
        if not _overwrite_in_place(folder / STATE_FILE, state):
            raise


def _overwrite_in_place(path: Path, state: dict) -> bool:
    """A full disk has no room for a new copy, but the state file's own blocks are allocated
    already: overwrite it in place, so that what happened to the batch is recorded."""
    try:
        with open(path, "r+b") as f:
            f.write(json.dumps(state, indent=2, ensure_ascii=False, default=str).encode())
            f.truncate()
            os.fsync(f.fileno())
    except OSError:
        return False
    return True


SOURCES, MODES = ("flatbed", "adf", "adf-duplex"), ("lineart", "gray", "color")


def profile_dict(row: ScanProfile) -> dict:
    return {"name": row.name, "source": row.source, "mode": row.mode, "resolution": row.resolution,
            "page_size": row.page_size}


def add_profile(db: Database, *, name: str, source: str, mode: str, resolution: int, page_size: str) -> dict:
    """A new named profile; refused with the reason when a value is not one we know."""
    name = name.strip()
    problems = [
        "name: required" if not name else "",
        f"source: one of {', '.join(SOURCES)}" if source not in SOURCES else "",
        f"mode: one of {', '.join(MODES)}" if mode not in MODES else "",
        "resolution: 50 to 1200 dpi" if not 50 <= resolution <= 1200 else "",
        f"page size: one of {', '.join([*PAGE_SIZES_MM, 'max'])}" if page_size not in [*PAGE_SIZES_MM, "max"] else "",
    ]
    if any(problems):
        raise ProfileError("; ".join(p for p in problems if p))
    with db.session() as session:
        if session.get(ScanProfile, name) is not None:
            raise ProfileError(f"profile {name!r} exists already")
        row = ScanProfile(name=name, source=source, mode=mode, resolution=resolution, page_size=page_size)
        session.add(row)
        return profile_dict(row)


def remove_profile(db: Database, name: str) -> None:
    with db.session() as session:
        row = session.get(ScanProfile, name)
        if row is None:
            raise ScanStationError(f"no scan profile {name!r}")
        session.delete(row)


def thumb_path(folder: Path, page: int) -> Path:
    return folder / META / f"page-{page:04d}.jpg"


def _class_path(folder: Path, page: int) -> Path:
    return folder / META / f"page-{page:04d}.json"


def _write_class(folder: Path, page: PageClass, owner: str | None) -> None:
    storage.replace_json(_class_path(folder, page.number), asdict(page) | {"owner": owner})


def _read_class(folder: Path, number: int) -> dict | None:
    try:
        return json.loads(_class_path(folder, number).read_text())
    except FileNotFoundError:
        return None


def page_class(folder: Path, number: int) -> PageClass | None:
    """The page's classification, once it is made (None before)."""
    data = _read_class(folder, number)
    if data is None:
        return None
    return PageClass.from_dict(data)


#: The physical owner of pages that came in under a cover sheet nobody could read: some entry,
#: perhaps a "dikecualikan" one.
UNREADABLE_COVER = "?"


def physical_owner(folder: Path, number: int) -> tuple[bool, str | None]:
    """(known, owner): the register id of the cover sheet the page came in under, as recorded when
    it was classified — what the page *is*, whatever a review says later. Not known before the
    page is classified; `None` for pages before any cover, `UNREADABLE_COVER` after a cover whose
    id could not be trusted."""
    data = _read_class(folder, number)
    if data is None:
        return False, None
    return True, data.get("owner", UNREADABLE_COVER)


def _owner_after(page: PageClass, current: str | None) -> str | None:
    if page.kind != COVER:
        return current
    return page.register_id if page.register_id and not page.problem else UNREADABLE_COVER


def _lead_owner(folder: Path, pages: int) -> str | None:
    """Whose pages the next pages scanned into the batch are, until their first cover: those of
    the page being rescanned, else those of the batch's last page."""
    try:
        rescan_of = json.loads((folder / REVIEW_FILE).read_text()).get("rescan_of")
    except FileNotFoundError:
        rescan_of = None
    target = rescan_of or pages
    if not target:
        return None
    known, owner = physical_owner(folder, target)
    return owner if known else UNREADABLE_COVER


def page_classes(settings: Settings, folder: Path) -> list[PageClass]:
    """Every page of the batch classified, in order; a page classified in no earlier run (a run
    that stopped between reading and classifying) is classified now, from its file."""
    state = read_state(folder)
    pages, current = [], None
    for number in range(1, state["pages"] + 1):
        current = state.get("lead_owners", {}).get(str(number), current)
        page = page_class(folder, number)
        if page is None:
            before = _page_image(settings, folder, number - 1) if number > 1 else None
            image, dpi = _page_image(settings, folder, number, full=True)
            page, _small = _classify(settings, image, number, dpi, pages[-1] if pages else None, before)
            _write_class(folder, page, _owner_after(page, current))
        current = physical_owner(folder, number)[1]
        pages.append(page)
    return pages


def _page_image(settings: Settings, folder: Path, number: int, *, full: bool = False):
    """A scanned page from its file: shrunk for classification, or (`full`) as scanned, with its dpi."""
    with Image.open(folder / f"page-{number:04d}.png") as image:
        image.load()
    dpi = round(image.info.get("dpi", (settings.default_image_dpi,))[0])
    return (image, dpi) if full else shrink(image, image_dpi=dpi, dpi=settings.classify_dpi)[0]


def _classify(settings: Settings, image, number: int, dpi: int, previous: PageClass | None, before):
    """(the page's class after the page before it, the shrunk image it was classified from)."""
    small, small_dpi = shrink(image, image_dpi=dpi, dpi=settings.classify_dpi)
    page = classify_image(small, number, dpi=small_dpi, other_side=before, closer=lambda: image.convert("L"))
    return resolve(page, previous), small


def known_scanners(settings: Settings, *, refresh: bool = False) -> dict:
    """Discovery is slow with network backends: its result is cached in the home folder and
    refreshed on request (the udev rule asks for that when a scanner is plugged in or out)."""
    cache = settings.home / SCANNERS_CACHE
    if not refresh and cache.is_file():
        return json.loads(cache.read_text())
    data = {"discovered_at": utcnow().isoformat(timespec="seconds"), "scanners": [c.as_dict() for c in discover()]}
    storage.replace_json(cache, data)
    return data


def read_state(folder: Path) -> dict:
    """The batch's state. A scan or a filing whose process is gone (the kiosk was restarted, the
    machine lost power) reads as interrupted / failed, so that it can be resumed or confirmed again."""
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except FileNotFoundError:
        raise ScanStationError(f"{folder.name}: not a scan batch (no {STATE_FILE})") from None
    if state.get("status") in ("scanning", "filing") and not _alive(state.get("owner")):
        if state["status"] == "scanning":
            state.update(status="interrupted", fault={"kind": "stopped", "id": FAULT_STOPPED.id, "en": FAULT_STOPPED.en})
        else:
            state.update(status="failed", error="filing stopped before it was done (the program ended); confirm again")
    return state


def owner() -> dict:
    """Who is working on a batch: this process, on this machine."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(who: dict | None) -> bool:
    if not who or who.get("host") != socket.gethostname():
        return True  # another machine's process: it says for itself
    try:
        os.kill(who["pid"], 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True


class _Worker:
    """A thread that works through a queue in order; `finish()` waits for everything queued."""

    def __init__(self, work: Callable[..., None]):
        self._work, self._queue = work, queue.Queue()
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


def scan_pages(settings: Settings, folder: Path, *, on_page: OnPage | None = None,
               fault_after: Callable[[Session, int], None] | None = None) -> dict[int, PageClass]:
    """Scan into `folder` (page numbers go on from what is there) until the feeder is empty.

    The scanning thread only reads: each page goes at once to a writer thread (PNG, written
    atomically, then counted in the state file), and from there to a classifier thread, so
    page N is written and classified while page N+1 is being scanned. `fault_after(session,
    page)` is called after each page is read; tests inject faults through it."""
    state = read_state(folder)
    profile = Profile(**state["profile"])
    number = state["pages"]
    for uncounted in folder.glob("page-*.png"):  # written when the state could not be (a full disk):
        if int(uncounted.stem.split("-")[1]) > number:  # the officer was told to feed it again
            uncounted.unlink()
    earlier = page_classes(settings, folder)  # pages a stopped run did not classify: their owners lead on
    previous = earlier[-1] if earlier else None
    before = _page_image(settings, folder, number) if number else None  # the other side of the next page?
    classified: dict[int, PageClass] = {}
    events: dict[int, PageEvent] = {}
    state.setdefault("lead_owners", {})[str(number + 1)] = owner_now = _lead_owner(folder, number)

    def classify(n: int, image, dpi: int) -> None:
        nonlocal owner_now, previous, before
        page, before = _classify(settings, image, n, dpi, previous, before)
        classified[n] = previous = page
        owner_now = _owner_after(page, owner_now)
        _write_class(folder, page, owner_now)
        if on_page:
            on_page(PageEvent(**{**asdict(events[n]), "kind": page.kind, "register_id": page.register_id}))

    classifier = _Worker(classify)

    def write(n: int, image, dpi: int, seconds: float) -> None:
        thumb = image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode)
        thumb.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
        out = io.BytesIO()
        thumb.save(out, format="JPEG", quality=80)
        storage.replace_file(thumb_path(folder, n), out.getvalue())
        path = folder / f"page-{n:04d}.png"
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1, dpi=(dpi, dpi))
        storage.atomic_write_bytes(path, buffer.getvalue())
        state["pages"] = n  # a page counts once its file is whole and the state says so
        write_state(folder, state)
        events[n] = PageEvent(state["batch"], n, *image.size, round(seconds, 3), str(path))
        if on_page:
            on_page(events[n])
        classifier.submit(n, image, dpi)

    writer = _Worker(write)

    def drain() -> None:  # every page read is on disk (and classified) before anything is reported
        try:
            writer.finish()
        finally:
            classifier.finish()

    state.update(status="scanning", fault=None, owner=owner())
    write_state(folder, state)
    try:
        feeder = settings.demo_feeder_dir if settings.demo_feeder else None
        with open_session(state["device"], profile, demo_feeder=feeder) as session:
            for scanned in session.pages():
                number += 1
                writer.submit(number, scanned.image, scanned.dpi or profile.resolution, scanned.seconds)
                if writer.failed:
                    break  # e.g. a full disk: stop feeding paper that could not be kept
                if fault_after:
                    fault_after(session, number)
        drain()
    except ScannerError as exc:
        drain()
        if exc.fault.kind == "no_docs" and state["pages"] > 0:  # resumed with nothing left to feed
            state["status"] = "scanned"
            write_state(folder, state)
            return classified
        state.update(status="interrupted", fault={"kind": exc.fault.kind, "id": exc.fault.id, "en": exc.fault.en})
        write_state(folder, state)
        raise ScannerError(exc.fault, f"batch {state['batch']}: {state['pages']} page(s) kept; "
                                      f"run: scan-station resume {state['batch']}") from None
    except BaseException:
        drain()
        state["status"] = "interrupted"
        write_state(folder, state)
        raise
    state["status"] = "scanned"
    write_state(folder, state)
    return classified


def start_batch(settings: Settings, db: Database, *, device: str, profile: str | None, user: str = "") -> Path:
    chosen = get_profile(db, profile)
    batch_id = new_batch_id(utcnow())
    folder = settings.scans_dir / batch_id
    folder.mkdir(parents=True)
    write_state(folder, {"batch": batch_id, "device": device, "profile": asdict(chosen), "pages": 0,
                          "status": "new", "fault": None, "started_at": utcnow().isoformat(), "user": user})
    return folder


def ingest_scanned(settings: Settings, db: Database, folder: Path, *, plan=None, on_progress=None) -> dict:
    """Ingest a scanned batch folder (as split by `plan`, a reviewed `SplitResult`, else by its
    cover sheets); on success the folder goes (its pages are in storage now)."""
    state = read_state(folder)
    if state["pages"] == 0:
        raise ScannerError(FAULT_NO_PAGES)
    result = ingest(folder, settings=settings, db=db, batch_id=state["batch"], classified=page_classes(settings, folder),
                    plan=plan, submitted_by=state.get("user", ""), on_progress=on_progress)
    shutil.rmtree(folder)
    return result


def batch_folder(settings: Settings, batch_id: str) -> Path:
    folder = settings.scans_dir / batch_id
    if not folder.is_dir():
        raise ScanStationError(f"no scan batch {batch_id} in {settings.scans_dir}")
    return folder


def resume(settings: Settings, db: Database, batch_id: str, *, on_page: OnPage | None = None) -> dict:
    folder = batch_folder(settings, batch_id)
    scan_pages(settings, folder, on_page=on_page)
    return ingest_scanned(settings, db, folder)


FAULT_STOPPED = Fault("stopped", "Pemindaian terhenti (program dimulai ulang) — tekan Lanjutkan",
                      "Scanning stopped (the program was restarted) — press Resume")
FAULT_NO_PAGES = Fault("no_docs", "Belum ada halaman yang terpindai — letakkan dokumen, lalu tekan Lanjutkan",
                       "No page was scanned — load the documents, then press Resume")
