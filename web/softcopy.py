"""Unggah softcopy: born-digital files of a register entry handed over at the kiosk (SOP step 2),
filed as the entry's next version exactly as a scan is (`scan_station.softcopy`)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from werkzeug.utils import secure_filename

from scan_station import doctor, softcopy
from scan_station.errors import ScanStationError, UnknownEntryError
from scan_station.register import entry_dict, get_entry
from scan_station.roles import Permission

from .auth import requires
from .extensions import service

bp = Blueprint("softcopy", __name__, url_prefix="/register")
#: Files in one hand-over.
MAX_FILES = 20
ACCEPT = ",".join(softcopy.KINDS)
#: What the service's refusals (`code`) say in the kiosk's language.
MESSAGES = {
    "not_file": lazy_gettext("%(name)s: not a file."),
    "extension": lazy_gettext("%(name)s: this kind of file cannot be handed over; use PDF, JPEG, PNG, TIFF, DOCX, "
                              "XLSX, PPTX, ODT or ODS."),
    "empty": lazy_gettext("%(name)s: the file is empty."),
    "too_big": lazy_gettext("%(name)s: the file is larger than %(limit)s MB; split it, or hand over a smaller copy."),
    "mismatch": lazy_gettext("%(name)s: the name says %(kind)s, but the content is %(found)s; hand over the file as "
                             "it was saved."),
    "protected": lazy_gettext("%(name)s: the document is password-protected; save an unprotected copy and hand that "
                              "over."),
    "bomb": lazy_gettext("%(name)s: this is no document (it unpacks to far too much)."),
    "pages": lazy_gettext("%(name)s: a hand-over may have at most %(limit)s pages; hand it over in parts."),
    "changed": lazy_gettext("%(name)s: the file changed while it was being read; hand it over again."),
    "convert_timeout": lazy_gettext("%(name)s: the document took longer than %(seconds)s s to open; save it as PDF "
                                    "on the computer it came from."),
    "convert_failed": lazy_gettext("%(name)s: the document cannot be opened; check that it opens on a computer, "
                                   "or hand over a PDF of it."),
}


def message(exc: ScanStationError) -> str:
    """The refusal in the kiosk's language where it has a translation; else as the service says it."""
    template = MESSAGES.get(getattr(exc, "code", ""))
    return str(template) % exc.params if template is not None else str(exc)


def upload_limit(settings) -> int:
    """The request body one hand-over may have (`security.limit_request` applies it)."""
    return settings.softcopy_max_mb * 1024 * 1024 * 2 + 1024 * 1024


@bp.route("/<path:entry_id>/softcopy", methods=["GET", "POST"])
@requires(Permission.REGISTER)
def upload(entry_id: str):
    settings, db = service()
    try:
        with db.session() as s:
            entry = entry_dict(get_entry(s, entry_id))
    except UnknownEntryError:
        abort(404)
    if request.method == "GET":
        return _form(entry)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return _form(entry, _("Choose at least one file."), 400)
    if len(files) > MAX_FILES:
        return _form(entry, _("At most %(count)d files at once.", count=MAX_FILES), 400)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=_uploads(settings)))
    try:
        paths = _save(files, folder)
        office = any(softcopy.KINDS.get(p.suffix.lower()) in softcopy.OFFICE for p in paths)
        doctor.require("submit_office" if office else "ingest", settings)
        result = softcopy.submit(paths, entry_id=entry["id"], settings=settings, db=db, submitted_by=current_user.id)
    except ScanStationError as exc:
        return _form(entry, message(exc), 400)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    filed = result["documents"][0]
    flash(_("Softcopy of %(id)s handed over as version %(version)d (%(pages)d page(s)); it waits for the PPID.",
            id=filed["register_id"], version=filed["version"], pages=filed["page_count"]), "ok")
    return redirect(url_for("register.index"))


def _form(entry: dict, error: str | None = None, status: int = 200):
    return render_template("register/softcopy.html", entry=entry, error=error, accept=ACCEPT,
                           max_files=MAX_FILES), status


def _uploads(settings) -> Path:
    folder = settings.work_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save(files, folder: Path) -> list[Path]:
    """Each upload under a safe name of its own, its extension kept (it says what the file should be)."""
    paths = []
    for index, upload in enumerate(files, start=1):
        suffix = Path(upload.filename).suffix.lower()[:10]
        stem = Path(secure_filename(upload.filename) or "softcopy").stem[:100] or "softcopy"  # names fit the disk
        name = f"{stem}{suffix}"
        path = folder / f"{index:02d}" / name
        path.parent.mkdir()
        upload.save(path)
        paths.append(path)
    return paths
