"""The search index: a tantivy index in a folder of the home, and queries over it.

The index holds, for each register entry with a filed document, its latest version that was not
returned: one `doc` record (all its pages and its register fields; what is matched, ranked,
counted, filtered and sorted) and one `page` record per page (to find its best pages, and their
text for snippets). A page's words are in fields of its own (`page_text`, ...), so that the
postings a query for documents reads hold documents only, not five times as many pages.
Permissions are part of every query: `hidden` categories are excluded by the engine, so they
reach neither the results nor their count.

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
from dataclasses import dataclass
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from ..core.errors import ScanStationError
from .query import Clause
from .query import Query as Parsed
from .text import is_dictionary_word, number_key, stem

WRITER_HEAP, LOCK_WAIT_SECONDS = 50_000_000, 30.0
SCHEMA_VERSION, VERSION_FILE = "4", "scan-station-schema"  # 2: facets; 3: pages' fields; 4: more number keys
FACETS = {"category": "category", "unit": "unit_name", "year": "year"}  # facet -> fast field
MIN_FUZZY = 5  # letters; shorter words have too many neighbours at distance 1
MAX_PREFIX_TERMS = 100  # a prefix with more words in the index is an automaton, not terms
_lock = threading.Lock()
_open: dict[Path, list] = {}  # index folder -> [generation, index, its meta.json when reloaded]


class IndexUnavailableError(ScanStationError):
    """The index folder cannot be opened or written (locked too long, or damaged)."""


class IndexOutdatedError(IndexUnavailableError):
    """The index was made by an older Scan Station, with another schema."""


def schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    for name in ("kind", "register_id", "status"):
        b.add_text_field(name, tokenizer_name="raw")
    b.add_text_field("category", tokenizer_name="raw", fast=True)
    b.add_text_field("unit_name", tokenizer_name="raw", fast=True)  # the unit as written, for facets
    for name in ("doc_id", "page", "date", "year"):  # only `card` and `page` are read back: stored
        b.add_integer_field(name, stored=name == "page", indexed=True, fast=True)
    for name in ("text", "stems", "meta", "meta_stems", "unit", "page_text", "page_stems"):
        b.add_text_field(name)
    for name in ("numbers", "page_numbers"):
        b.add_text_field(name, tokenizer_name="whitespace")
    b.add_text_field("number_key", tokenizer_name="raw")
    b.add_bytes_field("card", stored=True, indexed=False)  # JSON: what a result shows
    return b.build()


SCHEMA = schema()


def current(index_dir: Path) -> Path:
    """The generation the index folder's `current` file names; a new, empty one if none."""
    pointer = index_dir / "current"
    try:
        return index_dir / pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
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
    return _other_schema(index_dir / pointer.read_text(encoding="utf-8").strip())


def _other_schema(generation: Path) -> bool:
    try:
        return (generation / VERSION_FILE).read_text(encoding="utf-8").strip() != SCHEMA_VERSION
    except OSError:
        return True


def swap(index_dir: Path, generation: Path) -> None:
    """Point `current` at `generation`, atomically: a search sees the old index or the new one."""
    temporary = index_dir / f".current-{os.getpid()}"
    temporary.write_text(generation.name + "\n", encoding="utf-8")
    temporary.replace(index_dir / "current")


def open_index(index_dir: Path) -> tantivy.Index:
    """The current generation, opened once per process and reloaded when another commit has
    changed it (its meta.json, which each commit replaces)."""
    folder = current(index_dir)
    if _other_schema(folder):
        raise IndexOutdatedError(f"the search index {folder} was made by an older Scan Station; "
                                 "run `scan-station reindex` (worker and serve do it when they start)")
    with _lock:
        known = _open.get(index_dir)
        if known is None or known[0] != folder.name:
            try:
                _open[index_dir] = known = [folder.name, tantivy.Index.open(str(folder)), None]
            except ValueError as exc:
                raise IndexUnavailableError(f"search index {folder}: {exc}") from None
        try:
            meta = (folder / "meta.json").stat()
            seen = (meta.st_ino, meta.st_mtime_ns, meta.st_size)
        except OSError:
            seen = None
        if seen is None or seen != known[2]:
            known[1].reload()
            known[2] = seen
        return known[1]


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
    from .text import number_keys, stems

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
        out.append(tantivy.Document(kind="page", page=n, page_text=page_text, page_stems=page_stem,
                                    page_numbers=numbers, card=page_text.encode(), **common))
    return out


