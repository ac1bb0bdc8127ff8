"""Full-text search over the OCR text of filed documents and the register fields of their entries.

One engine on every database: a tantivy index in `index_dir` (see `search_engine` for what it
holds, `search_query` for the query language). The database stays the truth: whatever changes
an entry's documents or fields calls `entry_changed` in its session, and once that session
commits, the entry's records in the index are rewritten from the database — its latest version
that was not returned, or nothing. The same transaction marks the entry (`SearchPending`) until
its records are written, so a write that fails or never happens is known: search hides such an
entry by id when the database puts it in a hidden category, and workers write it again.
`scan-station reindex` (`search_rebuild`) rebuilds the whole index from the sidecars in storage.

Results are documents, one per register entry, each with its best pages and their snippets.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import delete, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..core.errors import BadArgumentsError, ScanStationError
from ..core.model import DocumentStatus
from ..db.database import Document, DocumentPage, Entry, SearchPending, utcnow
from . import engine
from .query import MAX_QUERY_CHARS, MAX_QUERY_WORDS, parse, query_words
from .snippet import Marker

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_WORDS", "query_words", "find", "search", "entry_changed"]
log = logging.getLogger(__name__)
MAX_PAGE, BEST_PAGES = 500, 3
MAX_PAGE_HITS = 5_000  # pages read to choose the best pages of one results page


class SearchTooBroadError(BadArgumentsError):
    """A query that would take the engine too long (kept for callers; tantivy has not needed it)."""


def entry_meta(entry: Entry) -> str:
    fields = (entry.id, entry.title, entry.summary, entry.unit, entry.responsible, entry.number,
              entry.classification, entry.category, entry.place)
    return " · ".join(f for f in fields if f)


def index_dir(session: Session) -> Path:
    folder = session.info.get("index_dir")
    if folder is None:
        raise ScanStationError("this session has no search index (open it through Database)")
    return Path(folder)


# -- keeping the index in step with the database ---------------------------------------------


def entry_changed(session: Session, register_id: str) -> None:
    """The entry's documents or fields changed in this session: rewrite its records in the index
    once the session commits (nothing, if it rolls back)."""
    pending = session.info.setdefault("search_pending", set())
    pending.add(register_id)
    if not session.info.get("search_listening"):
        session.info["search_listening"] = True
        event.listen(session, "before_commit", _prepare)
        event.listen(session, "after_commit", _apply)
        event.listen(session, "after_rollback", _forget)


def index_document(session: Session, document: Document, entry: Entry, texts: list[str]) -> None:
    """A document was filed (its pages are in the session): it becomes searchable on commit."""
    entry_changed(session, entry.id)


def reindex_entry(session: Session, entry: Entry) -> None:
    """An entry's register fields were edited: its results follow on commit."""
    entry_changed(session, entry.id)


def _prepare(session: Session) -> None:
    pending = session.info.pop("search_pending", set())
    if pending:
        session.flush()
        session.info["search_payload"] = [entry_records(session, rid) for rid in sorted(pending)]
        session.info["search_marked"] = _mark(session, sorted(pending))


def _mark(session: Session, register_ids: list[str]) -> dt.datetime:
    """Record in this transaction that these entries' index records are to be rewritten (a
    concurrent mark of the same entry moves `since` on, so the earlier writer leaves it marked)."""
    now = utcnow()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SearchPending).values([{"register_id": r, "since": now} for r in register_ids])
    session.execute(statement.on_conflict_do_update(index_elements=["register_id"], set_={"since": now}))
    return now


def _apply(session: Session) -> None:
    payload = session.info.pop("search_payload", [])
    marked = session.info.pop("search_marked", None)
    if not payload:
        return
    ids = [rid for rid, _ in payload]
    try:
        write(index_dir(session), payload)
    except (ScanStationError, OSError, ValueError) as exc:  # the database is committed: say so, go on
        log.error("search index not updated for %s (%s); a worker writes it again (or run `scan-station "
                  "reindex`)", ", ".join(ids), exc)
        return
    try:  # the transaction is over: a statement of its own
        with cast(Engine, session.get_bind()).begin() as connection:  # a Database's sessions are bound to its engine
            connection.execute(delete(SearchPending).where(SearchPending.register_id.in_(ids),
                                                           SearchPending.since <= marked))
    except SQLAlchemyError as exc:  # still marked: written again later, which does no harm
        log.warning("search index written for %s, but not recorded (%s)", ", ".join(ids), exc)


