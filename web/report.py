"""The monthly report for the Atasan PPID (and the PPID and admin): on screen and as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, flash, render_template, request

from scan_station import report
from scan_station.errors import RegisterError
from scan_station.roles import Permission

from .auth import hidden_categories, requires
from .extensions import service

bp = Blueprint("report", __name__, url_prefix="/report")


def _report() -> dict:
    _settings, db = service()
    try:
        year, month = report.parse_month(request.args.get("month"))
    except RegisterError as exc:
        flash(str(exc), "error")
        year, month = report.parse_month(None)
    with db.session() as s:
        return report.monthly(s, year, month, hidden_categories=hidden_categories())


@bp.get("/")
@requires(Permission.REPORT)
def index():
    return render_template("report.html", report=_report())


@bp.get("/report.csv")
@requires(Permission.REPORT)
def csv():
    data = _report()
    return Response(report.as_csv(data), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=laporan-ppid-{data['month']}.csv"})
