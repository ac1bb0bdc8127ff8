"""Scanners through SANE (python-sane): discovery, profiles, feeder batches, faults.

Everything about a device is read from SANE's own option descriptors (type, unit, constraint),
never guessed from its name. python-sane reports a failed SANE call only as the text of
`sane_strstatus()`; `FAULTS` maps those texts to faults in one place.

SANE is not thread-safe: use one device from one thread at a time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import _sane
import sane
from PIL import Image

from .._exec.sane import init
from ..core.errors import ProfileError, ScannerError
from ..core.model import PAGE_SIZES_MM, Fault, Profile

# -- faults --------------------------------------------------------------------------------------


_RESUME_ID, _RESUME_EN = "lalu tekan Lanjutkan", "then press Resume"
log = logging.getLogger(__name__)
#: How long a scan's cancel may take before the handle is given up (`Session._cancel`).
CANCEL_SECONDS = 10.0
FAULTS = {  # sane_strstatus() text -> what happened and what to do
    "Document feeder jammed": Fault(
        "jammed", f"Kertas macet — keluarkan kertas, {_RESUME_ID}", f"Paper jam — remove the paper, {_RESUME_EN}"),
    "Scanner cover is open": Fault(
        "cover_open", f"Penutup pemindai terbuka — tutup penutupnya, {_RESUME_ID}",
        f"Scanner cover is open — close it, {_RESUME_EN}"),
    "Document feeder out of documents": Fault(
        "no_docs", f"Tidak ada kertas di pengumpan — letakkan dokumen, {_RESUME_ID}",
        f"No paper in the feeder — load the documents, {_RESUME_EN}"),
    "Device busy": Fault(
        "busy", f"Pemindai sedang dipakai — tunggu sebentar, {_RESUME_ID}",
        f"The scanner is busy — wait a moment, {_RESUME_EN}"),
    "Error during device I/O": Fault(
        "io_error", f"Gangguan komunikasi dengan pemindai — periksa kabel dan daya, {_RESUME_ID}",
        f"Cannot talk to the scanner — check its cable and power, {_RESUME_EN}"),
    "Access to resource has been denied": Fault(
        "access_denied", "Akses ke pemindai ditolak — hubungi admin (grup scanner)",
        "Access to the scanner was denied — ask the admin (group scanner)"),
    "Out of memory": Fault(
        "no_memory", f"Memori pemindai penuh — pindai dengan resolusi lebih rendah, {_RESUME_ID}",
        f"The scanner ran out of memory — use a lower resolution, {_RESUME_EN}"),
    "Operation was canceled": Fault(
        "cancelled", f"Pemindaian dibatalkan — {_RESUME_ID} untuk meneruskan",
        "Scanning was cancelled — press Resume to go on"),
    "Invalid argument": Fault(
        "gone", f"Pemindai tidak ditemukan — sambungkan kembali, {_RESUME_ID}",
        f"Scanner not found — plug it in again, {_RESUME_EN}"),
}
FAULTS["Operation was cancelled"] = FAULTS["Operation was canceled"]
#: A device whose cancel has not come back in this process (`Session._cancel`): waiting does not
#: help, and opening it again would only say "busy".
STUCK = Fault("stuck", f"Pemindai tidak merespons — minta admin memulai ulang Scan Station, {_RESUME_ID}",
              f"The scanner stopped responding — ask the admin to restart Scan Station, {_RESUME_EN}")
#: Devices whose cancel has not come back yet, in this process.
_STUCK: set[str] = set()
_UNKNOWN = Fault("error", "Pemindai melaporkan kesalahan", "The scanner reported an error")


def fault_for(exc: BaseException) -> Fault:
    """The fault behind a python-sane exception (it carries only the status text)."""
    text = str(exc).strip()
    if isinstance(exc, RuntimeError) and "no data" in text:
        return FAULTS["Error during device I/O"]
    return FAULTS.get(text, Fault(_UNKNOWN.kind, f"{_UNKNOWN.id}: {text}", f"{_UNKNOWN.en}: {text}"))


# -- what a device offers ------------------------------------------------------------------------

SOURCE_WORDS = {
    "flatbed": ("flatbed", "glass", "platen", "normal"),
    "adf": ("adf", "feeder"),
    "adf-duplex": ("duplex",),
}
MODE_WORDS = {
    "lineart": ("lineart", "binary", "black & white", "black and white", "bw"),
    "gray": ("gray", "grey", "grayscale"),
    "color": ("color", "colour"),
}


@dataclass
class Capabilities:
    name: str
    vendor: str
    model: str
    type: str
    sources: list[str]  # the backend's own names
    modes: list[str]
    resolutions: list[int] | dict  # a list, or {"min", "max", "step"}
    max_area_mm: list[float] | None  # [width, height] of the scan area
    page_sizes: list[str]  # standard sizes that fit the area

    def as_dict(self) -> dict:
        return asdict(self)


def _options(dev: sane.SaneDev) -> dict[str, sane.Option]:
    return {o.name: o for o in (sane.Option(t, dev) for t in dev.get_options()) if o.name}


def _strings(opt: sane.Option | None) -> list[str]:
    return list(opt.constraint) if opt is not None and isinstance(opt.constraint, list) else []


def _area(opts: dict[str, sane.Option]) -> list[float] | None:
    if not all(n in opts and isinstance(opts[n].constraint, tuple) for n in ("br-x", "br-y")):
        return None
    if opts["br-x"].unit != _sane.UNIT_MM:
        return None
    return [float(opts["br-x"].constraint[1]), float(opts["br-y"].constraint[1])]


def capabilities(dev: sane.SaneDev, name: str, vendor: str = "", model: str = "", kind: str = "") -> Capabilities:
    opts = _options(dev)
    res = opts.get("resolution")
    if res is None:
        resolutions: list[int] | dict = []
    elif isinstance(res.constraint, tuple):
        low, high, step = res.constraint
        resolutions = {"min": int(low), "max": int(high), "step": int(step or 1)}
    else:
        resolutions = [int(r) for r in res.constraint or []]
    area = _area(opts)
    fits = [size for size, (w, h) in PAGE_SIZES_MM.items() if area and w <= area[0] + 0.5 and h <= area[1] + 0.5]
    return Capabilities(
        name=name,
        vendor=vendor,
        model=model,
        type=kind,
        sources=_strings(opts.get("source")) or ["Flatbed"],
        modes=_strings(opts.get("mode")),
        resolutions=resolutions,
        max_area_mm=area,
        page_sizes=fits + ["max"],
    )


def discover() -> list[Capabilities]:
    """Every scanner SANE can see, with what it offers. Network backends may take seconds."""
    init()
    found = []
    for name, vendor, model, kind in sane.get_devices():
        try:
            with sane.open(name) as dev:
                found.append(capabilities(dev, name, vendor, model, kind))
        except (_sane.error, RuntimeError):
            continue  # listed but not openable now (busy, permissions): skipped, found next time
    return found


# -- profiles ------------------------------------------------------------------------------------


def _pick(wanted: str, offered: list[str], words: dict[str, tuple[str, ...]]) -> str | None:
    for value in offered:
        low = value.lower()
        if any(w in low for w in words[wanted]) and not (wanted == "adf" and "duplex" in low):
            return value
    return None


def fit(caps: Capabilities, profile: Profile) -> dict:
    """The device options that do `profile` on a device that offers `caps`; ProfileError naming
    what the device offers when it cannot."""
    chosen: dict[str, object] = {}
    source = _pick(profile.source, caps.sources, SOURCE_WORDS)
    if source is None and profile.feeder and not has_feeder(caps):
        raise ProfileError(f"profile {profile.name!r}: {caps.name} has no document feeder; it offers: flatbed only",
                           code="profile_no_feeder", profile=profile.name, device=caps.name)
    if source is None:
        offered = ", ".join(caps.sources)
        raise ProfileError(
            f"profile {profile.name!r}: {caps.name} has no {profile.source} source; it offers: {offered}",
            code="profile_no_source", profile=profile.name, device=caps.name, source=profile.source, offered=offered)
    chosen["source"] = source
    if caps.modes:
        mode = _pick(profile.mode, caps.modes, MODE_WORDS)
        if mode is None:
            raise ProfileError(
                f"profile {profile.name!r}: {caps.name} cannot scan {profile.mode}; it offers: {', '.join(caps.modes)}",
                code="profile_no_mode", profile=profile.name, device=caps.name, mode=profile.mode,
                offered=", ".join(caps.modes))
        chosen["mode"] = mode
    res = caps.resolutions
    if res:
        ok = (profile.resolution in res) if isinstance(res, list) else res["min"] <= profile.resolution <= res["max"]
        if not ok:
            shown = ", ".join(map(str, res)) if isinstance(res, list) else f"{res['min']}–{res['max']}"
            raise ProfileError(
                f"profile {profile.name!r}: {caps.name} cannot scan at {profile.resolution} dpi; "
                f"it offers: {shown} dpi",
                code="profile_no_resolution", profile=profile.name, device=caps.name, resolution=profile.resolution,
                offered=shown)
        chosen["resolution"] = profile.resolution
    if caps.max_area_mm:
        width, height = caps.max_area_mm if profile.page_size == "max" else PAGE_SIZES_MM[profile.page_size]
        if width > caps.max_area_mm[0] + 0.5 or height > caps.max_area_mm[1] + 0.5:
            w, h = caps.max_area_mm
            raise ProfileError(
                f"profile {profile.name!r}: {profile.page_size} ({width:g} × {height:g} mm) does not fit; "
                f"{caps.name} scans at most {w:g} × {h:g} mm ({', '.join(caps.page_sizes)})",
                code="profile_too_big", profile=profile.name, device=caps.name, page_size=profile.page_size,
                size=f"{width:g} × {height:g}", largest=f"{w:g} × {h:g}")
        chosen.update({"tl-x": 0.0, "tl-y": 0.0, "br-x": float(width), "br-y": float(height)})
    return chosen


def has_feeder(caps: Capabilities) -> bool:
    return any(_pick(source, caps.sources, SOURCE_WORDS) for source in ("adf", "adf-duplex"))


def apply_profile(dev: sane.SaneDev, caps: Capabilities, profile: Profile) -> dict:
    """Set the device's options for `profile`, or refuse naming what the device offers."""
    opts = _options(dev)
    chosen = fit(caps, profile)
    for name, value in chosen.items():
        if name in opts and opts[name].is_active() and opts[name].is_settable():
            setattr(dev, opts[name].py_name, value)
    return chosen


