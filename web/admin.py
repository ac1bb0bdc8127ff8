"""Administration: kiosk users, scanners, scan profiles, the system check (role admin only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from scan_station.accounts import grants
from scan_station.accounts.roles import ROLES, Permission
from scan_station.accounts.users import add_user, set_active, set_password
from scan_station.archive import fixity
from scan_station.capture.profiles import MODES, SOURCES, add_profile, known_scanners, remove_profile
from scan_station.core.errors import ScanStationError, UnknownEntryError
from scan_station.core.model import PAGE_SIZES_MM
from scan_station.db.database import ScanProfile, UserAccount

from .auth import requires
from .extensions import service
from .messages import user_message
from .names import probe_text
from .paging import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires(Permission.ADMINISTER)
def index():
    settings, db = service()
    with db.session() as s:
        users = paginate(s, select(UserAccount).order_by(UserAccount.username), row=_user_row)
        waiting = [{"action": r.action, "username": r.username, "role": ROLES.get(r.role, r.role)}
                   for r in grants.requests(s) if r.status == grants.PENDING]
        profiles = [{"name": p.name, "source": p.source, "mode": p.mode, "resolution": p.resolution,
                     "page_size": p.page_size} for p in s.scalars(select(ScanProfile).order_by(ScanProfile.name))]
    return render_template("admin.html", users=users, profiles=profiles, roles=ROLES, scanners=known_scanners(settings),
                           sources=SOURCES, modes=MODES, waiting=waiting, page_sizes=[*PAGE_SIZES_MM, "max"],
                           form=request.args,
                           fixity=fixity.last_result(settings), fixity_hours=settings.fixity_interval_hours)


def _user_row(u: UserAccount) -> dict:
    return {"username": u.username, "name": u.name, "nip": u.nip, "role": u.role, "active": u.active,
            "sees_exempt": grants.sees_exempt(u.role)}


def _back(error: ScanStationError | None = None, **typed):
    """Back to the admin page; after an error, with the message and what was typed (no passwords)."""
    if error is not None:
        flash(user_message(error), "error")
        return redirect(url_for("admin.index", **typed))
    return redirect(url_for("admin.index"))


@bp.get("/system")
@requires(Permission.ADMINISTER)
def system():
    """What `scan-station doctor` says: every program, language pack, the database and the folders."""
    from scan_station.system import doctor

    settings, _db = service()
    probes = doctor.run(settings)
    return render_template("admin_system.html", probes=[(p, probe_text(p)) for p in probes])


@bp.post("/users")
@requires(Permission.ADMINISTER)
def users_add():
    _settings, db = service()
    form = request.form
    role = form.get("role", "")
    try:
        with db.session() as s:
            if grants.needs_confirmation(s, "add", "", role):
                asked = grants.ask(s, "add", form.get("username", ""), role=role, name=form.get("name", ""),
                                   nip=form.get("nip", ""), actor=current_user.id)
            else:
                asked = None
                add_user(s, username=form.get("username", ""), password=form.get("password", ""), role=role,
                         name=form.get("name", ""), nip=form.get("nip", ""), actor=current_user.id)
    except ScanStationError as exc:
        return _back(exc, username=form.get("username", ""), name=form.get("name", ""), nip=form.get("nip", ""),
                     role=role)
    if asked is not None:
        return _asked(asked.username)
    flash(_("User %(name)s added.", name=form.get("username", "").strip().lower()), "ok")
    return _back()


def _asked(username: str):
    flash(_("Asked: %(user)s sees \"dikecualikan\" documents, so the Atasan PPID confirms it and sets the "
            "password (under Access requests). Nothing has changed yet.", user=username), "ok")
    return _back()


@bp.post("/users/<username>/<action>")
@requires(Permission.ADMINISTER)
def users_change(username: str, action: str):
    _settings, db = service()
    if action not in ("activate", "deactivate", "password"):
        abort(404)
    if action == "deactivate" and username == current_user.id:
        return _back(ScanStationError(_("You cannot deactivate yourself.")))
    try:
        with db.session() as s:
            asked = action != "deactivate" and grants.needs_confirmation(s, action, username)
            if asked:
                grants.ask(s, action, username, actor=current_user.id)
            elif action == "password":
                set_password(s, username, request.form.get("password", ""), actor=current_user.id)
            else:
                set_active(s, username, action == "activate", actor=current_user.id)
    except UnknownEntryError:
        abort(404)
    except ScanStationError as exc:
        return _back(exc)
    if asked:
        return _asked(username)
    flash(_("Saved."), "ok")
    return _back()


@bp.post("/profiles")
@requires(Permission.ADMINISTER)
def profiles_add():
    _settings, db = service()
    form = request.form
    try:
        add_profile(db, name=form.get("name", ""), source=form.get("source", ""), mode=form.get("mode", ""),
                    resolution=form.get("resolution", type=int, default=0), page_size=form.get("page_size", ""))
    except ScanStationError as exc:
        return _back(exc, **{f"profile_{k}": v for k, v in form.items() if k != "csrf_token"})
    flash(_("Profile %(name)s added.", name=form.get("name", "")), "ok")
    return _back()


@bp.post("/profiles/<path:name>/remove")
@requires(Permission.ADMINISTER)
def profiles_remove(name: str):
    _settings, db = service()
    try:
        remove_profile(db, name)
    except ScanStationError:
        abort(404)
    flash(_("Profile %(name)s removed.", name=name), "ok")
    return _back()
