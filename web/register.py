"""The register (Daftar Informasi Publik): list and filter, create, edit, CSV in, CSV and XLSX out,
cover sheets for printing."""

from __future__ import annotations

import io

import pikepdf
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from scan_station.accounts.roles import Permission, may
from scan_station.core.errors import CsvImportError, RegisterError, ScanStationError, UnknownEntryError
from scan_station.papers.cover_sheet import MAX_COVERSHEETS, coversheets_pdf
from scan_station.records.reconcile import record_print
from scan_station.register import (
    CATEGORIES,
    ENTRY_STATES,
    FIELDS,
    FORMATS,
    add_entry,
    entries_query,
    entry_dict,
    entry_states,
    get_entry,
    list_entries,
    units,
    update_entry,
)
from scan_station.register.csv_io import export_register, import_csv

from .auth import requires
from .downloads import download
from .extensions import service
from .messages import user_message
from .paging import paginate, whole_number

bp = Blueprint("register", __name__, url_prefix="/register")


@bp.get("/")
@login_required
def index():
    from .auth import hidden_categories

    _settings, db = service()
    args = {k: request.args.get(k, "").strip()[:200] for k in ("q", "unit", "category", "year", "state")}
    year = whole_number(args["year"], low=1900, high=9998)
    hidden = hidden_categories()
    with db.session() as s:
        entries = paginate(s, entries_query(q=args["q"], unit=args["unit"], category=args["category"], year=year,
                                            state=args["state"], hidden_categories=hidden), row=entry_dict)
        states = entry_states(s, [e["id"] for e in entries.items])
        for e in entries.items:  # what became of an entry the reader may not see is the PPID's to know
            e["state"] = None if e["category"] in hidden else states[e["id"]]
        unit_names = units(s)
    return render_template("register/list.html", entries=entries, units=unit_names, categories=CATEGORIES, args=args,
                           states=ENTRY_STATES)


@bp.get("/<path:entry_id>")
@login_required
def show(entry_id: str):
    """An entry's page: its DIP fields, what became of it (every version, with its state and the
    reason it was returned), and what the role may do next."""
    from scan_station.records import handover

    from .auth import hidden_categories

    _settings, db = service()
    with db.session() as s:
        try:
            entry = get_entry(s, entry_id)
        except UnknownEntryError:
            abort(404)
        hidden = entry.category in hidden_categories()  # its documents are the PPID's to see
        versions = [] if hidden else [_version(d, handover.history(s, d.id)) for d in entry.documents]
        return render_template("register/show.html", entry=entry_dict(entry), fields=FIELDS, hidden=hidden,
                               versions=sorted(versions, key=lambda v: -v["version"]))


def _version(document, events) -> dict:
    last = events[-1] if events else None
    return {"id": document.id, "version": document.version, "status": document.status,
            "pages": document.page_count, "filed_at": document.filed_at, "softcopy": bool(document.origin),
            "reason": last.reason if last and document.status == "returned" else "",
            "decided_by": last.actor if last else "", "decided_at": last.at if last else None}


def _form(entry: dict, *, errors: str | None, title: str, status: int = 200):
    return render_template("register/form.html", entry=entry, fields=FIELDS, categories=CATEGORIES,
                           formats=FORMATS, error=errors, title=title), status


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.REGISTER)
def new():
    if request.method == "GET":
        return _form({}, errors=None, title=_("New entry"))
    values = {f.name: request.form.get(f.name, "") for f in FIELDS if f.name != "id"}
    settings, db = service()
    try:
        with db.session() as s:
            entry_id = add_entry(s, settings, actor=current_user.id, **values).id
    except RegisterError as exc:
        return _form(values, errors=user_message(exc), title=_("New entry"), status=400)
    flash(_("Entry %(id)s registered.", id=entry_id), "ok")
    return redirect(url_for("register.index"))


