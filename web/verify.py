"""Verifikasi: a citizen checks a copy the PPID handed out, without logging in.

`/verifikasi/<sha256>` (the address a copy's QR code will carry) and an upload of the file itself
say whether the PPID filed exactly this file, and show only what the register publishes of it:
title, category, date filed, whether it is the stored record or a copy handed out, whether the PPID
has accepted it — and whether the stored file is still unchanged. The page names the agency and
how to reach its PPID (`agency_name`, `ppid_contact`), and is made for a phone first. A document of
category "dikecualikan", like a file the PPID never filed, is "not found": nothing about it shows.
"""

from __future__ import annotations

import hashlib
import re

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from scan_station.accounts.roles import EXEMPT
from scan_station.core import storage
from scan_station.db.database import AccessCopy, Document

from .extensions import limiter, service

bp = Blueprint("verify", __name__, url_prefix="/verifikasi")
SHA256 = re.compile(r"[0-9a-f]{64}")


def upload_limit(settings) -> int:
    """The body one check by upload may have: the file, and the form around it."""
    return settings.verify_upload_max_mb * 1024 * 1024 + 64 * 1024


@bp.get("/")
def index():
    return render_template("verify.html", result=None)


#: One limit for a client's requests here — the form, checks by address and by upload together —
#: checked before anything of the request is read (a blueprint's limit is, a view's is not).
limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify")(bp)


@bp.get("/<sha256>")
def by_hash(sha256: str):
    if not SHA256.fullmatch(sha256.lower()):
        abort(404)
    return render_template("verify.html", result=_check(sha256.lower()))


@bp.post("/")
def upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("verify.html", result=None, error=True), 400
    digest = hashlib.sha256()
    for block in iter(lambda: upload.stream.read(1 << 20), b""):
        digest.update(block)
    return render_template("verify.html", result=_check(digest.hexdigest()))


def _check(sha256: str) -> dict:
    settings, db = service()
    with db.session() as s:
        document = s.scalars(select(Document).where(Document.sha256 == sha256).order_by(Document.id)).first()
        copy = None if document else s.scalars(select(AccessCopy).where(AccessCopy.sha256 == sha256)).first()
        if copy is not None:  # a copy the PPID handed out: the master behind it is what is checked
            document = s.get(Document, copy.document_id)
        if document is None or document.entry.category == EXEMPT:
            return {"found": False, "sha256": sha256}
        sha256 = document.sha256
        found = {"found": True, "sha256": sha256, "is_copy": copy is not None,
                 "copy_made_at": copy.created_at if copy is not None else None, "status": document.status,
                 "returned": document.status == "returned", "title": document.entry.title,
                 "register_id": document.register_id,
                 "version": document.version, "category": document.entry.category, "filed_at": document.filed_at}
        path = settings.storage_dir / document.path
    found["unchanged"] = path.is_file() and storage.sha256_file(path) == sha256
    return found
