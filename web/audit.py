"""The audit log for the PPID and the Atasan PPID: newest first, filtered, as CSV, and whether
the chain is whole (`scan_station.audit`)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, render_template, request

from scan_station import audit
from scan_station.roles import Permission

from .auth import requires
from .extensions import service
from .paging import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")
#: Records one CSV export holds (the newest that match).
MAX_EXPORT = 100_000


def _filter() -> audit.Filter:
    args = request.args
    return audit.Filter(action=args.get("action", "").strip()[:40], actor=args.get("actor", "").strip()[:64],
                        subject=args.get("subject", "").strip()[:200], since=_day(args.get("since")),
                        until=_day(args.get("until")))


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


@bp.get("/")
@requires(Permission.AUDIT)
def index():
    _settings, db = service()
    f = _filter()
    with db.session() as s:
        page = paginate(s, audit.records_query(f), row=audit.as_dict)
    return render_template("audit.html", page=page, f=f, checked=None)


@bp.post("/verify")
@requires(Permission.AUDIT)
def verify():
    settings, db = service()
    problems = audit.verify_all(settings, db)
    with db.session() as s:
        page = paginate(s, audit.records_query(audit.Filter()), row=audit.as_dict)
    return render_template("audit.html", page=page, f=audit.Filter(), checked=[str(p) for p in problems])


@bp.get("/audit.csv")
@requires(Permission.AUDIT)
def csv():
    _settings, db = service()
    with db.session() as s:
        text = audit.as_csv(s.scalars(audit.records_query(_filter()).limit(MAX_EXPORT)))
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=log-audit.csv"})