def write_pending(session: Session) -> int:
    """Write again the index records of entries still marked (their write failed, or the process
    died before it); how many. Workers call it when they start and every quarter of an hour."""
    ids = list(session.scalars(select(SearchPending.register_id).order_by(SearchPending.register_id)))
    for register_id in ids:
        entry_changed(session, register_id)
    session.commit()
    return len(ids)


def _forget(session: Session) -> None:
    session.info.pop("search_pending", None)
    session.info.pop("search_payload", None)


def searchable_version(documents: list[Document]) -> Document | None:
    """What search shows of an entry: its latest version that was not returned."""
    kept = [d for d in documents if d.status != DocumentStatus.RETURNED]
    return max(kept, key=lambda d: d.version) if kept else None


def entry_records(session: Session, register_id: str, texts: list[str] | None = None) -> tuple[str, list]:
    """(register id, the index records of the entry): from the database, or with `texts` given
    (from a sidecar) for the pages."""
    entry = session.get(Entry, register_id)
    if entry is None:
        return register_id, []
    documents = list(session.scalars(select(Document).where(Document.register_id == register_id)))
    document = searchable_version(documents)
    if document is None:
        return register_id, []
    if texts is None:
        texts = list(session.scalars(select(DocumentPage.text).where(DocumentPage.document_id == document.id)
                                     .order_by(DocumentPage.page)))
    return register_id, engine.records(entry_fields(entry), document_fields(document), texts, entry_meta(entry))


def entry_fields(entry: Entry) -> dict:
    return {"id": entry.id, "title": entry.title, "unit": entry.unit, "number": entry.number,
            "category": entry.category, "created": entry.created_date.isoformat() if entry.created_date else ""}


def document_fields(document: Document) -> dict:
    return {"id": document.id, "version": document.version, "status": document.status, "path": document.path,
            "page_count": document.page_count, "filed": document.filed_at.isoformat()}


def write(folder: Path, payload: list[tuple[str, list]], index=None) -> None:
    """Replace the records of each entry in `payload` in one commit."""
    index = index or engine.open_index(folder)
    w = engine.writer(index)
    try:
        for register_id, records in payload:
            w.delete_documents_by_term("register_id", register_id)
            for record in records:
                w.add_document(record)
        w.commit()
    finally:
        w.wait_merging_threads()


# -- asking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageHit:
    page: int
    snippet: str


