"""Logging in and out; roles as the SOP names them; sessions that end.

A login is a session on the server (`scan_station.accounts.users.open_session`): the signed cookie holds
only its token, and every request checks it there — so logout, the idle time, a changed password
and a deactivated user end it for real. Only a person's actions count as use: views marked
`@passive` (the live events, the status polling, thumbnails) do not keep a session alive.
"""

from __future__ import annotations

import functools
import re
import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from scan_station.accounts.roles import EXEMPT, ROLES, Permission, may
from scan_station.accounts.roles import hidden_categories as categories_hidden_from
from scan_station.accounts.users import authenticate, close_session, open_session, session_account, session_user
from scan_station.audit import anchor as audit_anchor
from scan_station.audit import log as audit
from scan_station.db.database import UserAccount

from .extensions import limiter, login_manager, service

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None


class KioskUser(UserMixin):
    def __init__(self, account: UserAccount):
        self.id, self.name, self.role = account.username, account.name, account.role

    @property
    def role_name(self) -> str:
        return ROLES[self.role]


def passive(view):
    """Mark a view that pages call by themselves (polling, live events, thumbnails): it does not
    count as a person's action, so it keeps no session alive."""
    view.passive = True
    return view


def _is_passive() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "passive", False))


def idle_seconds() -> float:
    return float(current_app.config["SESSION_IDLE_MINUTES"]) * 60


@login_manager.user_loader
def load_user(username: str) -> KioskUser | None:
    _settings, db = service()
    with db.session() as s:
        account = session_account(s, session.get("sid", ""), now=time.time(), idle_seconds=idle_seconds(),
                                  touch=not _is_passive())
        return KioskUser(account) if account is not None and account.username == username and account.active else None


@login_manager.unauthorized_handler
def unauthorized():
    """Pages go to the login; what pages call by themselves gets a 401 to act on."""
    if _is_passive() or request.accept_mimetypes.best in ("application/json", "text/event-stream"):
        return jsonify({"error": "login required"}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def session_alive() -> bool:
    """Whether the current login session still lives (for long responses: the live events)."""
    _settings, db = service()
    with db.session() as s:
        return session_user(s, session.get("sid", ""), now=time.time(), idle_seconds=idle_seconds(),
                            touch=False) is not None


def audit_exempt(session, document, action: str) -> None:
    """A view or download of a "dikecualikan" document goes into the audit log."""
    if document.entry.category == EXEMPT:
        audit.record(session, current_user.id, action, f"{document.register_id} v{document.version}",
                     document_id=document.id)
        audit_anchor.now(session)  # anchored outside the database as soon as it is committed


def hidden_categories() -> tuple[str, ...]:
    """Categories the current user may not see: in results, downloads and handover alike."""
    return categories_hidden_from(current_user.role)


def requires(permission: Permission):
    """Logged in, and with a role that has `permission` (403 otherwise)."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not may(current_user.role, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


#: What a local path may hold: no scheme, no host, no control characters or backslashes (which
#: browsers drop or turn into slashes, making `/\t/evil.example` or `/\\evil.example` a foreign host).
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~!$&'()*+,;=:@%?#-]*")


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this kiosk, else the start page."""
    if target and _LOCAL_PATH.fullmatch(target) and not urlsplit(target).netloc:
        return target
    return url_for("index")


def back_to_referrer(default: str) -> str:
    """Where the request came from, if that was a page of this kiosk (the Referer header is the
    sender's to write: anything else, or nothing, goes to `default`)."""
    try:
        back = urlsplit(request.referrer or "")
    except ValueError:  # e.g. "http://[" is no URL at all
        return default
    if back.scheme not in ("http", "https") or back.netloc != request.host:
        return default
    target = back.path + (f"?{back.query}" if back.query else "")
    return target if safe_next(target) == target else default


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "POST":
        _settings, db = service()
        with db.session() as s:
            account = authenticate(s, request.form.get("username", ""), request.form.get("password", ""))
            user = KioskUser(account) if account else None
            if user is not None:
                session.clear()  # nothing of the session before survives a login, its CSRF secret included
                session["sid"] = open_session(s, user.id, now=time.time(), idle_seconds=idle_seconds())
            audit.record(s, (user.id if user else request.form.get("username", "")[:64]) or "-",
                         "login" if user else "login.failed", request.remote_addr or "")
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=request.form.get("username", "")), 401
    return render_template("login.html", username="")


@bp.post("/logout")
@login_required
def logout():
    _settings, db = service()
    with db.session() as s:
        close_session(s, session.get("sid", ""))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
