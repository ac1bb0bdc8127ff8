"""The audit log for the PPID and the Atasan PPID: newest first, filtered, as CSV, and whether
the chain is whole (`scan_station.audit.log`). On screen each record reads as a sentence with labelled
details (`audit_text`, `audit_fields`); the CSV keeps the codes, for machines."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from scan_station.accounts.roles import Permission
from scan_station.audit import log as audit
from scan_station.audit.sheet import export_audit
from scan_station.db.database import AuditRecord, UserAccount

from . import audit_fields, audit_text
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
    return _screen(db, f, checked=None)


def _screen(db, f: audit.Filter, *, checked: list[str] | None):
    page, names = _page(db, f)
    return render_template("audit.html", page=page, f=f, checked=checked, groups=audit_text.choices(),
                           known=_known(f.action), people=sorted(names.items(), key=lambda p: p[1].lower()))


def _known(action: str) -> bool:
    return not action or any(value == action for _group, items in audit_text.choices() for value, _name in items)


def _query(f: audit.Filter):
    """The records `f` matches; an action chosen from the list is that action only ("login" is not
    also "login.failed"), anything else a prefix ("register": every register action)."""
    query = audit.records_query(f)
    return query.where(AuditRecord.action == f.action) if f.action in audit_text.ACTIONS else query


def _page(db, f: audit.Filter):
    """A page of records as sentences with their fields, and the users' full names; the page is
    None when a record cannot be read back (the page says to check the chain)."""
    try:
        with db.session() as s:
            names = {u: n for u, n in s.execute(select(UserAccount.username, UserAccount.name)) if n}
            with audit.readable():
                page = paginate(s, _query(f), row=audit.as_dict)
    except audit.UnreadableLogError:
        return None, names
    return dataclasses.replace(page, items=[_readable(r, names) for r in page.items]), names


def _readable(record: dict, names: dict[str, str]) -> dict:
    return record | {"when": audit_fields.when(record["at"]), "sentence": audit_text.sentence(record, names),
                     "fields": audit_fields.fields(record, names)}


@bp.post("/verify")
@requires(Permission.AUDIT)
def verify():
    settings, db = service()
    problems = audit.verify_all(settings, db)
    return _screen(db, audit.Filter(), checked=[str(p) for p in problems])


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
            records = s.scalars(_query(_filter()).limit(MAX_EXPORT))
            body = audit.as_csv(records) if kind == "csv" else export_audit(records, kind)
    except audit.UnreadableLogError:
        return redirect(url_for("audit.index"))
    return download(body, "log-audit", kind)
