"""Requests for access to "dikecualikan" (`scan_station.accounts.grants`): the PPID roles see them all,
the Atasan PPID confirms one (setting the user's password) or refuses it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scan_station.accounts import grants
from scan_station.accounts.roles import ROLES, Permission
from scan_station.core.errors import ScanStationError

from .auth import requires
from .extensions import service
from .messages import user_message

bp = Blueprint("access", __name__, url_prefix="/access")


@bp.get("/")
@requires(Permission.AUDIT)
def index():
    _settings, db = service()
    with db.session() as s:
        rows = [{"id": r.id, "action": r.action, "username": r.username, "role": ROLES.get(r.role, r.role),
                 "name": r.name, "requested_by": r.requested_by, "requested_at": r.requested_at.isoformat(),
                 "status": r.status, "decided_by": r.decided_by,
                 "decided_at": r.decided_at.isoformat() if r.decided_at else ""} for r in grants.requests(s)]
    return render_template("access.html", requests=rows)


@bp.post("/<int:request_id>/<decision>")
@requires(Permission.CONFIRM_ACCESS)
def decide(request_id: int, decision: str):
    _settings, db = service()
    if decision not in ("confirm", "refuse"):
        abort(404)
    try:
        with db.session() as s:
            if decision == "confirm":
                done = grants.confirm(s, request_id, password=request.form.get("password", ""), actor=current_user.id,
                                      actor_role=current_user.role)
            else:
                done = grants.refuse(s, request_id, actor=current_user.id, actor_role=current_user.role)
            username = done.username
    except ScanStationError as exc:
        if exc.code == "no_request":
            abort(404)
        flash(user_message(exc), "error")
        return redirect(url_for("access.index"))
    flash(_("Confirmed: %(user)s can log in with the password you set; give it to them in person.", user=username)
          if decision == "confirm" else _("Refused: nothing was changed for %(user)s.", user=username), "ok")
    return redirect(url_for("access.index"))
