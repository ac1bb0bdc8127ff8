"""The search index: a tantivy index in a folder of the home, and queries over it.

The index holds, for each register entry with a filed document, its latest version that was not
returned: one `doc` record (all its pages and its register fields; what is matched, ranked,
counted, filtered and sorted) and one `page` record per page (to find its best pages, and their
text for snippets). Permissions are part of every query: `hidden` categories are excluded by the
engine, so they reach neither the results nor their count.

Folder layout: `<index_dir>/current` is a small file naming `gen-<n>/`, the index itself (a file,
not a symbolic link, so that a copied or restored home keeps it). A rebuild writes a new
generation and replaces that file atomically (a rename); searches open whichever generation it
names when they start. Each generation records the SCHEMA_VERSION it was made with; one made by
an older Scan Station is not opened (IndexOutdatedError) until `reindex` makes a new one, which
`worker` and `serve` do by themselves when they start.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from .errors import ScanStationError
from .search_query import Clause
from .search_query import Query as Parsed
from .search_text import is_dictionary_word, number_key, stem

WRITER_HEAP, LOCK_WAIT_SECONDS = 50_000_000, 30.0
SCHEMA_VERSION, VERSION_FILE = "2", "scan-station-schema"  # 2: fast category, unit_name (facets)
FACETS = {"category": "category", "unit": "unit_name", "year": "year"}  # facet -> fast field
MIN_FUZZY = 5  # letters; shorter words have too many neighbours at distance 1
_lock = threading.Lock()
_open: dict[Path, tuple[str, tantivy.Index]] = {}


class IndexUnavailableError(ScanStationError):
    """The index folder cannot be opened or written (locked too long, or damaged)."""


class IndexOutdatedError(IndexUnavailableError):
    """The index was made by an older Scan Station, with another schema."""


def schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    for name in ("kind", "register_id", "status"):
        b.add_text_field(name, stored=True, tokenizer_name="raw")
    b.add_text_field("category", stored=True, tokenizer_name="raw", fast=True)
    b.add_text_field("unit_name", tokenizer_name="raw", fast=True)  # the unit as written, for facets
    for name in ("doc_id", "page", "date", "year"):
        b.add_integer_field(name, stored=True, indexed=True, fast=True)
    for name in ("text", "stems", "meta", "meta_stems", "unit"):
        b.add_text_field(name)
    b.add_text_field("numbers", tokenizer_name="whitespace")
    b.add_text_field("number_key", tokenizer_name="raw")
    b.add_bytes_field("card", stored=True, indexed=False)  # JSON: what a result shows
    return b.build()


SCHEMA = schema()


def current(index_dir: Path) -> Path:
    """The generation the index folder's `current` file names; a new, empty one if none."""
    pointer = index_dir / "current"
    if not pointer.is_file():
        swap(index_dir, new_generation(index_dir))
    return index_dir / pointer.read_text(encoding="utf-8").strip()


