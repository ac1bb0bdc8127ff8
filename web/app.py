"""The kiosk's application: `create_app`, its settings and the screens every role starts on.

`create_app(test_config)` follows Flask's tutorial: configuration from the instance folder's
`config.py` and `SCAN_STATION_WEB_*` environment variables (or `test_config` in tests), one
blueprint per area. The UI speaks Bahasa Indonesia by default and English on request.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user, login_required

from scan_station.accounts.roles import may
from scan_station.core.config import load_settings
from scan_station.db.database import Database

from . import security
from .extensions import babel, csrf, limiter, login_manager, service
from .messages import user_message
from .names import ENTRY_STATE_NAMES, STATUS_NAMES, batch_error, check_text, held_reason, option_name
from .paging import link_args

__all__ = ["DEFAULTS", "create_app", "service"]
LANGUAGES = ("id", "en")


#: The kiosk's settings and their defaults; every one is documented in docs/kiosk.md (a test checks).
DEFAULTS = {
    "SCAN_STATION_HOME": None,  # default: $SCAN_STATION_HOME, else the per-user data folder
    "SESSION_IDLE_MINUTES": 15,  # a kiosk is shared: sessions end after this long without a person's action
    "LOGIN_RATE_LIMIT": "5 per minute",
    "VERIFY_RATE_LIMIT": "30 per minute",  # checks of a document on /verifikasi, per address
    "RATELIMIT_STORAGE_URI": "memory://",  # e.g. redis://host for several kiosk processes
    "SCAN_EVENTS_SECONDS": 30,  # a live scan's event stream ends after this; the browser reconnects
    "SCAN_EVENTS_MAX_STREAMS": 4,  # live event streams at once (each holds a server thread); `serve`: threads / 2
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,  # the largest request body (a register CSV)
    "SESSION_COOKIE_SECURE": False,  # True when served over HTTPS
}
#: Fixed, not settings.
FIXED = {"SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax", "BABEL_DEFAULT_LOCALE": "id"}

HOME_PAGES = {"dokumentasi": "scan.index", "ppid": "handover.index", "atasan": "report.index", "admin": "admin.index"}
def _locale() -> str:
    return session.get("lang") if session.get("lang") in LANGUAGES else "id"


def _secret_key(home) -> str:
    """A key kept in the home folder, so that sessions survive a restart of the kiosk."""
    path = home / "web-secret-key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _names(app: Flask):
    """The names every page may show. Translated once per language, not for every page (they were a
    twentieth of a small page's time): the catalogs do not change while the kiosk runs."""
    translated: dict[str, dict] = {}

    def names() -> dict:
        settings = app.extensions["scan_station"]["settings"]
        locale = _locale()
        if locale not in translated:
            translated[locale] = {"status_names": {k: str(v) for k, v in STATUS_NAMES.items()},
                                  "entry_state_names": {k: str(v) for k, v in ENTRY_STATE_NAMES.items()}}
        return {**translated[locale], "agency_name": settings.agency_name, "ppid_contact": settings.ppid_contact}

    return names


def create_app(test_config: dict | None = None, *, home=None) -> Flask:
    """The kiosk. `home` (the scan_station home folder) overrides SCAN_STATION_HOME from config."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SCAN_STATION_WEB")
    else:
        app.config.from_mapping(test_config)
    app.config.from_mapping(FIXED)
    settings = load_settings(home or app.config["SCAN_STATION_HOME"])
    app.extensions["scan_station"] = {"settings": settings, "db": Database(settings)}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(settings.home)
    app.permanent_session_lifetime = timedelta(minutes=int(app.config["SESSION_IDLE_MINUTES"]))

    limiter.init_app(app)  # first: a client past its limit is refused before its body is read (checks, CSRF)
    security.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    login_manager.init_app(app)

    from . import access, admin, audit, auth, handover, photos, register, report, review, scan, search, softcopy, verify
    from .auth import back_to_referrer

    for blueprint in (auth.bp, register.bp, softcopy.bp, scan.bp, review.bp, handover.bp, search.bp, report.bp,
                      admin.bp, verify.bp, audit.bp, access.bp, photos.bp):
        app.register_blueprint(blueprint)

    app.context_processor(_names(app))
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)

    @app.before_request
    def cookie_lifetime() -> None:
        """The cookie expires with the idle time too; the session on the server is what counts
        (`web.auth`: checked on every request, ended after SESSION_IDLE_MINUTES)."""
        session.permanent = True

    @app.get("/")
    @login_required
    def index():
        """Each role starts where its work is."""
        return redirect(url_for(HOME_PAGES.get(current_user.role, "register.index")))

    @app.get("/lang/<code>")
    def set_language(code: str):
        if code in LANGUAGES:
            session["lang"] = code
        return redirect(back_to_referrer(url_for("index")))

    return app


def _may(permission) -> bool:
    return current_user.is_authenticated and may(current_user.role, permission)


def page_url(page, number: int) -> str:
    """This screen's URL with its filters, at another page of one of its lists."""
    return url_for(request.endpoint, **(request.view_args or {}), **link_args(page.arg), **{page.arg: number})


#: What every template may call.
TEMPLATE_GLOBALS = {"page_url": page_url, "check_text": check_text, "option_name": option_name,
                    "batch_error": batch_error, "held_reason": held_reason,
                    "say": user_message,  # an error of ours, in the kiosk's language
                    "link_args": link_args, "may": _may}
