"""Search over OCR text and register fields, and the filed PDFs it leads to. Documents in the
category "dikecualikan" (information withheld from the public) exist only for PPID roles: in
results and downloads alike, everyone else gets nothing and a 404."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from scan_station.db import Document
from scan_station.register import CATEGORIES
from scan_station.search import SearchTooBroadError
from scan_station.search import search as search_pages

from .auth import audit_exempt, hidden_categories
from .extensions import service
from .paging import whole_number

bp = Blueprint("search", __name__)
_OPEN, _CLOSE = "\x02", "\x03"  # match markers that cannot occur in OCR text; escaped, then <mark>


def _marked(snippet: str) -> Markup:
    return Markup(str(escape(snippet)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


@bp.get("/search")
@login_required
def index():
    args = {k: request.args.get(k, "").strip() for k in ("q", "unit", "category", "year", "status")}
    if whole_number(args["year"], low=1000, high=9999) is None:
        args["year"] = ""
    hits = []
    if args["q"]:
        _settings, db = service()
        try:
            with db.session() as s:
                hits = search_pages(
                    s,
                    args["q"],
                    limit=50,
                    mark=(_OPEN, _CLOSE),
                    hidden_categories=hidden_categories(),
                    unit=args["unit"],
                    category=args["category"],
                    year=args["year"],
                    status=args["status"],
                )
        except SearchTooBroadError:
            flash(_("The search takes too long; use fewer or rarer words, or a filter."), "error")
    categories = [c for c in CATEGORIES if c not in hidden_categories()]
    return render_template("search.html", hits=hits, args=args, categories=categories, marked=_marked)


@bp.get("/documents/<int:document_id>.pdf")
@login_required
def document_pdf(document_id: int):
    settings, _db = service()
    path = settings.storage_dir / _visible_document(document_id, action="document.download")
    return send_file(path, mimetype="application/pdf", download_name=path.name)


@bp.get("/documents/<int:document_id>/salinan.pdf")
@login_required
def access_copy_pdf(document_id: int):
    """The copy for a citizen: the document with its page of authentication (`access_copy`)."""
    from scan_station import access_copy

    settings, db = service()
    _visible_document(document_id, action="document.copy")
    data, name = access_copy.make(settings, db, document_id, base_url=request.host_url, by=current_user.id)
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})


def _visible_document(document_id: int, *, action: str) -> str:
    """The document's path in storage, if it exists and the user may see it; else 404. Taking a
    "dikecualikan" document is audited as `action`."""
    _settings, db = service()
    with db.session() as s:
        document = s.get(Document, document_id)
        if document is None or document.entry.category in hidden_categories():
            abort(404)
        audit_exempt(s, document, action)
        return document.path
