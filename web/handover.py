"""Handover (serah terima): PPID officers open each submitted document and accept or return it;
submitters see what was returned and why."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from scan_station.accounts.roles import Permission
from scan_station.core.errors import StorageError, UnknownEntryError
from scan_station.db.database import Document
from scan_station.records import handover
from scan_station.records.handover import HandoverError
from scan_station.records.signatures import SignatureCheck, Verdict, shown_time
from scan_station.register import FIELDS, entry_dict

from .auth import audit_exempt, hidden_categories, requires
from .extensions import service
from .messages import user_message
from .paging import paginate, whole_number
from .photos import photo_notes

bp = Blueprint("handover", __name__, url_prefix="/handover")


def _row(d) -> dict:
    return {"id": d.id, "register_id": d.register_id, "version": d.version, "title": d.entry.title,
            "unit": d.entry.unit, "pages": d.page_count, "filed_at": d.filed_at, "status": d.status,
            "category": d.entry.category, "to_check": _to_check(d)}


def _to_check(d) -> dict[int, list[dict]]:
    """The document's pages (1-based, as the PDF counts them) to look at, with their checks."""
    found: dict[int, list[dict]] = {}
    for check in d.pages_to_check or []:
        if isinstance(check, dict) and check.get("page") in (d.batch_pages or []):
            found.setdefault(d.batch_pages.index(check["page"]) + 1, []).append(check)
    return dict(sorted(found.items()))


@bp.get("/")
@login_required
def index():
    """PPID roles see what waits for them; everyone sees what was returned."""
    _settings, db = service()
    hidden = hidden_categories()
    with db.session() as s:
        waiting = paginate(s, handover.documents_query(handover.SUBMITTED, hidden_categories=hidden),
                           row=lambda d: _row(d) | {"replaces": _replaces(s, d)}, arg="waiting_page")
        returned = returned_page(s, hidden)
    return render_template("handover/list.html", waiting=waiting, returned=returned)


def returned_page(s, hidden: tuple[str, ...]):
    """Returned documents no new version has replaced yet, with why: what the units must do next."""
    query = handover.documents_query(handover.RETURNED, hidden_categories=hidden, newest=True)
    return paginate(s, query, row=lambda d: _row(d) | _last_decision(s, d), arg="returned_page")


def _replaces(s, document) -> int | None:
    """The version a new version replaces after it was returned (to point it out), else None."""
    earlier = s.scalars(select(Document).where(Document.register_id == document.register_id,
                                               Document.version == document.version - 1)).first()
    return earlier.version if earlier is not None and earlier.status == handover.RETURNED else None


def _last_decision(s, document) -> dict:
    last = handover.history(s, document.id)[-1]
    return {"reason": last.reason, "by": last.actor, "at": last.at}


@bp.get("/<int:document_id>")
@login_required
def show(document_id: int):
    _settings, db = service()
    with db.session() as s:
        try:
            d = handover.get_document(s, document_id)
        except UnknownEntryError:
            abort(404)
        if d.entry.category in hidden_categories():
            abort(404)
        audit_exempt(s, d, "document.view")
        doc = _row(d) | {"number": d.entry.number, "batch": d.batch_id, "batch_pages": d.batch_pages,
                         "texts": [p.text for p in d.pages], "sha256": d.sha256, "register": entry_dict(d.entry),
                         "origin": d.origin, "softcopies": _softcopies(d.origin), "photos": photo_notes(d.origin)}
        events = [
            {"action": e.action, "actor": e.actor, "reason": e.reason, "at": e.at} for e in handover.history(s, d.id)
        ]
    at_page = whole_number(request.args.get("page", ""), low=1, high=doc["pages"] or 1)
    return render_template("handover/show.html", doc=doc, events=events, fields=FIELDS, at_page=at_page)


