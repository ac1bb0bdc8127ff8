"""`scan-station rebuild`: the database's record of what is filed, made again from storage alone.

Storage describes itself (see `storage`): each batch manifest (`batch.json`, `batch-N.json` for a
batch filed again) gives the batch, its held groups and blank pages; each sidecar the document,
its register entry as filed, its pages' text, its id and who submitted it; each decision file
(`<id>_vN.event-K.json`) a handover decision. From these come register entries that have
documents, batches, held pages, documents and their versions, handover history, the search
index and the register's id sequence. Not in storage, so not rebuilt: entries without a filed
document, register edits made after an entry's last filing, users, scan profiles, cover sheet
prints, copies handed out and berita acara records (their PDFs stay in storage).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from .. import search
from ..core import safe_files, storage, stored_shapes
from ..core.config import Settings
from ..core.errors import BadArgumentsError
from ..core.model import BatchOutcome, DocumentStatus, PageCheck
from ..core.sidecar import Sidecar, SidecarBatch
from ..db.database import Batch, Database, Document, DocumentEvent, DocumentPage, Entry, HeldPages, IdSequence
from ..register import FIELD_NAMES

EVENT = re.compile(r"\.event-(\d+)\.json$")


@dataclass
class Found:
    """What storage holds, read: manifests per raw batch folder, sidecars, decisions per sidecar."""

    manifests: dict[str, dict[str, tuple[dict, str]]] = field(default_factory=dict)  # raw_dir -> name -> (data, sha)
    sidecars: list[tuple[str, Sidecar, str]] = field(default_factory=list)  # (path, sidecar, sha)
    events: dict[str, list[tuple[int, str, dict, str]]] = field(default_factory=dict)  # sidecar path -> [...]
    unreadable: list[str] = field(default_factory=list)


def read_storage(root: Path) -> Found:
    """Every sidecar, decision file and batch manifest under `root`, each checked against its shape
    (`stored_shapes`). Nothing is followed or opened that is not a regular file: a link, a named
    pipe, a device, a file that is not JSON or not of its shape is listed under `unreadable`, with
    the reason, and left out."""
    found = Found()
    items = {str(item.rel): item for item in safe_files.walk(root)}
    for path, item in sorted(items.items()):
        rel = item.rel
        if rel.name.startswith(storage.TMP_PREFIX):
            continue
        if not item.usable:
            found.unreadable.append(f"{safe_files.shown(path)}: {item.problem}")
        elif rel.suffix == ".json" and rel.parts[0] != "berita-acara":
            problem = _read_one(root, rel, found, items)
            if problem:
                found.unreadable.append(f"{safe_files.shown(path)}: {problem}")
    return found


def _read_one(root: Path, rel: Path, found: Found, items: dict[str, safe_files.Item]) -> str:
    """Read one JSON file of storage into `found`; why it cannot be read, or ''."""
    try:
        raw = safe_files.read_bytes(root / rel, limit=stored_shapes.MAX_JSON_BYTES)
        data = json.loads(raw)
    except OSError as exc:
        return f"not readable ({safe_files.reason(exc)})"
    except (ValueError, RecursionError) as exc:
        return f"not JSON ({str(exc)[:120]})"
    sha = hashlib.sha256(raw).hexdigest()
    match = EVENT.search(rel.name)
    if rel.parts[0] == "batches" and isinstance(data, dict) and "batch" in data:
        what, problem = "batch manifest", stored_shapes.problem(data, stored_shapes.MANIFEST)
    elif match:
        what, problem = "handover decision", stored_shapes.problem(data, stored_shapes.DECISION)
    elif isinstance(data, dict) and {"register_id", "version", "sha256", "pages", "batch"} <= set(data):
        what, problem = "sidecar", stored_shapes.problem(data, stored_shapes.SIDECAR)
        pdf = None if problem else items.get(str(rel.with_name(data["file"])))
        if pdf is not None and not pdf.usable:
            problem = f"its PDF is {pdf.problem}"
    else:
        return "not a sidecar, a handover decision or a batch manifest"
    if problem:
        return f"a {what} whose {problem}"
    if what == "batch manifest":
        found.manifests.setdefault(str(rel.parent), {})[rel.name] = (data, sha)
    elif what == "handover decision":
        assert match is not None  # a handover decision is a file whose name matched EVENT
        sidecar = str(rel.with_name(rel.name[:match.start()] + ".json"))
        found.events.setdefault(sidecar, []).append((int(match.group(1)), str(rel), data, sha))
    else:
        found.sidecars.append((str(rel), Sidecar.from_json(data), sha))
    return ""


def is_empty(session: Session) -> bool:
    return all(session.scalar(select(func.count()).select_from(table)) == 0 for table in (Entry, Document, Batch))


def rebuild(settings: Settings, db: Database, *, force: bool = False) -> dict:
    """Record in the database what storage holds. Over a database that records filings already only
    with `force`: then storage wins for everything it records, and the rest is left as it is."""
    from .verify import verify

    found = read_storage(settings.storage_dir)
    with db.session() as session:
        if not force and not is_empty(session):
            raise BadArgumentsError("the database is not empty; rebuild into a new database_url, or give --force "
                                    "to replace what it says about filed documents by what storage says")
        entries, batches, documents = record(session, settings, found, keep_ids=True)
    return {"entries": len(entries), "documents": documents, "batches": len(batches),
            "events": sum(len(v) for v in found.events.values()), "unreadable": found.unreadable,
            "verify": verify(db, settings)}


def record(session: Session, settings: Settings, found: Found, *, keep_ids: bool,
           entries: dict[str, dict] | None = None) -> tuple[list[str], dict, int]:
    """Record what `found` holds: its entries, batches and documents (with their history, pages and
    search index). A document already recorded under its register id and version keeps its row;
    a new one takes the id its sidecar names with `keep_ids` (rebuild), else the next free one.
    `entries` (id -> fields, as `register.clean_fields` gives them), when given, are the entries
    written instead of each as its newest sidecar recorded it; any other is left as it is."""
    written = _entries(session, found) if entries is None else _new_entries(session, entries)
    batches = _batches(session, found)
    documents = _documents(session, found, batches, keep_ids=keep_ids)
    session.flush()
    session.expire_all()
    for entry_id in sorted(set(written) | {sidecar.register_id for _path, sidecar, _sha in found.sidecars}):
        entry = session.get(Entry, entry_id)
        assert entry is not None  # written just above, or a flushed document's (its register_id is a foreign key)
        search.reindex_entry(session, entry)
    _sequences(session, settings, written)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('document', 'id'), "
                             "COALESCE((SELECT MAX(id) FROM document), 0) + 1, false)"))
    return written, batches, documents


def _new_entries(session: Session, entries: dict[str, dict]) -> list[str]:
    for entry_id, values in entries.items():
        session.add(Entry(**(values | {"id": entry_id})))
    session.flush()
    return sorted(entries)


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _head(manifests: dict[str, tuple[dict, str]]) -> str:
    """The newest manifest of a raw batch: the one no other names as its previous."""
    named = {(data.get("previous_manifest") or {}).get("name") for data, _sha in manifests.values()}
    heads = sorted(set(manifests) - named, key=lambda n: (len(n), n))
    return heads[-1] if heads else sorted(manifests, key=lambda n: (len(n), n))[-1]


def _batches(session: Session, found: Found) -> dict[str, Batch]:
    filed = {sidecar.batch.id for _path, sidecar, _sha in found.sidecars}
    batches = {}
    for raw_dir, manifests in sorted(found.manifests.items()):
        name = _head(manifests)
        data, sha = manifests[name]
        status, error = _batch_status(data, data["batch"] in filed)
        batch = session.merge(Batch(
            id=data["batch"], received_at=_when(data.get("received_at")), source_name=Path(data.get("source", "")).name,
            raw_dir=raw_dir, manifest_name=name, manifest_sha256=sha, page_count=len(data.get("pages", [])),
            status=status, error=error, blank_pages=data.get("blank_pages", []),
            submitted_by=data.get("submitted_by", "")))
        session.execute(delete(HeldPages).where(HeldPages.batch_id == batch.id))
        for group in data.get("held", []):
            session.add(HeldPages(batch_id=batch.id, batch_pages=group["batch_pages"], cover_page=group["cover_page"],
                                  register_id=group["register_id"], reason=group["reason"]))
        batches[batch.id] = batch
    return batches


def _batch_status(manifest: dict, has_documents: bool) -> tuple[str, str]:
    """Filed, when any of its documents is in storage or every page is held, blank or removed;
    cancelled, as its manifest says (`cancel`)."""
    if manifest.get("cancelled") is True:
        return BatchOutcome.CANCELLED, ""
    if has_documents:
        return BatchOutcome.FILED, ""
    accounted = set(manifest.get("blank_pages", [])) | set(manifest.get("removed_pages", []))
    accounted |= {p for g in manifest.get("held", []) for p in g["batch_pages"]}
    pages = {p["page"] for p in manifest.get("pages", [])}
    if "held" in manifest and pages <= accounted:
        return BatchOutcome.FILED, ""
    return BatchOutcome.FAILED, "rebuilt from storage: none of its documents is in storage; file the batch again"


def _documents(session: Session, found: Found, batches: dict[str, Batch], *, keep_ids: bool) -> int:
    known = {(d.register_id, d.version): d.id for d in session.scalars(select(Document))}
    named = {sidecar.document_id for _p, sidecar, _s in found.sidecars} if keep_ids else set()
    next_id = max((i for i in set(known.values()) | named if isinstance(i, int)), default=0) + 1
    for path, sidecar, sha in sorted(found.sidecars, key=lambda s: (s[1].filed_at, s[0])):
        key = (sidecar.register_id, sidecar.version)
        doc_id = (sidecar.document_id or known.get(key)) if keep_ids else known.get(key)
        if doc_id is None:
            doc_id, next_id = next_id, next_id + 1
        _ensure_batch(session, batches, sidecar.batch)
        events = sorted(found.events.get(path, []))
        status = events[-1][2].get("status", events[-1][2]["action"]) if events else DocumentStatus.SUBMITTED
        session.merge(Document(
            id=doc_id, register_id=key[0], version=key[1], batch_id=sidecar.batch.id,
            batch_pages=sidecar.batch.batch_pages, page_count=sidecar.page_count,
            path=str(Path(path).with_name(sidecar.file)), sha256=sidecar.sha256, sidecar_path=path,
            sidecar_sha256=sha, status=status, filed_at=_when(sidecar.filed_at), origin=sidecar.origin,
            pages_to_check=_pages_to_check(sidecar)))
        session.flush()
        session.execute(delete(DocumentEvent).where(DocumentEvent.document_id == doc_id))
        session.execute(delete(DocumentPage).where(DocumentPage.document_id == doc_id))
        submitter = sidecar.submitted_by or batches[sidecar.batch.id].submitted_by or "-"
        session.add(DocumentEvent(document_id=doc_id, action=DocumentStatus.SUBMITTED, actor=submitter,
                                  at=_when(sidecar.filed_at)))
        for _n, event_path, event, event_sha in events:
            session.add(DocumentEvent(document_id=doc_id, action=event["action"], actor=event["actor"],
                                      reason=event.get("reason", ""), at=_when(event["at"]), path=event_path,
                                      sha256=event_sha))
        for page in sidecar.pages:
            session.add(DocumentPage(document_id=doc_id, page=page.page, batch_page=page.batch_page, text=page.text))
    return len(found.sidecars)


def _pages_to_check(sidecar: Sidecar) -> list | None:
    """The sidecar's pages to check, as filing recorded them; None when it has none (filed before
    pages were checked) or they are not what filing writes."""
    try:
        # None raises TypeError, caught below: a sidecar without pages to check
        return [PageCheck.from_dict(c).as_dict() for c in cast(list[dict], sidecar.pages_to_check)]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _ensure_batch(session: Session, batches: dict[str, Batch], named: SidecarBatch) -> None:
    """A document whose batch manifest is missing still gets its batch (the one recorded already,
    else one that `verify` then reports)."""
    if named.id not in batches and (here := session.get(Batch, named.id)) is not None:
        batches[named.id] = here
    elif named.id not in batches:
        batches[named.id] = session.merge(Batch(
            id=named.id, source_name="", raw_dir=named.raw_dir or "", manifest_sha256="",
            page_count=0, status=BatchOutcome.FILED, error="rebuilt from storage: its manifest is missing"))
        session.flush()


def _entries(session: Session, found: Found) -> list[str]:
    """Each entry as its newest filing recorded it."""
    newest: dict[str, Sidecar] = {}
    for _path, sidecar, _sha in found.sidecars:
        current = newest.get(sidecar.register_id)
        if current is None or sidecar.version > current.version:
            newest[sidecar.register_id] = sidecar
    for entry_id, sidecar in newest.items():
        fields = {name: value for name in FIELD_NAMES if (value := sidecar.register.get(name)) is not None}
        if fields.get("created_date"):
            fields["created_date"] = dt.date.fromisoformat(fields["created_date"])
        times = {name: _when(value) for name in ("registered_at", "updated_at") if (value := getattr(sidecar, name))}
        session.merge(Entry(**(fields | times | {"id": entry_id})))
    session.flush()
    return sorted(newest)


def _sequences(session: Session, settings: Settings, entries: list[str]) -> None:
    """The register's per-year sequence past every rebuilt id the configured pattern made."""
    pattern = re.escape(settings.id_pattern.upper())
    pattern = re.sub(r"\\\{YEAR[^}]*\\\}", r"(?P<year>\\d{4})", pattern)
    pattern = re.sub(r"\\\{SEQ[^}]*\\\}", r"(?P<seq>\\d+)", pattern)
    made = re.compile(f"^{pattern}$")
    for entry_id in entries:
        match = made.match(entry_id)
        if not match or "year" not in match.groupdict() or "seq" not in match.groupdict():
            continue
        year, seq = int(match["year"]), int(match["seq"])
        row = session.get(IdSequence, year) or IdSequence(year=year, last=0)
        row.last = max(row.last or 0, seq)
        session.add(row)
