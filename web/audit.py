"""The audit log for the PPID and the Atasan PPID: newest first, filtered, as CSV, and whether
the chain is whole (`scan_station.audit`)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, redirect, render_template, request, url_for

from scan_station import audit
from scan_station.audit_sheet import export_audit
from scan_station.roles import Permission

from .auth import requires
from .downloads import download
from .extensions import service
from .paging import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")
#: Records one export holds (the newest that match).
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
    return render_template("audit.html", page=_page(db, f), f=f, checked=None)


def _page(db, f: audit.Filter):
    """A page of records; None when one cannot be read back (the page says to check the chain)."""
    try:
        with db.session() as s, audit.readable():
            return paginate(s, audit.records_query(f), row=audit.as_dict)
    except audit.UnreadableLogError:
        return None


@bp.post("/verify")
@requires(Permission.AUDIT)
def verify():
    settings, db = service()
    problems = audit.verify_all(settings, db)
    return render_template("audit.html", page=_page(db, audit.Filter()), f=audit.Filter(),
                           checked=[str(p) for p in problems])


@bp.get("/audit.csv")
@requires(Permission.AUDIT)
def csv():
    """The records that match, newest first, as CSV for programs (`,`, UTF-8)."""
    return _export("csv")


@bp.get("/audit-excel.csv")
@requires(Permission.AUDIT)
def csv_excel():
    """The same as CSV as Excel in Indonesian opens it (`;`, UTF-8 with a BOM)."""
    return _export("excel-csv")


@bp.get("/audit.xlsx")
@requires(Permission.AUDIT)
def xlsx():
    return _export("xlsx")


def _export(kind: str):
    _settings, db = service()
    try:
        with db.session() as s, audit.readable():
            records = s.scalars(audit.records_query(_filter()).limit(MAX_EXPORT))
            body = audit.as_csv(records) if kind == "csv" else export_audit(records, kind)
    except audit.UnreadableLogError:
        return redirect(url_for("audit.index"))
    return download(body, "log-audit", kind)
