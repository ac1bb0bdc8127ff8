"""Rebuilding the search index from storage (`scan-station reindex`), and checking it (`verify`).

A rebuild writes a new generation of the index beside the one in use, from the page texts in
the sidecars that filing stored, and swaps it in atomically: searches go on answering from the
old one meanwhile. What changed while it was built (documents filed, returned, entries edited)
is written into the new one after the swap.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from typing import cast

import tantivy
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import search
from ..core import safe_files, stored_shapes
from ..core.config import Settings
from ..core.errors import ScanStationError
from ..core.sidecar import Sidecar
from ..db.database import Database, Document, DocumentEvent, Entry, utcnow
from . import engine as search_engine

BATCH = 500  # entries per commit of a rebuild
log = logging.getLogger(__name__)


def _sidecar_texts(settings: Settings, document: Document) -> list[str] | None:
    """The page texts of the document's sidecar, read as `rebuild` reads one (no link followed, its
    shape checked first); None when it cannot be, and the database's copy is indexed instead."""
    try:
        path = settings.storage_dir / document.sidecar_path
        data = json.loads(safe_files.read_bytes(path, limit=stored_shapes.MAX_JSON_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or stored_shapes.problem(data, stored_shapes.SIDECAR):
        return None
    return [page.text for page in Sidecar.from_json(data).pages]


def reindex(settings: Settings, db: Database) -> dict:
    started, clock = utcnow(), time.monotonic()
    folder = settings.index_dir
    generation = search_engine.new_generation(folder)
    index = tantivy.Index.open(str(generation))
    problems, entries, pages = [], 0, 0
    with db.session() as session:
        ids = list(session.scalars(select(Document.register_id).distinct().order_by(Document.register_id)))
        for start in range(0, len(ids), BATCH):
            payload = []
            for register_id in ids[start:start + BATCH]:
                document = search.searchable_version(
                    list(session.scalars(select(Document).where(Document.register_id == register_id))))
                texts = _sidecar_texts(settings, document) if document else None
                if document and texts is None:
                    problems.append({"kind": "sidecar", "path": document.sidecar_path,
                                     "note": "unreadable: indexed from the database's copy of the text"})
                payload.append(search.entry_records(session, register_id, texts))
                entries += bool(payload[-1][1])
                pages += max(0, len(payload[-1][1]) - 1)
            search.write(generation, payload, index=index)
            session.expunge_all()
    search_engine.swap(folder, generation)
    _catch_up(db, folder, started)
    for old in folder.glob("gen-*"):
        if old != generation and old.name != generation.name:
            shutil.rmtree(old, ignore_errors=True)
    seconds = time.monotonic() - clock
    return {"entries": entries, "pages": pages, "seconds": round(seconds, 2),
            "pages_per_second": round(pages / seconds) if seconds else 0,
            "index": settings.display_path(generation), "problems": problems}


def ensure_current(settings: Settings, db: Database) -> dict | None:
    """Rebuild the index when the one in use was made by an older Scan Station (another schema),
    then write again what an index write that failed or never happened left marked; what
    `reindex` says, or None when it was not needed. `worker` and `serve` call it on start."""
    rebuilt = None
    if search_engine.outdated(settings.index_dir):
        log.warning("the search index was made by an older Scan Station: rebuilding it from storage")
        rebuilt = reindex(settings, db)
    write_pending(db)
    return rebuilt


def write_pending(db: Database) -> int:
    """Write again the entries still marked for the index (`search.write_pending`); a failure is
    logged and left for the next try."""
    try:
        with db.session() as session:
            written = search.write_pending(session)
    except (ScanStationError, SQLAlchemyError, OSError) as exc:
        log.warning("search index: entries still to be written were not written (%s)", exc)
        return 0
    if written:
        log.info("search index: %d entries written again", written)
    return written


def _catch_up(db: Database, folder, since) -> None:
    """Write again what changed while the new generation was being built."""
    with db.session() as session:
        changed = set(session.scalars(select(Entry.id).where(Entry.updated_at >= since)))
        changed |= set(session.scalars(select(Document.register_id).where(Document.filed_at >= since)))
        changed |= set(session.scalars(select(Document.register_id).join(DocumentEvent)
                                       .where(DocumentEvent.at >= since)))
        if changed:
            search.write(folder, [search.entry_records(session, rid) for rid in sorted(changed)])


def check(settings: Settings, db: Database) -> list[dict]:
    """Where the index and the database disagree: entries missing from the index or shown
    there with another version, status or category, records of entries that should not be
    there, and the number of pages."""
    if search_engine.outdated(settings.index_dir):
        return [_problem("-", "the search index was made by an older Scan Station")]
    index = search_engine.open_index(settings.index_dir)
    searcher = index.searcher()
    docs = searcher.search(search_engine.kind_query("doc"), max(1, searcher.num_docs), count=False).hits
    indexed = {}
    for _score, address in docs:
        card = json.loads(cast(bytes, searcher.doc(address).get_first("card")))  # every record stores its card
        indexed[card["register_id"]] = card
    problems, expected_pages = [], 0
    with db.session() as session:
        for entry in session.scalars(select(Entry).where(Entry.documents.any())):
            document = search.searchable_version(list(entry.documents))
            card = indexed.pop(entry.id, None)
            if document is None:
                if card:
                    problems.append(_problem(entry.id, "in the search index, but has no version to show"))
                continue
            expected_pages += document.page_count
            shown = card and (card["document_id"], card["status"], card["category"], card["title"])
            if shown != (document.id, document.status, entry.category, entry.title):
                problems.append(_problem(entry.id, "missing from the search index" if card is None else
                                         f"the search index shows v{card['version']} {card['status']}, "
                                         f"storage v{document.version} {document.status}"))
    problems += [_problem(rid, "in the search index, not in the register") for rid in sorted(indexed)]
    # tantivy's stub leaves out SearchResult.count (there when searched with count=True)
    in_index = searcher.search(search_engine.kind_query("page"), 1, count=True).count  # type: ignore[attr-defined]
    if not problems and in_index != expected_pages:
        problems.append(_problem("-", f"the search index has {in_index} pages, storage {expected_pages}"))
    return problems


def _problem(register_id: str, note: str) -> dict:
    return {"kind": "index", "path": register_id, "note": note + "; run `scan-station reindex`"}
