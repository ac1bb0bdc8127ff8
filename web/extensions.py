"""The Flask extensions of the kiosk, and the service (settings and database) behind it; made
here once, bound to the app in `web.create_app`."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def service():
    """(settings, db) of the scan_station service behind this app."""
    ext = current_app.extensions["scan_station"]
    return ext["settings"], ext["db"]


def jobs():
    """The job queue, made once per app (huey keeps one connection per thread)."""
    from scan_station.system.jobs import make_jobs

    ext = current_app.extensions["scan_station"]
    if "jobs" not in ext:
        ext["jobs"] = make_jobs(ext["settings"])
    return ext["jobs"]
