"""Unggah softcopy: born-digital files of a register entry handed over at the kiosk (SOP step 2),
checked at once, then filed by the job queue as the entry's next version exactly as a scan is
(`scan_station.filing.uploads`, `scan_station.filing.softcopy`); the officer watches it on a page of its own."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.utils import secure_filename

from scan_station.accounts.roles import EXEMPT, Permission, may
from scan_station.core.errors import NotFoundError, ScanStationError, UnknownEntryError
from scan_station.db.database import Document
from scan_station.filing import softcopy
from scan_station.filing.uploads import Upload, UploadStatus, recent, requeue
from scan_station.register import entry_dict, get_entry
from scan_station.system import doctor

from .auth import requires
from .extensions import jobs, service
from .messages import message_for, user_message

bp = Blueprint("softcopy", __name__, url_prefix="/register")
#: Files in one hand-over.
MAX_FILES = 20
ACCEPT = ",".join(softcopy.KINDS)


def upload_limit(settings) -> int:
    """The request body one hand-over may have (`security.limit_request` applies it)."""
    return settings.softcopy_max_mb * 1024 * 1024 * 2 + 1024 * 1024


@bp.route("/<path:entry_id>/softcopy", methods=["GET", "POST"])
@requires(Permission.REGISTER)
def upload(entry_id: str):
    """The files are checked at once and saved; the job queue files them (`scan_station.filing.uploads`)."""
    settings, _db = service()
    entry = _entry_or_404(entry_id)
    if request.method == "GET":
        return _form(entry)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        return _form(entry, _("Choose at least one file."), 400)
    if len(files) > MAX_FILES:
        return _form(entry, _("At most %(count)d files at once.", count=MAX_FILES), 400)
    try:
        handover = Upload.create(settings, entry_id=entry["id"], user=current_user.id)
        _save(files, handover)
        names = [p.name for p in handover.files()]
        office = any(softcopy.KINDS.get(Path(n).suffix.lower()) in softcopy.OFFICE for n in names)
        try:
            doctor.require("submit_office" if office else "ingest", settings)
        except ScanStationError:
            handover.remove()
            raise
        handover.accept(settings)
    except ScanStationError as exc:
        return _form(entry, user_message(exc), 400)
    jobs().file_softcopy(handover.id)
    return redirect(url_for("softcopy.status", entry_id=entry["id"], upload_id=handover.id))


@bp.get("/<path:entry_id>/softcopy/<upload_id>")
@requires(Permission.REGISTER)
def status(entry_id: str, upload_id: str):
    """How the hand-over stands: waiting, being filed, filed as version N, or why not."""
    entry = _entry_or_404(entry_id)
    state = _state_or_404(entry["id"], upload_id)
    if _names_hidden(entry):  # which files went to an exempt entry is the PPID's to know
        refusal = message_for(state.code, {**state.params, "name": _("a file")}, _("The files were refused."))
        names = _("%(count)d file(s); their names are seen by the PPID only", count=len(state.names))
    else:
        refusal, names = message_for(state.code, state.params, str(_NOT_FILED)), ", ".join(state.names)
    return render_template("register/softcopy_status.html", entry=entry, state=state, names=names,
                           refusal=refusal if state.error else None, filed_as=_filed_as(state, entry),
                           waiting=state.status in (UploadStatus.QUEUED, UploadStatus.FILING))


def _filed_as(state, entry: dict) -> int | None:
    """The id of the document a filed hand-over became (its pages, and its photos beside them, are
    on the handover screen), if the user may see it."""
    document = state.document if state.status == UploadStatus.FILED else None
    if not isinstance(document, dict) or _names_hidden(entry):
        return None
    _settings, db = service()
    with db.session() as s:
        return s.scalars(select(Document.id).where(Document.register_id == entry["id"],
                                                   Document.version == document.get("version"))).first()


#: What the screen says of a filing that failed for a reason with no code of its own (the
#: service's English detail is in the kiosk's log, and the hand-over's state, for the admin).
_NOT_FILED = lazy_gettext("The softcopy could not be filed. Hand it over again; if it fails again, the administrator "
                          "finds the reason in the kiosk's log.")


def _names_hidden(entry: dict) -> bool:
    """Whether the current user may not see the names of the files handed over for `entry`."""
    return entry["category"] == EXEMPT and not may(current_user.role, Permission.SEE_EXEMPT)


@bp.post("/<path:entry_id>/softcopy/<upload_id>/retry")
@requires(Permission.REGISTER)
def retry(entry_id: str, upload_id: str):
    """A hand-over that failed for want of space or a database is queued again, its files as kept."""
    entry = _entry_or_404(entry_id)
    _state_or_404(entry["id"], upload_id)
    settings, _db = service()
    if requeue(Upload.open(settings, upload_id)):
        jobs().file_softcopy(upload_id)
    return redirect(url_for("softcopy.status", entry_id=entry["id"], upload_id=upload_id))


def _entry_or_404(entry_id: str) -> dict:
    _settings, db = service()
    try:
        with db.session() as s:
            return entry_dict(get_entry(s, entry_id))
    except UnknownEntryError:
        abort(404)


def _state_or_404(entry_id: str, upload_id: str):
    settings, _db = service()
    try:
        state = Upload.open(settings, upload_id).read_state()
    except NotFoundError:
        abort(404)
    if state.entry_id != entry_id:
        abort(404)
    return state


def _form(entry: dict, error: str | None = None, status: int = 200):
    settings, _db = service()
    hidden = _names_hidden(entry)
    earlier = [{"id": up.id, "created_at": up.created_at, "status": up.status,
                "names": _("%(count)d file(s)", count=len(up.names)) if hidden else ", ".join(up.names)}
               for up in recent(settings, entry["id"])]
    return render_template("register/softcopy.html", entry=entry, error=error, accept=ACCEPT, max_files=MAX_FILES,
                           earlier=earlier), status


def _save(files, handover: Upload) -> None:
    """Each upload under a safe name of its own, its extension kept (it says what the file should be)."""
    for index, upload in enumerate(files, start=1):
        suffix = "".join(c for c in Path(upload.filename).suffix.lower() if c.isprintable())[:10]  # no NUL
        stem = Path(secure_filename(upload.filename) or "softcopy").stem[:100] or "softcopy"  # names fit the disk
        upload.save(handover.files_dir(index) / f"{stem}{suffix}")