# -- scanning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScannedPage:
    image: Image.Image
    seconds: float  # time to read it from the device
    dpi: int


class Session:
    """An open device with a profile applied; `pages()` reads until the feeder is empty."""

    def __init__(self, device: str, profile: Profile):
        init()
        self.profile, self.device = profile, device
        if device in _STUCK:
            raise ScannerError(STUCK, f"device {device}")
        try:
            self._dev = sane.open(device)
        except (_sane.error, RuntimeError) as exc:
            raise ScannerError(fault_for(exc), f"device {device}") from None
        try:
            self.caps = capabilities(self._dev, device)
            self.options = apply_profile(self._dev, self.caps, profile)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._dev is not None:
            try:
                if self._cancel():
                    self._dev.close()
            except (_sane.error, RuntimeError):
                pass  # the device may be gone already
            self._dev = None

    def _cancel(self) -> bool:
        """Cancel the scan in progress, waiting at most CANCEL_SECONDS: a backend that never comes
        back from cancelling (seen with SANE's test backend after an I/O error, in a process with
        many threads) must not hang the scan that has a fault to report. False: it did not return,
        and the handle is left alone (closing it under a cancel still running could crash); the
        device is then `STUCK` in this process until the cancel comes back, which closes it."""
        dev, device, lock, done = self._dev, self.device, threading.Lock(), threading.Event()
        given_up = False

        def cancel() -> None:
            with contextlib.suppress(_sane.error, RuntimeError, AttributeError):
                dev.cancel()
            with lock:
                done.set()
                late = given_up
            if late:  # back after all: nobody holds the handle now, and the device is free again
                with contextlib.suppress(_sane.error, RuntimeError, AttributeError):
                    dev.close()
                _STUCK.discard(device)
                log.warning("%s came back from cancelling; it can be opened again", device)

        threading.Thread(target=cancel, name="sane-cancel", daemon=True).start()
        done.wait(CANCEL_SECONDS)
        with lock:
            if done.is_set():
                return True
            given_up = True
            _STUCK.add(device)
        log.warning("%s did not return from cancelling within %s s; its handle is left open", device, CANCEL_SECONDS)
        return False

    def set_option(self, name: str, value: object) -> None:
        """Set a backend option by its SANE name (the `test` backend injects faults this way)."""
        setattr(self._dev, name.replace("-", "_"), value)

    def pages(self, *, limit: int | None = None) -> Iterator[ScannedPage]:
        """Yield each page the moment it is read. A feeder ends normally when it runs empty after
        at least one page; any other status raises ScannerError after the pages already yielded."""
        count = 0
        if limit is None and not self.profile.feeder:
            limit = 1  # a flatbed scans one page per call; call again for the next
        try:
            while limit is None or count < limit:
                started = time.perf_counter()
                try:
                    self._dev.start()
                    image = self._dev.snap(no_cancel=self.profile.feeder)
                except (_sane.error, RuntimeError) as exc:
                    fault = fault_for(exc)
                    if fault.kind == "no_docs" and count > 0:
                        return
                    raise ScannerError(fault) from None
                count += 1
                yield ScannedPage(image, time.perf_counter() - started, int(self.options.get("resolution", 0)))
                if not self.profile.feeder:
                    self._dev.cancel()  # one page per scan on a flatbed (and the pnm backend)
        finally:
            if self._dev is not None and not self._cancel():
                self._dev = None  # stuck in the backend: close() must not touch it


