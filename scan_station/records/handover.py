"""Handover (serah terima): a filed document arrives at the PPID as "submitted"; a Petugas PPID
accepts it ("diterima, disimpan") or returns it with a reason. Every step records who and when,
in the database and, for a decision, in a file of its own next to the document's sidecar
(`storage.event_relpath`, written once, atomically), so that storage alone tells the history."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, aliased

from .. import search
from ..audit import log as audit
from ..core import storage
from ..core.errors import RegisterError, UnknownEntryError
from ..core.model import DocumentStatus
from ..db.database import Document, DocumentEvent, Entry, utcnow

SUBMITTED, ACCEPTED, RETURNED = DocumentStatus.SUBMITTED, DocumentStatus.ACCEPTED, DocumentStatus.RETURNED


class HandoverError(RegisterError):
    pass


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise UnknownEntryError(f"no filed document {document_id}")
    return document


def _decide(session: Session, document_id: int, *, action: str, status: str, actor: str, reason: str,
            storage_dir: Path, audited: str) -> DocumentEvent:
    # One decision per version: the status changes only where it is still "submitted", in one
    # statement (a second officer's decision waits for the first's lock, then finds it decided).
    # an UPDATE's result is a CursorResult (with rowcount); Session.execute is typed as returning any Result
    decided = cast(CursorResult[Any], session.execute(
        update(Document).where(Document.id == document_id, Document.status == SUBMITTED)
        .values(status=status).execution_options(synchronize_session=False)))
    document = get_document(session, document_id)
    if decided.rowcount != 1:
        session.refresh(document)
        raise HandoverError(f"{document.register_id} v{document.version} is {document.status} already",
                            code="already_decided", register_id=document.register_id, version=document.version,
                            status=document.status)
    session.refresh(document)
    events = session.scalar(select(func.count()).where(DocumentEvent.document_id == document.id))
    assert events is not None  # COUNT(*) always returns a row
    number = 1 + events
    record = DocumentEvent(document_id=document.id, action=action, actor=actor, reason=reason, at=utcnow(),
                           path=str(storage.event_relpath(document.sidecar_path, number)))
    assert record.path is not None  # given just above
    record.sha256 = storage.atomic_write_json(storage_dir / record.path, {
        "register_id": document.register_id, "version": document.version, "document_id": document.id,
        "document_sha256": document.sha256, "event": number, "action": action, "status": status, "actor": actor,
        "reason": reason, "at": record.at.isoformat(),
    })
    written = storage_dir / record.path
    sa_event.listen(session, "after_rollback", lambda _s: written.unlink(missing_ok=True), once=True)
    session.add(record)
    session.flush()
    audit.record(session, actor, audited, f"{document.register_id} v{document.version}",
                 document_id=document.id, sha256=document.sha256, reason=reason)
    search.entry_changed(session, document.register_id)  # a returned version leaves the results
    return record


def accept(session: Session, document_id: int, *, actor: str, storage_dir: Path) -> DocumentEvent:
    return _decide(session, document_id, action=ACCEPTED, status=ACCEPTED, actor=actor, reason="",
                   storage_dir=storage_dir, audited="handover.accepted")


def return_document(session: Session, document_id: int, *, actor: str, reason: str,
                    storage_dir: Path) -> DocumentEvent:
    if not reason.strip():
        raise HandoverError("a returned document needs a reason, so that the submitter knows what to fix",
                            code="reason_required")
    return _decide(session, document_id, action=RETURNED, status=RETURNED, actor=actor, reason=reason.strip(),
                   storage_dir=storage_dir, audited="handover.returned")


def documents(session: Session, status: str) -> list[Document]:
    return list(session.scalars(documents_query(status)))


def documents_query(status: str, *, hidden_categories: tuple[str, ...] = (), newest: bool = False) -> Select:
    """Documents in one handover state, oldest first, without entries of `hidden_categories`;
    `newest`: only those no later version of their entry has replaced (a returned document whose
    unit has not handed over a new version yet: the documentation officer's next step)."""
    query = select(Document).join(Entry).where(Document.status == status)
    if newest:
        later = aliased(Document)
        query = query.where(~exists().where(later.register_id == Document.register_id,
                                             later.version > Document.version))
    if hidden_categories:
        query = query.where(Entry.category.not_in(hidden_categories))
    return query.order_by(Document.filed_at, Document.id)


def history(session: Session, document_id: int) -> list[DocumentEvent]:
    return list(
        session.scalars(
            select(DocumentEvent).where(DocumentEvent.document_id == document_id).order_by(DocumentEvent.id)
        )
    )