def _softcopies(origin) -> list[dict]:
    """The files a softcopy hand-over kept, each signature with its verdict in the kiosk's language."""
    files = origin.get("files") if isinstance(origin, dict) else None
    shown = []
    for f in files if isinstance(files, list) else []:
        if not isinstance(f, dict):
            continue
        found = f.get("signatures")
        checks = [SignatureCheck.from_dict(s) for s in found] if isinstance(found, list) else []
        shown.append({"name": str(f.get("name", "")), "kind": str(f.get("kind", "")),
                      "sha256": str(f.get("sha256", "")), "signatures": [_signature(c) for c in checks]})
    return shown


def _signature(check: SignatureCheck) -> dict:
    """What one signature's check found, said honestly: only a valid one is called "sah"."""
    signer = check.signer or _("unknown signer")
    verdict = check.verdict
    if verdict == Verdict.VALID:
        text = _("Valid electronic signature: signed by %(signer)s", signer=signer)
    elif verdict == Verdict.UNTRUSTED:
        text = _("Signature intact, but the signer has not been checked against a trusted list (stated: "
                 "%(signer)s)", signer=signer)
    elif verdict == Verdict.ALTERED:
        text = _("The document was changed after it was signed (signature stated: %(signer)s)", signer=signer)
    elif verdict == Verdict.EXPIRED and check.reason == "not_yet_valid":
        text = _("The signer's certificate was not yet valid at the time of signing (stated: %(signer)s)",
                 signer=signer)
    elif verdict == Verdict.EXPIRED and check.reason == "revoked":
        text = _("The signer's certificate was revoked at the time of signing (stated: %(signer)s)", signer=signer)
    elif verdict == Verdict.EXPIRED:
        text = _("The signer's certificate had expired at the time of signing (stated: %(signer)s)", signer=signer)
    elif verdict == Verdict.BROKEN:
        text = _("Signature broken / cannot be checked (stated: %(signer)s)", signer=signer)
    else:
        text = _("Signature not checked (recorded before signatures were checked; stated: %(signer)s)",
                 signer=signer)
    when, time, notes = shown_time(check.time), "", []
    if when and verdict in (Verdict.VALID, Verdict.UNTRUSTED, Verdict.EXPIRED, Verdict.UNCHECKED):
        time = (_("at %(time)s (by its timestamp)", time=when) if check.time_source == "timestamp"
                else _("at %(time)s (as the signer states)", time=when))
    if verdict in (Verdict.VALID, Verdict.UNTRUSTED) and check.changes == "signing":
        notes.append(_("After signing, only further signatures or form entries were added."))
    if verdict in (Verdict.VALID, Verdict.UNTRUSTED) and check.timestamp == "untrusted":
        notes.append(_("Its timestamp's issuer has not been checked against a trusted list."))
    return {"verdict": str(verdict), "text": text, "time": time, "notes": notes}


@bp.post("/<int:document_id>/accept")
@requires(Permission.DECIDE)
def accept(document_id: int):
    return _decide(
        document_id, lambda s, where: handover.accept(s, document_id, actor=current_user.id, storage_dir=where),
        _("Accepted and stored."),
    )


@bp.post("/<int:document_id>/return")
@requires(Permission.DECIDE)
def return_(document_id: int):
    reason = request.form.get("reason", "")
    return _decide(
        document_id,
        lambda s, where: handover.return_document(s, document_id, actor=current_user.id, reason=reason,
                                                  storage_dir=where),
        _("Returned to the submitter."),
    )


def _decide(document_id: int, action, done_message: str):
    settings, db = service()
    try:
        with db.session() as s:
            action(s, settings.storage_dir)
    except UnknownEntryError:
        abort(404)
    except HandoverError as exc:
        flash(_decision_refused(exc), "error")
        return redirect(url_for("handover.show", document_id=document_id))
    except StorageError as exc:  # storage cannot take the decision's file
        flash(user_message(exc), "error")
        return redirect(url_for("handover.show", document_id=document_id))
    flash(done_message, "ok")
    return redirect(url_for("handover.index"))


def _decision_refused(exc: HandoverError) -> str:
    """Why a decision was not made, in the kiosk's language."""
    if exc.code == "already_decided":
        return _("Already decided: another officer has decided this version.")
    return user_message(exc)