def new_generation(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    n = 1 + max((int(p.name[4:]) for p in index_dir.glob("gen-*") if p.name[4:].isdigit()), default=0)
    folder = index_dir / f"gen-{n}"
    folder.mkdir()
    tantivy.Index(SCHEMA, path=str(folder), reuse=False)
    (folder / VERSION_FILE).write_text(SCHEMA_VERSION + "\n", encoding="utf-8")
    return folder


def outdated(index_dir: Path) -> bool:
    """Whether the generation in use was made with another schema (an older Scan Station)."""
    pointer = index_dir / "current"
    if not pointer.is_file():
        return False
    marker = index_dir / pointer.read_text(encoding="utf-8").strip() / VERSION_FILE
    try:
        return marker.read_text(encoding="utf-8").strip() != SCHEMA_VERSION
    except OSError:
        return True


def swap(index_dir: Path, generation: Path) -> None:
    """Point `current` at `generation`, atomically: a search sees the old index or the new one."""
    temporary = index_dir / f".current-{os.getpid()}"
    temporary.write_text(generation.name + "\n", encoding="utf-8")
    temporary.replace(index_dir / "current")


def open_index(index_dir: Path) -> tantivy.Index:
    """The current generation, opened once per process and reloaded to see others' commits."""
    folder = current(index_dir)
    if outdated(index_dir):
        raise IndexOutdatedError(f"the search index {folder} was made by an older Scan Station; "
                                 "run `scan-station reindex` (worker and serve do it when they start)")
    with _lock:
        known = _open.get(index_dir)
        if known is None or known[0] != folder.name:
            try:
                _open[index_dir] = known = (folder.name, tantivy.Index.open(str(folder)))
            except ValueError as exc:
                raise IndexUnavailableError(f"search index {folder}: {exc}") from None
        index = known[1]
    index.reload()
    return index


def writer(index: tantivy.Index):
    """The index's writer, waiting while another process holds it (filing, a rebuild)."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as exc:
            if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                raise IndexUnavailableError(f"the search index cannot be written: {exc}") from None
            time.sleep(0.05)


def records(entry: dict, document: dict, pages: list[str], meta: str) -> list[tantivy.Document]:
    """The index's records for one document: `doc`, then one `page` per page.
    `entry`: id, category, unit, number, created (ISO date or ""); `document`: id, version,
    status, page_count, filed (ISO date)."""
    from .search_text import number_keys, stems

    date = (entry["created"] or document["filed"])[:10]
    common = {"register_id": entry["id"], "doc_id": document["id"], "category": entry["category"],
              "status": document["status"], "date": int(date.replace("-", "") or 0), "year": int(date[:4] or 0)}
    page_stems = [stems(p) for p in pages]
    page_numbers = [number_keys(p) for p in pages]
    card = {"register_id": entry["id"], "version": document["version"], "title": entry.get("title", ""),
            "unit": entry["unit"], "number": entry["number"], "category": entry["category"], "date": date,
            "status": document["status"], "page_count": document["page_count"], "document_id": document["id"],
            "path": document["path"]}
    doc = tantivy.Document(kind="doc", page=0, text="\n".join(pages), stems=" ".join(page_stems), meta=meta,
                           meta_stems=stems(meta), unit=entry["unit"], unit_name=entry["unit"],
                           number_key=[number_key(entry["number"]), number_key(entry["id"])],
                           numbers=" ".join(page_numbers + [number_keys(meta)]),
                           card=json.dumps(card).encode(), **common)
    out = [doc]
    for n, (page_text, page_stem, numbers) in enumerate(zip(pages, page_stems, page_numbers, strict=True), 1):
        out.append(tantivy.Document(kind="page", page=n, text=page_text, stems=page_stem, numbers=numbers,
                                    card=page_text.encode(), **common))
    return out


def _term(field: str, value) -> Query:
    return Query.term_query(SCHEMA, field, value)


def _any(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, q) for q in queries])


def _phrase(field: str, words: tuple[str, ...]) -> Query:
    return _term(field, words[0]) if len(words) == 1 else Query.phrase_query(SCHEMA, field, list(words))


def clause_query(clause: Clause) -> Query:
    """One clause over the text and the register fields: as typed, by stem, and (for words that
    are not in the dictionary, such as names) one character off, at a fraction of the weight."""
    if clause.kind == "phrase":
        return _any([_phrase("text", clause.words), Query.boost_query(_phrase("meta", clause.words), 2.0)])
    word = clause.words[0]
    if clause.kind == "prefix":
        pattern = re.escape(word) + ".*"
        return _any([Query.regex_query(SCHEMA, f, pattern) for f in ("text", "meta", "stems")])
    if clause.kind == "number":
        key = number_key(clause.raw)
        return _any([Query.boost_query(_term("numbers", key), 3.0), _term("number_key", key),
                     _phrase("text", clause.words), _phrase("meta", clause.words)])
    s = stem(word)
    alternatives = [_term("text", word), Query.boost_query(_term("meta", word), 2.0),
                    Query.boost_query(_term("stems", s), 0.5), Query.boost_query(_term("meta_stems", s), 0.5)]
    if len(word) >= MIN_FUZZY and word.isalpha() and not is_dictionary_word(word):
        alternatives += [Query.boost_query(Query.fuzzy_term_query(SCHEMA, f, word, 1), 0.2) for f in ("text", "meta")]
    return _any(alternatives)


def filter_queries(filters: dict[str, str]) -> list[Query] | None:
    """The engine's form of `unit:`, `kategori:`, `tahun:`, `nomor:`, `status:`; None when a
    filter's value cannot match anything (e.g. `tahun:abc`)."""
    from .search_query import STATUS_WORDS
    from .search_text import tokens

    out = []
    for name, value in filters.items():
        if name == "unit":
            words = tuple(tokens(value))
            if words:
                out.append(_phrase("unit", words))
        elif name == "category":
            out.append(_term("category", value.lower()))
        elif name == "status":
            out.append(_term("status", STATUS_WORDS.get(value.lower(), value.lower())))
        elif name == "year":
            if not (value.isascii() and value.isdigit() and len(value) == 4):
                return None
            out.append(_term("year", int(value)))
        elif name == "number":
            key = number_key(value)
            if not key:
                return None
            out.append(Query.regex_query(SCHEMA, "number_key", re.escape(key) + ".*"))
    return out


class Compiled:
    """A parsed query in the engine's form, each clause built once (a prefix or fuzzy clause is
    an automaton: costly to build) for the documents and then for their pages."""

    def __init__(self, parsed: Parsed, hidden: tuple[str, ...]):
        self.parsed, self.hidden = parsed, hidden
        self.groups = [[clause_query(c) for c in group] for group in parsed.groups]
        self.positive = [q for group in self.groups for q in group]

    def documents(self) -> Query | None:
        """The query for matching documents (`doc` records), or None when nothing can match."""
        filters = filter_queries(self.parsed.filters)
        if filters is None or self.parsed.empty():
            return None
        must = [_term("kind", "doc"), *filters, *(_any(g) for g in self.groups)]
        if not self.groups:
            must.append(Query.all_query())
        not_ = [clause_query(c) for c in self.parsed.excluded] + [_term("category", h) for h in self.hidden]
        return Query.boolean_query([(Occur.Must, q) for q in must] + [(Occur.MustNot, q) for q in not_])

    def pages(self, doc_ids: list[int]) -> Query:
        """The pages of these documents that hold any of the query's words (their best pages)."""
        return Query.boolean_query([(Occur.Must, _term("kind", "page")),
                                    (Occur.Must, Query.term_set_query(SCHEMA, "doc_id", doc_ids)),
                                    (Occur.Must, _any(self.positive or [Query.all_query()]))])


def first_pages_query(doc_ids: list[int]) -> Query:
    return Query.boolean_query([(Occur.Must, _term("kind", "page")),
                                (Occur.Must, Query.term_set_query(SCHEMA, "doc_id", doc_ids)),
                                (Occur.Must, _term("page", 1))])


def facets(searcher, query: Query) -> dict[str, list[tuple[str, int]]]:
    """For each facet (category, unit, year), its values among the documents `query` matches
    and how many each, most first: what the query lets through, and nothing else."""
    spec = {name: {"terms": {"field": field, "size": 50}} for name, field in FACETS.items()}
    found = searcher.aggregate(query, spec)
    return {name: [(str(b["key"]), int(b["doc_count"])) for b in found.get(name, {}).get("buckets", [])]
            for name in FACETS}


def kind_query(kind: str) -> Query:
    return _term("kind", kind)
