"""Search over OCR text and register fields, and the filed PDFs (and page pictures) it leads to.
Documents in the category "dikecualikan" (information withheld from the public) exist only for
PPID roles: the engine leaves them out of results and counts, and their PDFs and page pictures
are a 404 for everyone else."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from scan_station.accounts.roles import EXEMPT
from scan_station.audit import anchor as audit_anchor
from scan_station.audit import log as audit
from scan_station.core.errors import ScanStationError
from scan_station.db.database import Document
from scan_station.register import CATEGORIES
from scan_station.search import Results, find
from scan_station.search.engine import IndexUnavailableError

from .auth import audit_exempt, back_to_referrer, hidden_categories
from .extensions import service
from .paging import Page, link_args, page_number, whole_number

bp = Blueprint("search", __name__)
#: Why a copy for an applicant was not made (`access_copy.make`'s codes), in the kiosk's language.
COPY_REFUSED = {
    "no_public_base_url": lazy_gettext("Copies cannot be made yet: the administrator must first set "
                                       "public_base_url, the address where citizens check a copy (see Administrasi ▸ "
                                       "Pemeriksaan sistem)."),
    "returned_no_copy": lazy_gettext("This version was returned to its unit: it is no document to hand out."),
}
log = logging.getLogger(__name__)
_OPEN, _CLOSE = "\x02", "\x03"  # match markers that cannot occur in OCR text; escaped, then <mark>
FILTERS = ("unit", "category", "year", "number", "status")
PER_PAGE = 20


def _marked(snippet: str) -> Markup:
    return Markup(str(escape(snippet)).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


def _args() -> dict[str, str]:
    args = {k: request.args.get(k, "").strip()[:300] for k in ("q", "sort", *FILTERS)}
    if whole_number(args["year"], low=1000, high=9999) is None:
        args["year"] = ""
    if args["category"] in hidden_categories():
        args["category"] = ""
    args["sort"] = "date" if args["sort"] == "date" else "relevance"
    return args


@bp.get("/search")
@login_required
def index():
    args = _args()
    results, older, unavailable = Results(0, []), {}, False
    if args["q"] or any(args[k] for k in FILTERS):
        _settings, db = service()
        with db.session() as s:
            try:
                results = find(s, args["q"], page=page_number(), per_page=PER_PAGE, sort=args["sort"],
                               mark=(_OPEN, _CLOSE), filters={k: args[k] for k in FILTERS},
                               hidden_categories=hidden_categories(), with_facets=True)
            except IndexUnavailableError as exc:
                log.error("search: %s", exc)
                unavailable = True
            older = _older_versions(s, results)
            _audit_exempt_shown(s, args["q"], results)
    page = Page(results.documents, results.total, results.page, PER_PAGE, "page")
    categories = [c for c in CATEGORIES if c not in hidden_categories()]
    return render_template("search.html", results=results, page=page, args=args, categories=categories,
                           marked=_marked, older=older, unavailable=unavailable, facet_link=_facet_link,
                           searched=bool(args["q"] or any(args[k] for k in FILTERS)))


def _audit_exempt_shown(session, query: str, results: Results) -> None:
    """Results that show "dikecualikan" documents (their snippets and page pictures) go into the
    audit log: one record for the page, with the query and those documents."""
    shown = [f"{d.register_id} v{d.version}" for d in results.documents if d.category == EXEMPT]
    if shown:
        audit.record(session, current_user.id, "search.exempt", ", ".join(shown)[:200], query=query[:300],
                     documents=shown, page=results.page)
        audit_anchor.now(session)


def _facet_link(name: str, value: str) -> str:
    """This search narrowed to one facet value (the form field of the same name)."""
    kept = {k: v for k, v in link_args("page", name).items() if v}
    return url_for("search.index", **kept, **{name: value})


def _older_versions(session, results: Results) -> dict[str, list]:
    """Each result's other versions (older, or returned), to reach them from it."""
    shown = {d.register_id: d.document_id for d in results.documents}
    out: dict[str, list] = {}
    if shown:
        rows = session.scalars(select(Document).where(Document.register_id.in_(shown)).order_by(Document.version))
        for document in rows:
            if document.id != shown[document.register_id]:
                out.setdefault(document.register_id, []).append((document.id, document.version, document.status))
    return out


@bp.get("/search/help")
@login_required
def help_page():
    return render_template("search_help.html")


@bp.get("/documents/<int:document_id>.pdf")
@login_required
def document_pdf(document_id: int):
    settings, _db = service()
    path = settings.storage_dir / _visible_document(document_id, action="document.download")[0]
    return send_file(path, mimetype="application/pdf", download_name=path.name)


@bp.get("/documents/<int:document_id>/thumbnail.png")
@login_required
def page_thumbnail(document_id: int):
    """A small picture of one page (`?page=N`, default 1), for search results."""
    from scan_station.search.thumbnails import thumbnail

    settings, _db = service()
    path, sha256, page_count = _visible_document(document_id)
    page = page_number()
    if not 1 <= page <= page_count:
        abort(404)
    picture = thumbnail(settings.storage_dir / path, sha256, page, settings.index_dir / "thumbnails")
    response = send_file(picture, mimetype="image/png", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/documents/<int:document_id>/salinan.pdf")
@login_required
def access_copy_pdf(document_id: int):
    """The copy for a citizen: the document with its page of authentication (`access_copy`)."""
    from scan_station.records import access_copy

    settings, db = service()
    _visible_document(document_id, action="document.copy")
    try:
        data, name = access_copy.make(settings, db, document_id, by=current_user.id)
    except ScanStationError as exc:
        flash(COPY_REFUSED.get(exc.code, _("No copy can be made of this document.")), "error")
        return redirect(back_to_referrer(url_for("search.index")))
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})


def _visible_document(document_id: int, *, action: str = "") -> tuple[str, str, int]:
    """The document's path in storage, SHA-256 and page count, if it exists and the user may see
    it; else 404. Taking a "dikecualikan" document is audited as `action`, when given."""
    _settings, db = service()
    with db.session() as s:
        document = s.get(Document, document_id)
        if document is None or document.entry.category in hidden_categories():
            abort(404)
        if action:
            audit_exempt(s, document, action)
        return document.path, document.sha256, document.page_count