class DemoFeederSession(Session):
    """The demo scanner: libsane's `pnm` backend, fed the page images in a folder one after
    another (oldest name first), as a sheet feeder feeds paper. Each image is read through real
    libsane and leaves the folder once it is read; an empty folder is an empty feeder."""

    def __init__(self, device: str, profile: Profile, folder: Path):
        super().__init__(device, replace(profile, source="flatbed"))  # pnm has only a "flatbed"
        self.folder = folder

    def pages(self, *, limit: int | None = None) -> Iterator[ScannedPage]:
        waiting = sorted(self.folder.glob("*.pnm")) if self.folder.is_dir() else []
        if not waiting:
            raise ScannerError(FAULTS["Document feeder out of documents"], f"demo feeder {self.folder} is empty")
        for path in waiting[:limit]:
            started = time.perf_counter()
            try:
                self._dev.filename = str(path)
                self._dev.start()
                image = self._dev.snap()
            except (_sane.error, RuntimeError) as exc:
                raise ScannerError(fault_for(exc)) from None
            finally:
                self._dev.cancel()
            path.unlink()
            yield ScannedPage(image, time.perf_counter() - started, int(self.options.get("resolution", 0)))


def open_session(device: str, profile: Profile, *, demo_feeder: Path | None = None) -> Session:
    """A session on `device`; with `demo_feeder` (a folder), the pnm backend becomes a feeder."""
    if demo_feeder is not None and device.startswith("pnm"):
        return DemoFeederSession(device, profile, demo_feeder)
    return Session(device, profile)
