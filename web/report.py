"""The monthly report for the Atasan PPID (and the PPID and admin): on screen, as CSV and as XLSX."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scan_station.accounts.roles import Permission
from scan_station.core.errors import NotFoundError, RegisterError, ScanStationError
from scan_station.db.database import BeritaAcara
from scan_station.records import berita_acara, report

from .auth import hidden_categories, requires
from .downloads import download
from .extensions import service
from .messages import user_message
from .register import print_coversheets

bp = Blueprint("report", __name__, url_prefix="/report")


def _report() -> dict:
    _settings, db = service()
    try:
        year, month = report.parse_month(request.args.get("month"))
    except RegisterError as exc:
        flash(user_message(exc), "error")
        year, month = report.parse_month(None)
    with db.session() as s:
        return report.monthly(s, year, month, hidden_categories=hidden_categories())


@bp.get("/")
@requires(Permission.REPORT)
def index():
    _settings, db = service()
    return render_template("report.html", report=_report(), berita_acara=berita_acara.listing(db)[-50:][::-1])


@bp.get("/report.csv")
@requires(Permission.REPORT)
def csv():
    """The per-unit table as CSV for programs (`,`, UTF-8)."""
    return _export("csv")


@bp.get("/report-excel.csv")
@requires(Permission.REPORT)
def csv_excel():
    """The per-unit table as CSV as Excel in Indonesian opens it (`;`, UTF-8 with a BOM)."""
    return _export("excel-csv")


@bp.get("/report.xlsx")
@requires(Permission.REPORT)
def xlsx():
    """The per-unit table and the documents returned in the month, as a workbook."""
    return _export("xlsx")


def _export(kind: str):
    data = _report()
    return download(report.export_report(data, kind), f"laporan-ppid-{data['month']}", kind)


@bp.post("/berita-acara")
@requires(Permission.REPORT)
def berita_acara_new():
    """A berita acara alih media for a unit's month (`scan_station.records.berita_acara`)."""
    settings, db = service()
    month = request.form.get("month", "")
    try:
        scope = berita_acara.Scope(month=report.parse_month(month), unit=request.form.get("unit", "").strip()[:200])
        made = berita_acara.make(settings, db, scope, by=current_user.id,
                                 replaces=request.form.get("replaces", "").strip()[:120] or None)
    except ScanStationError as exc:
        flash(user_message(exc), "error")
    else:
        flash(_("Berita acara %(number)s made and filed.", number=made["number"]), "ok")
    return redirect(url_for("report.index", month=month if len(month) <= 7 else None))


@bp.post("/berita-acara/<int:record_id>/signed-copy")
@requires(Permission.REPORT)
def berita_acara_signed_copy(record_id: int):
    """The cover sheet to scan the signed paper back under (its own register entry, made once)."""
    settings, db = service()
    try:
        register_id = berita_acara.signed_copy_entry(settings, db, record_id, actor=current_user.id)
    except NotFoundError:
        abort(404)
    return print_coversheets([register_id], back=url_for("report.index"))


@bp.get("/berita-acara/<int:record_id>.pdf")
@requires(Permission.REPORT)
def berita_acara_pdf(record_id: int):
    settings, db = service()
    with db.session() as s:
        record = s.get(BeritaAcara, record_id)
        if record is None:
            abort(404)
        path, number = settings.storage_dir / record.path, record.number
    name = f"{number.replace('/', '-')}.pdf"
    shown = berita_acara.shown_to(settings, db, record_id, hidden_categories())  # exempt rows counted, not named
    if shown is not None:
        return send_file(io.BytesIO(shown), mimetype="application/pdf", download_name=name)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", download_name=name)
