"""What every request and response of the kiosk gets: size limits, ids that fit, security headers,
and error pages in the user's language instead of bare status codes. A fault of the world (the
database locked or unreachable, storage full or read-only) is a 503 that says what to do, on a page
that asks nothing of the database; the work it interrupted is kept where it was."""

from __future__ import annotations

import errno
import logging

from flask import Response, abort, current_app, jsonify, render_template, request, session
from flask.globals import request_ctx
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from scan_station.core.errors import DatabaseBusyError, StorageError

log = logging.getLogger(__name__)

#: A form field longer than this is no input of ours (register fields have their own, lower limits).
MAX_FIELD_CHARS = 10_000
#: Anyone not logged in can send only this much (a login form is a few hundred bytes).
ANONYMOUS_MAX_BYTES = 64 * 1024
#: No inline script or style anywhere; the kiosk loads nothing from elsewhere and may not be framed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "frame-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
#: PDFs are shown inside the kiosk's own pages (handover), and by the browser's own viewer.
CSP_PDF = "frame-ancestors 'self'"
ERROR_TITLES = {
    400: lazy_gettext("The request could not be understood."),
    403: lazy_gettext("You may not open this page."),
    404: lazy_gettext("This page does not exist (any more)."),
    405: lazy_gettext("This action is not possible here."),
    413: lazy_gettext("That is too much: a file or a field is larger than the kiosk accepts."),
    429: lazy_gettext("Too many attempts; wait a minute, then try again."),
    503: lazy_gettext("The database is busy with other work; wait a moment, then try again."),
}
UNREACHABLE = lazy_gettext("The database cannot be reached just now; nothing was lost. Wait a moment, then try "
                           "again; if it lasts, tell the administrator.")
NO_ROOM = lazy_gettext("The storage is full or cannot be written just now; nothing was lost. Tell the "
                       "administrator, then try again.")
#: Errors of a disk that passes (full, read-only, quota, failing): the storage page, not a 500.
DISK_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO}


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that fits the database: a larger number is no id or page of ours (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def limit_request() -> None:
    """Sizes first (so that nothing larger is parsed), then what no field of ours holds: a NUL
    (which PostgreSQL refuses in text, and nobody types)."""
    if request.endpoint == "verify.upload":  # anyone may check a copy they received
        from .extensions import service
        from .verify import upload_limit

        request.max_content_length = upload_limit(service()[0])
    elif not current_user.is_authenticated:
        request.max_content_length = ANONYMOUS_MAX_BYTES
    elif request.endpoint == "softcopy.upload":  # softcopies are larger than anything else
        from .extensions import service
        from .softcopy import upload_limit

        request.max_content_length = upload_limit(service()[0])
    form = [v for _key, values in request.form.lists() for v in values] if request.method == "POST" else []
    if any(len(v) > MAX_FIELD_CHARS for v in form):  # every value of a repeated field, not just the first
        abort(413)
    query = [v for _key, values in request.args.lists() for v in values]
    if any("\x00" in v for v in [*form, *query, *map(str, (request.view_args or {}).values())]):
        abort(400)


def security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    pdf = response.mimetype == "application/pdf"
    response.headers.setdefault("Content-Security-Policy", CSP_PDF if pdf else CSP)
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if pdf else "DENY")
    if request.endpoint != "static":  # pages, documents, thumbnails: never kept by a browser or proxy
        response.headers["Cache-Control"] = "no-store, private"
    return response


def error_page(error: HTTPException):
    code = error.code or 500
    if request.accept_mimetypes.best in ("application/json", "text/event-stream"):
        return jsonify({"error": error.name}), code
    title = ERROR_TITLES.get(code, error.name)
    return render_template("error.html", code=code, title=title), code


def unavailable_page(title, error: str):
    """A 503 that asks nothing of the database: rendered without the context processors (flask-login's
    would load the user from the database again)."""
    if request.accept_mimetypes.best in ("application/json", "text/event-stream"):
        return jsonify({"error": error}), 503
    page = current_app.jinja_env.get_template("busy.html")
    return page.render(title=title, request=request, session=session), 503


def busy_page(_error: DatabaseBusyError):
    """Another writer held the database past the busy timeout: try again, not a server error."""
    return unavailable_page(ERROR_TITLES[503], "database busy")


def unreachable_page(error: OperationalError | InterfaceError):
    log.warning("database unreachable: %s", error.orig or error)
    return unavailable_page(UNREACHABLE, "database unreachable")


def no_room_page(error: OSError | StorageError):
    if isinstance(error, OSError) and error.errno not in DISK_ERRNOS:
        log.exception("unexpected error")
        return error_page(InternalServerError())
    log.warning("storage cannot be written: %s", error)
    return unavailable_page(NO_ROOM, "storage full or read-only")


def valid_host() -> Response | None:
    """A Host header the router cannot take (over-long, a bare ".."): 400, in plain text — the
    page layout's links would each need that host, and a login redirect too."""
    if request_ctx.url_adapter is None:
        return Response("400 Bad Request: the Host header is not valid.\n", status=400, mimetype="text/plain")
    return None


def init_app(app) -> None:
    """Before the blueprints (ids) and the CSRF check (sizes, which it would read first)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(valid_host)
    app.before_request(limit_request)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(DatabaseBusyError, busy_page)
    app.register_error_handler(OperationalError, unreachable_page)
    app.register_error_handler(InterfaceError, unreachable_page)
    app.register_error_handler(StorageError, no_room_page)
    app.register_error_handler(OSError, no_room_page)
