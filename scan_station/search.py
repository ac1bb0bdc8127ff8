"""Full-text search over the OCR text of filed pages and the register fields of their entries.

One row per filed page holds the OCR engine's own text, the register fields (`meta`), and the
Indonesian stems of both (Sastrawi), so that a query for "dokumentasi" also finds
"pendokumentasian". Every word of a query must match, as written or by its stem.

- SQLite (embedded default): an FTS5 table `page_fts`, ranked by bm25, snippets by `snippet()`.
- PostgreSQL: a table `page_search` with a generated `tsvector` (GIN index), ranked by
  `ts_rank`, snippets by `ts_headline` (migration 0006).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from .db import Document, Entry
from .errors import BadArgumentsError, ScanStationError

WORD = re.compile(r"\w+", re.UNICODE)
#: Bounds on one query, so that no search can hold the machine: characters read, words used, and
#: the seconds the database may spend on it.
MAX_QUERY_CHARS, MAX_QUERY_WORDS, MAX_SECONDS = 300, 12, 3.0


class SearchTooBroadError(BadArgumentsError):
    """A query that would take the database too long."""


def query_words(query: str) -> list[str]:
    """The words of a query, each once, in order, within the bounds above."""
    words = WORD.findall(query[:MAX_QUERY_CHARS].lower())
    return list(dict.fromkeys(w[:64] for w in words))[:MAX_QUERY_WORDS]


@functools.cache
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


def stems(value: str) -> str:
    words = WORD.findall(value.lower())
    stem = _stemmer().stem
    return " ".join(stem(w) if w.isalpha() else w for w in words)


def entry_meta(entry: Entry) -> str:
    fields = (entry.id, entry.title, entry.summary, entry.unit, entry.responsible, entry.number,
              entry.classification, entry.category, entry.place)
    return " · ".join(f for f in fields if f)


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise ScanStationError(f"full-text search is implemented for SQLite and PostgreSQL, not {name}")
    return name


def _table(session: Session) -> str:
    return {"sqlite": "page_fts", "postgresql": "page_search"}[_dialect(session)]


def index_document(session: Session, document: Document, entry: Entry, texts: list[str]) -> None:
    table = _table(session)
    meta = entry_meta(entry)
    meta_stems = stems(meta)
    for page, page_text in enumerate(texts, start=1):
        session.execute(
            text(f"INSERT INTO {table} (text, meta, stems, document_id, page) "
                 "VALUES (:text, :meta, :stems, :doc, :page)"),
            {"text": page_text, "meta": meta, "stems": f"{stems(page_text)} {meta_stems}",
             "doc": document.id, "page": page},
        )


def reindex_entry(session: Session, entry: Entry) -> None:
    """Refresh the register fields of every indexed page of an entry after it was edited."""
    for document in entry.documents:
        session.execute(text(f"DELETE FROM {_table(session)} WHERE document_id = :doc"), {"doc": document.id})
        index_document(session, document, entry, [p.text for p in document.pages])


@contextmanager
def _time_limit(session: Session, seconds: float) -> Iterator[None]:
    """Stop a query that runs longer than `seconds` (SQLite: a progress handler interrupts it;
    PostgreSQL: the transaction's statement_timeout) and say so."""
    too_broad = SearchTooBroadError("the search takes too long; use fewer or rarer words, or a filter")
    if _dialect(session) == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
        try:
            yield
        except DBAPIError as exc:
            if "statement timeout" in str(exc.orig):
                raise too_broad from None
            raise
        return
    raw = session.connection().connection.dbapi_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    except OperationalError as exc:
        if "interrupted" in str(exc.orig):
            raise too_broad from None
        raise
    finally:
        raw.set_progress_handler(None, 0)


@dataclass(frozen=True)
class Hit:
    register_id: str
    version: int
    page: int
    title: str
    snippet: str
    path: str  # relative to the storage folder
    document_id: int = 0


def fts_query(query: str) -> str | None:
    """An FTS5 expression: every word must match, as written or by its stem."""
    words = query_words(query)
    if not words:
        return None
    return " AND ".join(f'("{word}" OR stems : "{stems(word) or word}")' for word in words)


def ts_query(query: str) -> str | None:
    """The same for PostgreSQL's `to_tsquery('simple', ...)` (words are \\w+ only: nothing to escape)."""
    words = query_words(query)
    if not words:
        return None
    return " & ".join(f"({word} | {stems(word) or word})" for word in words)


#: The dialects' own SQL for the same search: match, snippets (text, meta), rank, year.
_SQL = {
    "sqlite": {
        "from": "page_fts f", "match": "page_fts MATCH :q",
        "in_text": "snippet(page_fts, 0, :open, :close, '…', 14)",
        "in_meta": "snippet(page_fts, 1, :open, :close, '…', 14)",
        "order": "bm25(page_fts, 1.0, 2.0, 0.5)", "year": "strftime('%Y', e.created_date) = :year",
    },
    "postgresql": {
        "from": "page_search f CROSS JOIN to_tsquery('simple', :q) AS query", "match": "f.tsv @@ query",
        "in_text": "ts_headline('simple', f.text, query, 'StartSel=\"' || :open || '\", StopSel=\"' || :close "
                   "|| '\", MaxWords=28, MinWords=10')",
        "in_meta": "ts_headline('simple', f.meta, query, 'StartSel=\"' || :open || '\", StopSel=\"' || :close || '\"')",
        "order": "ts_rank(f.tsv, query) DESC", "year": "CAST(EXTRACT(YEAR FROM e.created_date) AS TEXT) = :year",
    },
}


def search(
    session: Session, query: str, *, limit: int = 20, mark: tuple[str, str] = ("[", "]"),
    unit: str = "", category: str = "", year: str = "", status: str = "", hidden_categories: tuple[str, ...] = (),
) -> list[Hit]:
    """Hits for `query`, optionally only of one unit, category, year made, or document status;
    `hidden_categories` are left out entirely (e.g. "dikecualikan" for roles that may not see it)."""
    sql = _SQL[_dialect(session)]
    expression = fts_query(query) if _dialect(session) == "sqlite" else ts_query(query)
    if expression is None:
        return []
    where, params = [sql["match"]], {"q": expression, "open": mark[0], "close": mark[1], "limit": limit}
    for column, value in (("e.unit", unit), ("e.category", category), ("d.status", status)):
        if value:
            where.append(f"{column} = :{column[2:]}")
            params[column[2:]] = value
    if year:
        where.append(sql["year"])
        params["year"] = year
    for n, hidden in enumerate(hidden_categories):
        where.append(f"e.category != :hidden{n}")
        params[f"hidden{n}"] = hidden
    statement = text(
        f"SELECT d.id, d.register_id, d.version, f.page, e.title, d.path, {sql['in_text']} AS in_text, "
        f"{sql['in_meta']} AS in_meta FROM {sql['from']} JOIN document d ON d.id = f.document_id "
        "JOIN entry e ON e.id = d.register_id "
        f"WHERE {' AND '.join(where)} ORDER BY {sql['order']} LIMIT :limit"
    )
    with _time_limit(session, MAX_SECONDS):
        rows = session.execute(statement, params).all()
    hits = []
    for document_id, register_id, version, page, title, path, in_text, in_meta in rows:
        snippet = in_text if mark[0] in in_text or mark[0] not in in_meta else in_meta
        hits.append(Hit(register_id, version, int(page), title, " ".join(snippet.split()), path, document_id))
    return hits
