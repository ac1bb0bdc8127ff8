"""Photographed pages of a softcopy: the photo as handed over, beside the page made from it, and
the corners an officer drags onto the page when the outline was found wrong — the softcopy is then
handed over again from its masters, that photo flattened from those corners (`uploads.corrected`)."""

from __future__ import annotations

import io
import math

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required
from PIL import Image, ImageOps

from scan_station.accounts.roles import Permission
from scan_station.core import safe_files
from scan_station.core.errors import NotFoundError, ScanStationError
from scan_station.db.database import Document
from scan_station.filing.uploads import corrected, stored_originals
from scan_station.pages.photo import PhotoError, checked_corners
from scan_station.pages.source import pillow_limit

from .auth import audit_exempt, hidden_categories, requires
from .extensions import jobs, service
from .messages import message_for, user_message

bp = Blueprint("photos", __name__, url_prefix="/documents")
#: The long side of the photo as the kiosk shows it to drag the corners on.
SHOWN_PX = 1400


def photo_notes(origin) -> list[dict]:
    """The photos a softcopy hand-over kept (number from 1 among its files, name, what was done),
    for the handover screen."""
    files = origin.get("files") if isinstance(origin, dict) else None
    found = []
    for number, f in enumerate(files if isinstance(files, list) else [], start=1):
        note = f.get("photo") if isinstance(f, dict) else None
        size = note.get("size") if isinstance(note, dict) else None
        if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
            continue
        outline = note.get("outline")
        corners = outline if _corners_shape(outline) else [[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]]
        page = note.get("page") if isinstance(note.get("page"), int) else None
        found.append({"number": number, "name": str(f.get("name", "")), "size": size, "corners": corners,
                      "page": page, "found": note.get("photo") == "flattened", "by_hand": bool(note.get("by_hand"))})
    return found


def _corners_shape(value) -> bool:
    return isinstance(value, list) and len(value) == 4 and all(
        isinstance(c, list) and len(c) == 2 and all(isinstance(v, int | float) and math.isfinite(v) for v in c)
        for c in value)


@bp.get("/<int:document_id>/photos/<int:number>.jpg")
@login_required
def photo(document_id: int, number: int):
    """The photo as handed over, turned as the phone showed it, made smaller for the screen."""
    settings, _db = service()
    path = _stored_photo(document_id, number, action="document.view")
    try:
        with pillow_limit(settings.max_image_megapixels), safe_files.open_regular(path) as f, Image.open(f) as opened:
            shown = ImageOps.exif_transpose(opened).convert("RGB")
            shown.thumbnail((SHOWN_PX, SHOWN_PX))
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        abort(404)  # `verify` tells the administrator what is wrong with the stored file
    out = io.BytesIO()
    shown.save(out, "JPEG", quality=85)
    out.seek(0)
    response = send_file(out, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:document_id>/photos/<int:number>/corners")
@requires(Permission.REGISTER)
def corners(document_id: int, number: int):
    """Hand the softcopy over again with this photo's page where the officer put its corners."""
    settings, db = service()
    note = _photo_note(document_id, number)
    given = [[_number(f"{axis}{n}") for axis in "xy"] for n in range(1, 5)]
    try:
        checked_corners(given, tuple(note["size"]))
    except PhotoError:
        flash(message_for("corners", {"name": note["name"]}, ""), "error")
        return redirect(url_for("handover.show", document_id=document_id) + "#photo-" + str(number))
    try:
        upload = corrected(settings, db, document_id, {number: given}, user=current_user.id)
    except NotFoundError:
        abort(404)
    except ScanStationError as exc:
        flash(user_message(exc), "error")
        return redirect(url_for("handover.show", document_id=document_id))
    jobs().file_softcopy(upload.id)
    return redirect(url_for("softcopy.status", entry_id=note["register_id"], upload_id=upload.id))


def _number(field: str) -> float:
    try:
        return float(request.form.get(field, ""))
    except ValueError:
        return math.nan  # refused by checked_corners


def _photo_note(document_id: int, number: int) -> dict:
    """The photo's note and its document's entry, if the user may see the document; else 404."""
    _settings, db = service()
    with db.session() as s:
        document = _visible(s, document_id)
        notes = {p["number"]: p for p in photo_notes(document.origin)}
        if number not in notes:
            abort(404)
        return notes[number] | {"register_id": document.register_id}


def _stored_photo(document_id: int, number: int, *, action: str):
    """Where storage keeps the photo (`uploads.stored_originals`), if the user may see it; else 404."""
    settings, db = service()
    with db.session() as s:
        document = _visible(s, document_id)
        if number not in {p["number"] for p in photo_notes(document.origin)}:
            abort(404)
        audit_exempt(s, document, action)
        try:
            return stored_originals(settings, document)[number - 1][1]
        except NotFoundError:
            abort(404)


def _visible(session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.entry.category in hidden_categories():
        abort(404)
    return document
