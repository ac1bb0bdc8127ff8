"""Scanning at the kiosk: pick a scanner and a profile, press Scan, watch each page arrive.

A scan runs in a thread of the kiosk process (`scanning.scan_pages`), and each content page is
queued for a worker to read as soon as it is classified (`page_jobs`); the live screen follows
the batch folder through server-sent events (`/scan/<batch>/events`): every page as soon as its
thumbnail is written, again once it is classified, and the batch's status and fault. Because the
events come from the folder, a reload, a second screen or a scan started from the command line
show the same thing. A fault keeps every page; Lanjutkan (resume) scans on into the same batch.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from scan_station.accounts.roles import Permission
from scan_station.capture.batch_folder import BatchFolder, Status
from scan_station.capture.cancel import cancel_batch
from scan_station.capture.demo import MAX_DEMO_DOCUMENTS, fill_demo_feeder
from scan_station.capture.page_jobs import queue_pages
from scan_station.capture.profiles import get_profile, known_scanners, remembered
from scan_station.capture.scanner import Capabilities, fit
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.core.errors import NotFoundError, ProfileError, ScanStationError
from scan_station.core.model import Profile
from scan_station.db.database import Batch, ScanProfile

from .auth import back_to_referrer, hidden_categories, passive, requires
from .extensions import jobs, service
from .handover import returned_page
from .live import event_stream
from .messages import user_message
from .names import batch_error, fault_text
from .pages import batch_or_404, hidden_pages, in_progress
from .paging import paginate, paginate_list

bp = Blueprint("scan", __name__, url_prefix="/scan")
log = logging.getLogger(__name__)
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def _scan(settings, folder: BatchFolder, on_page) -> None:
    try:
        scan_pages(settings, folder, on_page=on_page)
    except ScanStationError:
        pass  # the fault is in the batch's state, where the screen shows it
    except Exception:  # noqa: BLE001 - recorded in the batch too; every page read is kept
        log.exception("scanning %s failed", folder.id)


def start_scanning(folder: BatchFolder) -> bool:
    """Scan into `folder` in a thread, unless a scan of it runs already; each content page goes to
    the workers to be read as soon as it is classified (`page_jobs`)."""
    settings, _db = service()
    on_page = queue_pages(jobs(), folder.id)
    with _lock:
        running = _threads.get(folder.id)
        if running is not None and running.is_alive():
            return False
        _threads[folder.id] = threading.Thread(target=_scan, args=(settings, folder, on_page), daemon=True)
        _threads[folder.id].start()
        return True


@bp.get("/")
@requires(Permission.SCAN)
def index():
    settings, db = service()
    with db.session() as s:
        profiles = [{"name": p.name, "source": p.source, "mode": p.mode, "resolution": p.resolution,
                     "page_size": p.page_size} for p in s.scalars(select(ScanProfile).order_by(ScanProfile.name))]
        filed = paginate(s, select(Batch).order_by(Batch.received_at.desc(), Batch.id.desc()), row=_filed_row,
                         arg="filed_page", per_page=10)
        returned = returned_page(s, hidden_categories())  # the documentation officer's next steps
    found = known_scanners(settings)["scanners"]
    first = remembered(settings, db, found)  # the profile last used on each
    scanners = [s | {"remembered": first[s["name"]], "unfit": _unfit(s, profiles)} for s in found]
    demo_waiting = len(list(settings.demo_feeder_dir.glob("*.pnm"))) if settings.demo_feeder else None
    return render_template("scan/index.html", scanners=scanners, profiles=profiles, filed=filed,
                           batches=paginate_list(in_progress(settings), per_page=20), demo_waiting=demo_waiting,
                           returned=returned)


def _unfit(scanner: dict, profiles: list[dict]) -> dict[str, str]:
    """The profiles `scanner` cannot do, each with why (in the kiosk's language)."""
    caps, unfit = Capabilities(**scanner), {}
    for p in profiles:
        try:
            fit(caps, Profile(p["name"], p["source"], p["mode"], p["resolution"], p["page_size"]))
        except ProfileError as exc:
            unfit[p["name"]] = fault_text({"code": exc.code, "params": exc.params, "id": str(exc), "en": str(exc)})
    return unfit


def _filed_row(batch: Batch) -> dict:
    """What the list shows of a filed batch, read while its session is open."""
    return {"id": batch.id, "received_at": batch.received_at, "pages": batch.page_count,
            "documents": len(batch.documents), "submitted_by": batch.submitted_by, "status": batch.status}


@bp.get("/batches.json")
@passive
@requires(Permission.SCAN)
def batches_json():
    settings, _db = service()
    return jsonify([_summary(state) for state in in_progress(settings)])


def _summary(state) -> dict:
    """What the screen's status polling needs of a batch."""
    data = state.to_json()
    summary = {k: data[k] for k in ("batch", "status", "pages", "user", "started_at", "fault", "progress")}
    return summary | {"error": batch_error(state)}


@bp.post("/start")
@requires(Permission.SCAN)
def start():
    settings, db = service()
    device, profile = request.form.get("device", ""), request.form.get("profile", "")
    if device not in {s["name"] for s in known_scanners(settings)["scanners"]}:
        flash(_("Choose a scanner."), "error")
        return redirect(url_for("scan.index"))
    try:
        _check_fit(settings, db, device, profile)
        folder = start_batch(settings, db, device=device, profile=profile, user=current_user.id)
    except NotFoundError:  # no such profile (a full or read-only disk is the storage page)
        flash(_("Choose a scan profile."), "error")
        return redirect(url_for("scan.index"))
    except ProfileError as exc:  # refused before scanning: nothing to resume, nothing to clean up
        flash(fault_text({"code": exc.code, "params": exc.params, "id": str(exc), "en": str(exc)}), "error")
        return redirect(url_for("scan.index"))
    start_scanning(folder)
    return redirect(url_for("scan.live", batch=folder.id))


def _check_fit(settings, db, device: str, profile: str) -> None:
    """ProfileError if the scanner cannot do the profile (a source, mode, resolution or paper size
    it lacks), before a batch is made."""
    found = next(s for s in known_scanners(settings)["scanners"] if s["name"] == device)
    fit(Capabilities(**found), get_profile(db, profile))


@bp.post("/scanners/refresh")
@requires(Permission.SCAN)
def refresh_scanners():
    settings, _db = service()
    found = known_scanners(settings, refresh=True)["scanners"]
    flash(_("%(count)d scanner(s) found.", count=len(found)), "ok")
    return redirect(back_to_referrer(url_for("scan.index")))


@bp.post("/demo-feeder")
@requires(Permission.SCAN)
def demo_feeder():
    settings, db = service()
    if not settings.demo_feeder:
        abort(404)
    typed = request.form.get("register_ids", "").split(",")
    ids = request.form.getlist("ids") or [i.strip() for i in typed if i.strip()]
    if not ids:
        flash(_("Type at least one register id."), "error")
        return redirect(url_for("scan.index"))
    if len(ids) > MAX_DEMO_DOCUMENTS:
        flash(_("%(count)d register ids typed; the demo feeder takes at most %(max)d at a time.",
                count=len(ids), max=MAX_DEMO_DOCUMENTS), "error")
        return redirect(url_for("scan.index"))
    try:
        waiting = fill_demo_feeder(settings, db, ids, pages=2)
    except ScanStationError as exc:
        flash(user_message(exc), "error")
        return redirect(url_for("scan.index"))
    flash(_("%(count)d page(s) wait in the demo feeder.", count=waiting), "ok")
    return redirect(url_for("scan.index"))


@bp.get("/<batch>")
@requires(Permission.SCAN)
def live(batch: str):
    folder = batch_or_404(batch)
    return render_template("scan/live.html", state=folder.read_state())


@bp.post("/<batch>/scan")
@requires(Permission.SCAN)
def resume(batch: str):
    """Lanjutkan: scan on into the same batch (after a fault, the next flatbed page, a rescan)."""
    folder = batch_or_404(batch)
    if folder.read_state().status in (Status.QUEUED, Status.FILING):
        return jsonify({"started": False, "error": _("This batch is being filed.")}), 409
    return jsonify({"started": start_scanning(folder)})


@bp.get("/<batch>/cancel")
@requires(Permission.SCAN)
def cancel_form(batch: str):
    """Batalkan: what cancelling this batch does, and the button that does it."""
    return render_template("scan/cancel.html", state=batch_or_404(batch).read_state())


@bp.post("/<batch>/cancel")
@requires(Permission.SCAN)
def cancel(batch: str):
    settings, db = service()
    try:
        done = cancel_batch(settings, db, batch_or_404(batch), user=current_user.id)
    except ScanStationError as exc:
        flash(user_message(exc), "error")
        return redirect(url_for("scan.index"))
    if done["kept"]:
        flash(_("Batch %(batch)s cancelled: its %(pages)d page(s) are kept in PPID storage as cancelled, not filed.",
                batch=done["batch"], pages=done["pages"]), "ok")
    else:
        flash(_("Batch %(batch)s cancelled; it had no pages.", batch=done["batch"]), "ok")
    return redirect(url_for("scan.index"))


@bp.get("/<batch>/events")
@passive
@requires(Permission.SCAN)
def events(batch: str):
    """The live screen's server-sent events (see `web.live`)."""
    return event_stream(batch_or_404(batch))


@bp.get("/<batch>/pages/<int:page>.jpg")
@passive
@requires(Permission.SCAN)
def thumbnail(batch: str, page: int):
    return _page_file(batch, page, thumb=True)


@bp.get("/<batch>/pages/<int:page>.png")
@requires(Permission.SCAN)
def page_image(batch: str, page: int):
    return _page_file(batch, page, thumb=False)


def _page_file(batch: str, page: int, *, thumb: bool):
    _settings, db = service()
    folder = batch_or_404(batch)
    pages = folder.read_state().pages
    if not 1 <= page <= pages or page in hidden_pages(db, folder, pages)[0]:
        abort(404)
    path = folder.thumb_path(page) if thumb else folder.page_path(page)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=0)
