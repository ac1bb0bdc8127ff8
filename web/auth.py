"""Logging in and out; roles as the SOP names them."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from scan_station.db import UserAccount
from scan_station.users import ROLES, authenticate

from . import limiter, login_manager, service

bp = Blueprint("auth", __name__)
login_manager.login_view = "auth.login"
login_manager.login_message = None


class KioskUser(UserMixin):
    def __init__(self, account: UserAccount):
        self.id, self.name, self.role = account.username, account.name, account.role

    @property
    def role_name(self) -> str:
        return ROLES[self.role]


@login_manager.user_loader
def load_user(username: str) -> KioskUser | None:
    _settings, db = service()
    with db.session() as s:
        account = s.get(UserAccount, username)
        return KioskUser(account) if account is not None and account.active else None


#: Roles that may see documents in the category "dikecualikan" (information withheld from the public).
PPID_ROLES = ("ppid", "atasan")
WITHHELD = "dikecualikan"


def hidden_categories() -> tuple[str, ...]:
    """Categories the current user may not see: in results, downloads and handover alike."""
    return () if current_user.role in PPID_ROLES else (WITHHELD,)


def roles_required(*roles: str):
    """Logged in, and with one of these roles (403 otherwise)."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else url_for("index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "POST":
        _settings, db = service()
        with db.session() as s:
            account = authenticate(s, request.form.get("username", ""), request.form.get("password", ""))
            user = KioskUser(account) if account else None
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=request.form.get("username", "")), 401
    return render_template("login.html", username="")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
