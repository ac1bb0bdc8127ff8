"""Is everything Scan Station needs here and usable? One probe per external tool (`_exec`), the
database and the folders; `require` runs the probes a piece of work needs before it takes any,
so that a missing language pack is an error at start, not after a batch has been scanned.
`scan-station doctor` and the kiosk's Administrasi page show them all.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable

from .._exec import ghostscript, libreoffice, libtesseract, ocrmypdf, sandbox, sane, tesseract, zbar, zxing
from .._exec.probe import Probe
from ..core.config import Settings
from ..core.errors import ConfigError, ScanStationError, StorageError

#: Below this much free space a folder is not usable at all (filing checks what each batch needs).
MIN_FREE_BYTES = 1024 * 1024


def probe_database(settings: Settings) -> Probe:
    from ..db.database import Database, schema_revision

    try:
        db = Database(settings)
    except ScanStationError as exc:
        return Probe("database", False, detail=str(exc), fix="check the database_url setting", error=ConfigError,
                     code="database_unusable")
    try:
        revision = schema_revision(db)
    finally:
        db.close()
    return Probe("database", True, db.engine.dialect.name, f"schema {revision}", code="schema",
                 params={"revision": revision})


def probe_folders(settings: Settings) -> Probe:
    for name in ("storage_dir", "scans_dir", "work_dir"):
        folder = getattr(settings, name)
        trial = folder / f".probe-{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            trial.write_bytes(b"")
            trial.unlink()
        except OSError as exc:
            return Probe("folders", False, detail=f"{name} {folder} cannot be written ({exc.strerror or exc})",
                         fix=f"make it writable for user {_user()}, or set {name}", error=StorageError,
                         code="folder_unwritable", params={"folder": str(folder), "user": _user(), "name": name})
        free = shutil.disk_usage(folder).free
        if free < MIN_FREE_BYTES:
            return Probe("folders", False, error=StorageError,
                         detail=f"not enough free space in {folder} ({name}): {free // 1024} KiB free",
                         fix="free some space, then run the command again (nothing was filed)",
                         code="folder_full", params={"folder": str(folder), "free": free // 1024})
    free = shutil.disk_usage(settings.storage_dir).free
    return Probe("folders", True, detail=f"writable; {free // 2**30} GiB free in storage", code="folders",
                 params={"free": free // 2**30})


def probe_public_base_url(settings: Settings) -> Probe:
    """Copies for applicants carry a QR code to this address; without it none is made (a warning:
    everything else works)."""
    if settings.public_base_url:
        return Probe("public_base_url", True, detail=settings.public_base_url)
    return Probe("public_base_url", True, warn=True, detail="not set: no copy for an applicant can be made",
                 fix='set public_base_url = "https://…" (the address citizens reach the kiosk at) in scan-station.toml',
                 code="public_base_url_unset")


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


PROBES: dict[str, Callable[[Settings], Probe]] = {
    "tesseract": tesseract.probe,
    "libtesseract": libtesseract.probe,
    "ocrmypdf": ocrmypdf.probe,
    "ghostscript": ghostscript.probe,
    "zbar": zbar.probe,
    "zxing-cpp": zxing.probe,
    "sane": sane.probe,
    "libreoffice": libreoffice.probe,
    "bubblewrap": sandbox.probe,
    "public_base_url": probe_public_base_url,
    "database": probe_database,
    "folders": probe_folders,
}
_FILING = ("tesseract", "libtesseract", "ocrmypdf", "ghostscript", "bubblewrap", "zbar", "zxing-cpp", "database",
           "folders")
#: What each piece of work needs before it starts.
NEEDS: dict[str, tuple[str, ...]] = {
    "ingest": _FILING,
    "submit_office": ("libreoffice", *_FILING),
    "worker": _FILING,
    "scan": ("sane", *_FILING),
    "scan_only": ("sane", "zbar", "zxing-cpp", "database", "folders"),
    "serve": ("sane", "zbar", "zxing-cpp", "database", "folders"),
    "serve_and_file": ("sane", *_FILING),
}


def run(settings: Settings, names: tuple[str, ...] | None = None) -> list[Probe]:
    return [PROBES[name](settings) for name in (names or tuple(PROBES))]


def require(work: str, settings: Settings) -> None:
    """Raise the error of the first probe `work` needs that fails (with its fix)."""
    for probe in run(settings, NEEDS[work]):
        probe.raise_if_failed()


def table(probes: list[Probe]) -> str:
    width = max(len(p.name) for p in probes)
    lines = []
    for p in probes:
        state = ("WARNING" if p.warn else "ok") if p.ok else "MISSING"
        text = p.detail if p.ok and not p.warn else f"{p.detail}; {p.fix}"
        lines.append(f"{p.name:<{width}}  {state:<7}  {p.version or '-':<10}  {text}")
    return "\n".join(lines)
