"""Full-text search over the OCR text of filed pages and the register fields of their entries.

SQLite FTS5 holds one row per filed page: the OCR engine's own text, the register fields
(`meta`), and the Indonesian stems of both (Sastrawi), so that a query for "dokumentasi" also
finds "pendokumentasian". Results are ordered by FTS5's bm25 rank.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import Document, Entry
from .errors import ScanStationError

WORD = re.compile(r"\w+", re.UNICODE)


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


def _require_fts(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        raise ScanStationError(
            "full-text search is implemented for SQLite (FTS5) only so far; "
            "use the embedded database for search"
        )


def index_document(session: Session, document: Document, entry: Entry, texts: list[str]) -> None:
    _require_fts(session)
    meta = entry_meta(entry)
    meta_stems = stems(meta)
    for page, page_text in enumerate(texts, start=1):
        session.execute(
            text("INSERT INTO page_fts (text, meta, stems, document_id, page) "
                 "VALUES (:text, :meta, :stems, :doc, :page)"),
            {"text": page_text, "meta": meta, "stems": f"{stems(page_text)} {meta_stems}",
             "doc": document.id, "page": page},
        )


def reindex_entry(session: Session, entry: Entry) -> None:
    """Refresh the register fields of every indexed page of an entry after it was edited."""
    for document in entry.documents:
        session.execute(text("DELETE FROM page_fts WHERE document_id = :doc"), {"doc": document.id})
        index_document(session, document, entry, [p.text for p in document.pages])


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
    words = WORD.findall(query.lower())
    if not words:
        return None
    parts = []
    for word in words:
        stem = stems(word) or word
        parts.append(f'("{word}" OR stems : "{stem}")')
    return " AND ".join(parts)


def search(
    session: Session, query: str, *, limit: int = 20, mark: tuple[str, str] = ("[", "]"),
    unit: str = "", category: str = "", year: str = "", status: str = "", hidden_categories: tuple[str, ...] = (),
) -> list[Hit]:
    """Hits for `query`, optionally only of one unit, category, year made, or document status;
    `hidden_categories` are left out entirely (e.g. "dikecualikan" for roles that may not see it)."""
    _require_fts(session)
    expression = fts_query(query)
    if expression is None:
        return []
    where, params = ["page_fts MATCH :q"], {"q": expression, "open": mark[0], "close": mark[1], "limit": limit}
    for column, value in (("e.unit", unit), ("e.category", category), ("d.status", status)):
        if value:
            where.append(f"{column} = :{column[2:]}")
            params[column[2:]] = value
    if year:
        where.append("strftime('%Y', e.created_date) = :year")
        params["year"] = year
    for n, hidden in enumerate(hidden_categories):
        where.append(f"e.category != :hidden{n}")
        params[f"hidden{n}"] = hidden
    rows = session.execute(
        text(
            "SELECT d.id, d.register_id, d.version, f.page, e.title, d.path, "
            "snippet(page_fts, 0, :open, :close, '…', 14) AS in_text, "
            "snippet(page_fts, 1, :open, :close, '…', 14) AS in_meta "
            "FROM page_fts f JOIN document d ON d.id = f.document_id "
            "JOIN entry e ON e.id = d.register_id "
            f"WHERE {' AND '.join(where)} ORDER BY bm25(page_fts, 1.0, 2.0, 0.5) LIMIT :limit"
        ),
        params,
    )
    hits = []
    for document_id, register_id, version, page, title, path, in_text, in_meta in rows:
        snippet = in_text if mark[0] in in_text or mark[0] not in in_meta else in_meta
        hits.append(Hit(register_id, version, int(page), title, " ".join(snippet.split()), path, document_id))
    return hits