@bp.route("/<path:entry_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_REGISTER)
def edit(entry_id: str):
    _settings, db = service()
    try:
        with db.session() as s:
            current = entry_dict(get_entry(s, entry_id))
    except UnknownEntryError:
        abort(404)
    if request.method == "GET":
        return _form(current, errors=None, title=_("Edit %(id)s", id=entry_id))
    values = {f.name: request.form.get(f.name, "") for f in FIELDS if f.name != "id"}
    try:
        with db.session() as s:
            update_entry(s, entry_id, may_change_exempt=may(current_user.role, Permission.SEE_EXEMPT),
                         actor=current_user.id, **values)
    except RegisterError as exc:
        return _form({**values, "id": current["id"]}, errors=user_message(exc), title=_("Edit %(id)s", id=entry_id),
                     status=400)
    flash(_("Entry %(id)s saved.", id=entry_id), "ok")
    return redirect(url_for("register.index"))


@bp.post("/import")
@requires(Permission.MANAGE_REGISTER)
def import_():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file first."), "error")
        return redirect(url_for("register.index"))
    settings, db = service()
    try:
        text = upload.read().decode("utf-8-sig")
        with db.session() as s:
            result = import_csv(s, settings, text, may_change_exempt=may(current_user.role, Permission.SEE_EXEMPT),
                                actor=current_user.id)
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text; save the spreadsheet as 'CSV UTF-8'."), "error")
    except CsvImportError as exc:
        for line, problem in exc.problems[:50]:
            flash(_("Line %(line)s: %(message)s", line=line, message=user_message(problem)), "error")
        flash(_("Nothing was imported."), "error")
    except RegisterError as exc:  # e.g. the id_pattern setting makes no valid id
        flash(user_message(exc), "error")
        flash(_("Nothing was imported."), "error")
    else:
        flash(
            _(
                "%(created)s created, %(updated)s updated.",
                created=len(result["created"]),
                updated=len(result["updated"]),
            ),
            "ok",
        )
    return redirect(url_for("register.index"))


@bp.get("/export.csv")
@login_required
def export():
    """The register as CSV for programs (`,`, UTF-8)."""
    return _export("csv")


@bp.get("/export-excel.csv")
@login_required
def export_excel():
    """The register as CSV as Excel in Indonesian opens it (`;`, UTF-8 with a BOM)."""
    return _export("excel-csv")


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    return _export("xlsx")


def _export(kind: str):
    _settings, db = service()
    with db.session() as s:
        data = export_register(list_entries(s), kind)
    return download(data, "daftar-informasi-publik", kind)


@bp.post("/coversheets")
@requires(Permission.REGISTER)
def coversheets():
    ids = request.form.getlist("ids")
    if not ids:
        flash(_("Pick at least one entry."), "error")
        return redirect(url_for("register.index"))
    if len(ids) > MAX_COVERSHEETS:
        flash(_("%(count)d cover sheets picked; at most %(max)d go in one print, so print them in parts.",
                count=len(ids), max=MAX_COVERSHEETS), "error")
        return redirect(url_for("register.index"))
    return print_coversheets(ids, back=url_for("register.index"))


def print_coversheets(ids: list[str], *, back: str):
    """The cover sheets of entries `ids` as a PDF that prints when it opens; recorded as printed."""
    _settings, db = service()
    try:
        with db.session() as s:
            entries = [get_entry(s, i) for i in ids]
            pdf = coversheets_pdf(entries)
            record_print(s, [e.id for e in entries], printed_by=current_user.id)  # for the review of the batch
    except UnknownEntryError:
        abort(404)
    except ScanStationError as exc:  # e.g. the cover sheet font is not installed
        flash(user_message(exc), "error")
        return redirect(back)
    return Response(
        pdf if request.form.get("in_frame") else _print_on_open(pdf),  # in a panel, the page prints it
        mimetype="application/pdf",
        headers={"Content-Disposition": "inline; filename=lembar-sampul.pdf"},
    )


def _print_on_open(pdf: bytes) -> bytes:
    """Ask the browser's PDF viewer to open its print dialog as soon as the cover sheets show."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.print({bUI: true});")
        )
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()