@dataclass(frozen=True)
class DocumentHit:
    register_id: str
    version: int
    document_id: int
    title: str
    unit: str
    number: str
    category: str
    date: str
    status: str
    page_count: int
    path: str  # relative to the storage folder
    pages: list[PageHit] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    total: int  # matching documents, all of them
    documents: list[DocumentHit]
    page: int = 1
    per_page: int = 20
    #: facet (category, unit, year) -> [(value, matching documents)], most first
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: word typed -> its other forms (the same stem) found on the pages shown
    other_forms: dict[str, list[str]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, -(-self.total // self.per_page))


def find(session: Session, query: str, *, page: int = 1, per_page: int = 20, sort: str = "relevance",
         mark: tuple[str, str] = ("[", "]"), filters: dict[str, str] | None = None,
         hidden_categories: tuple[str, ...] = (), with_facets: bool = False) -> Results:
    """Documents matching `query` (and the form's `filters`: unit, category, year, number,
    status), best first or newest first (`sort="date"`); never those of `hidden_categories`.
    `with_facets`: also count the matches by category, unit and year."""
    parsed = parse(query)
    for name, value in (filters or {}).items():
        if value:
            parsed.filters.setdefault(name, value)
    page = max(1, min(page, MAX_PAGE))
    compiled = engine.Compiled(parsed, hidden_categories, _hidden_pending(session, hidden_categories))
    if not compiled.can_match():
        return Results(0, [], page, per_page)
    searcher = engine.open_index(index_dir(session)).searcher()
    q = compiled.documents(searcher, ranked=sort != "date")
    offset = (page - 1) * per_page
    if sort == "date":
        found = searcher.search(q, per_page, count=True, order_by_field="date", offset=offset)
    else:
        found = searcher.search(q, per_page, count=True, offset=offset)
    # every record stores its card (`engine`)
    cards = [json.loads(cast(bytes, searcher.doc(address).get_first("card"))) for _key, address in found.hits]
    marker = Marker(compiled.parsed, mark)
    best = _best_pages(searcher, compiled, cards, marker)
    documents = [DocumentHit(**card, pages=best.get(card["document_id"], [])) for card in cards]
    # tantivy's stub leaves out SearchResult.count (there when searched with count=True)
    facets = engine.facets(searcher, q) if with_facets and found.count else {}  # type: ignore[attr-defined]
    return Results(found.count, documents, page, per_page, facets,  # type: ignore[attr-defined]
                   marker.other_forms())


#: Marked entries looked up one by one (by primary key) up to this many; beyond, by one join.
FEW_PENDING = 500


def _hidden_pending(session: Session, hidden: tuple[str, ...]) -> tuple[str, ...]:
    """Entries of a hidden category in the database whose index records may still say otherwise
    (still marked: the write after a change of category failed or never happened). The query
    excludes them by id as well: the database is the truth. Driven from the marks, which are
    few or none: a search does not pay for the size of the register."""
    if not hidden:
        return ()
    marked = list(session.scalars(select(SearchPending.register_id).limit(FEW_PENDING + 1)))
    if not marked:
        return ()
    if len(marked) <= FEW_PENDING:
        return tuple(session.scalars(select(Entry.id).where(Entry.id.in_(marked), Entry.category.in_(hidden))))
    return tuple(session.scalars(select(SearchPending.register_id).join(Entry, Entry.id == SearchPending.register_id)
                                 .where(Entry.category.in_(hidden))))


def _best_pages(searcher, compiled: engine.Compiled, cards: list[dict], marker: Marker) -> dict[int, list[PageHit]]:
    """Each document's best pages (at most BEST_PAGES), by one query over all their pages; the
    first page of a document matched by its register fields only."""
    if not cards:
        return {}
    ids = [card["document_id"] for card in cards]
    limit = min(sum(card["page_count"] for card in cards), MAX_PAGE_HITS)
    addresses = [a for _score, a in searcher.search(compiled.pages(searcher, ids), max(limit, 1), count=False).hits]
    chosen: dict[int, list] = {}
    for doc_id, address in zip(searcher.fast_field_values("doc_id", addresses), addresses, strict=True):
        kept = chosen.setdefault(doc_id, [])
        if len(kept) < BEST_PAGES:
            kept.append(address)
    missing = [i for i in ids if i not in chosen]
    if missing:
        first = [a for _score, a in searcher.search(engine.first_pages_query(missing), len(missing), count=False).hits]
        for doc_id, address in zip(searcher.fast_field_values("doc_id", first), first, strict=True):
            chosen[doc_id] = [address]
    chosen = {doc_id: [searcher.doc(a) for a in kept] for doc_id, kept in chosen.items()}
    records = [r for kept in chosen.values() for r in kept]
    snippets = marker.snippets([r.get_first("card").decode() for r in records])
    pages = {id(r): PageHit(r.get_first("page"), text) for r, text in zip(records, snippets, strict=True)}
    return {doc_id: [pages[id(r)] for r in kept] for doc_id, kept in chosen.items()}


@dataclass(frozen=True)
class Hit:
    """A document's best page, as `scan-station search` lists it."""

    register_id: str
    version: int
    page: int
    title: str
    snippet: str
    path: str  # relative to the storage folder
    document_id: int = 0


def search(session: Session, query: str, *, limit: int = 20, mark: tuple[str, str] = ("[", "]"),
           unit: str = "", category: str = "", year: str = "", status: str = "",
           hidden_categories: tuple[str, ...] = ()) -> list[Hit]:
    """The best page of each of the first `limit` matching documents."""
    filters = {"unit": unit, "category": category, "year": year, "status": status}
    results = find(session, query, per_page=limit, mark=mark, filters=filters, hidden_categories=hidden_categories)
    return [Hit(d.register_id, d.version, d.pages[0].page if d.pages else 1, d.title,
                d.pages[0].snippet if d.pages else "", d.path, d.document_id) for d in results.documents]