def _term(field: str, value) -> Query:
    return Query.term_query(SCHEMA, field, value)


def _any(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, q) for q in queries])


def _phrase(field: str, words: tuple[str, ...], slop: int = 0) -> Query:
    return _term(field, words[0]) if len(words) == 1 else Query.phrase_query(SCHEMA, field, list(words), slop)


#: Words typed one after another without quotes count more where they stand together: as a phrase
#: with at most NEAR_SLOP other words between them, worth NEAR_BOOST (the register's fields twice).
NEAR_SLOP, NEAR_BOOST = 1, 3.0
#: ... and once more when they stand exactly as typed: "Puji Slamet Hartono" above a list of those
#: present that reads "Puji Hakim, Slamet Hartono".
EXACT_BOOST = 6.0


def nearness(parsed: Parsed, on: Fields) -> list[Query]:
    """For each run of plain words typed without quotes (a name, a title), the run as a loose
    phrase: scoring, not filtering, so that a document where they stand together ranks above one
    where they are scattered, as search engines do by default."""
    runs: list[list[str]] = [[]]
    for group in parsed.groups:
        (clause, *others) = group
        if not others and clause.kind == "word":
            runs[-1].append(clause.words[0])
        elif runs[-1]:
            runs.append([])
    found = []
    for run in (tuple(r) for r in runs if len(r) > 1):
        found.append(Query.boost_query(_phrase(on.text, run, NEAR_SLOP), NEAR_BOOST))
        found.append(Query.boost_query(_phrase(on.text, run, 0), EXACT_BOOST))
        if on.register:
            found.append(Query.boost_query(_phrase("meta", run, NEAR_SLOP), 2 * NEAR_BOOST))
    return found


@dataclass(frozen=True)
class Fields:
    """Where a clause looks: a document's record (its text and its register fields) or a page's."""

    text: str
    stems: str
    numbers: str
    register: bool  # the register fields too: meta, meta_stems, number_key


DOC, PAGE = Fields("text", "stems", "numbers", True), Fields("page_text", "page_stems", "page_numbers", False)


def _prefix(searcher, field: str, word: str) -> Query:
    """The words of `field` beginning with `word`, each scoring 1: the few the index holds as term
    queries (they skip to the documents asked about), very many as an automaton."""
    found = searcher.terms_with_prefix(field, word, limit=MAX_PREFIX_TERMS + 1)
    if len(found) > MAX_PREFIX_TERMS:
        return Query.regex_query(SCHEMA, field, re.escape(word) + ".*")
    return _one_of(field, [term for term, _count in found]) if found else Query.empty_query()


def clause_query(clause: Clause, searcher, on: Fields = DOC) -> Query:
    """One clause over the text (and a document's register fields): as typed, by stem, and (for
    words that are not in the dictionary, such as names) one character off, at a fraction of the
    weight. `searcher`: the index whose words a prefix stands for."""
    boost, words = Query.boost_query, clause.words
    if clause.kind == "phrase":
        text, register = [_phrase(on.text, words)], [boost(_phrase("meta", words), 2.0)]
    elif clause.kind == "prefix":
        text = [_prefix(searcher, on.text, words[0]), _prefix(searcher, on.stems, words[0])]
        register = [_prefix(searcher, "meta", words[0])]
    elif clause.kind == "number":
        key = number_key(clause.raw)
        text = [boost(_term(on.numbers, key), 3.0), _phrase(on.text, words)]
        register = [_term("number_key", key), _phrase("meta", words)]
    else:
        word, s = words[0], stem(words[0])
        # the stem at a fixed score: a document holding the word as typed (which has its stem too)
        # always scores more than one holding another form only, however often that form occurs
        text, register = [_term(on.text, word), _stem_only(on.stems, s)], [
            boost(_term("meta", word), 2.0), _stem_only("meta_stems", s)]
        if len(word) >= MIN_FUZZY and word.isalpha() and not is_dictionary_word(word):
            text.append(boost(Query.fuzzy_term_query(SCHEMA, on.text, word, 1), 0.2))
            register.append(boost(Query.fuzzy_term_query(SCHEMA, "meta", word, 1), 0.2))
    return _any(text + register if on.register else text)


#: What a word's other forms (its stem) add, whatever their count: less than the word as typed.
STEM_SCORE = 0.3


def _stem_only(field: str, word_stem: str) -> Query:
    return Query.const_score_query(_term(field, word_stem), STEM_SCORE)


def filter_queries(filters: dict[str, str]) -> list[Query] | None:
    """The engine's form of `unit:`, `kategori:`, `tahun:`, `nomor:`, `status:`; None when a
    filter's value cannot match anything (e.g. `tahun:abc`)."""
    from .query import STATUS_WORDS
    from .text import tokens

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
    """A parsed query in the engine's form: for the documents, then for their pages."""

    def __init__(self, parsed: Parsed, hidden: tuple[str, ...], hidden_entries: tuple[str, ...] = ()):
        """`hidden`: categories the role may not see; `hidden_entries`: entries the database has in
        them whose index records may still say otherwise (`search._hidden_pending`)."""
        self.parsed, self.hidden, self.hidden_entries = parsed, hidden, hidden_entries
        self.filters = filter_queries(parsed.filters)

    def can_match(self) -> bool:
        return self.filters is not None and not self.parsed.empty()

    def documents(self, searcher, *, ranked: bool = True) -> Query:
        """The query for matching documents (`doc` records); only when `can_match()`. Not
        `ranked` (sorted by date): without what only orders them (words standing together)."""
        assert self.filters is not None  # only when can_match()
        groups = [_any([clause_query(c, searcher) for c in group]) for group in self.parsed.groups]
        must = [_term("kind", "doc"), *self.filters, *(groups or [Query.all_query()])]
        not_ = [clause_query(c, searcher) for c in self.parsed.excluded] + [_term("category", h) for h in self.hidden]
        not_ += [_term("register_id", e) for e in self.hidden_entries]
        near = nearness(self.parsed, DOC) if ranked else []
        return Query.boolean_query([(Occur.Must, q) for q in must] + [(Occur.MustNot, q) for q in not_]
                                   + [(Occur.Should, q) for q in near])

    def pages(self, searcher, doc_ids: list[int]) -> Query:
        """The pages of these documents that hold any of the query's words (their best pages).
        Each clause that is not required on its own (a word of several, words standing together)
        is asked among these documents' pages only: the engine then checks a phrase on those
        pages, instead of reading ahead through every page that holds its words (a letterhead's
        words are on all of them): the same pages and scores, five times sooner."""
        among = Query.const_score_query(_one_of("doc_id", doc_ids), 0.0)

        def within(query: Query) -> Query:
            return Query.boolean_query([(Occur.Must, among), (Occur.Must, query)])

        clauses = [clause_query(c, searcher, PAGE) for c in self.parsed.positive()]
        if len(clauses) > 1:
            clauses = [within(c) for c in clauses]
        return Query.boolean_query([(Occur.Must, _term("kind", "page")), (Occur.Must, _one_of("doc_id", doc_ids)),
                                    (Occur.Must, _any(clauses or [Query.all_query()]))]
                                   + [(Occur.Should, within(q)) for q in nearness(self.parsed, PAGE)])


def _one_of(field: str, values: list) -> Query:
    """Records whose `field` is one of `values`, scoring 1 as a term set or a regular expression
    would (a few term queries are cheaper than the automaton either builds over all records)."""
    return Query.const_score_query(Query.boolean_query([(Occur.Should, _term(field, v)) for v in values]), 1.0)


def first_pages_query(doc_ids: list[int]) -> Query:
    return Query.boolean_query([(Occur.Must, _term("kind", "page")), (Occur.Must, _one_of("doc_id", doc_ids)),
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
