"""Search at archive scale, on realistic text (`search_archive`), for every role:

1. The register is added entry by entry (`register.add_entry`) and every version is filed
   through the real filing path (`filing.store.file_documents`: PDF and sidecar in storage,
   database rows, index records written on commit), OCR aside; the PPID then returns one version
   in thirty (`records.handover.return_document`). `--reindex` also times `scan-station reindex`.
2. **Relevance**, ours against tantivy alone over the same text, with the ground truth computed
   from the generated text: a unique full name typed without and with quotes (first, in the top
   20), a document number typed as printed, typed with one of OCR's confusions, and typed right
   where OCR misread it on the page (first), and an affixed word (how many of the first 20 hold
   it as typed, and the other forms shown).
3. **Latency** of each query kind for each role (`search.find`, and the kiosk's whole results
   page for that role's officer), p50/p95, against tantivy alone making the same results page its
   own way: its query parser, a count and 20 documents without the categories the role may not
   see, one query for their pages, its SnippetGenerator for 3 pages each.

    python bench/bench_search.py --documents 40000   # ~210,000 pages, ~38,000 entries
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pikepdf
import tantivy
from search_archive import Archive, ArchiveEntry, misread, words
from tantivy import Occur, Query

from scan_station import search
from scan_station.accounts.roles import ROLES
from scan_station.accounts.roles import hidden_categories as hidden_from
from scan_station.accounts.users import add_user
from scan_station.core.model import OcrResult
from scan_station.db.database import Batch, Document, UserAccount
from scan_station.filing.store import RawBatch, Received, file_documents
from scan_station.pages.split import PlannedDocument
from scan_station.records.handover import return_document
from scan_station.register import add_entry

PASSWORD = "bench-rahasia-1"
FILED_AT_ONCE = 50  # documents in one filing transaction, as a batch of fifty cover sheets would be


# -- the archive into the service, as an office would put it there -------------------------------------


def kiosk(home: Path, database_url: str = ""):
    """The kiosk on `home`, with an officer of each role."""
    from web import create_app

    config = {"SCAN_STATION_HOME": str(home), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
              "RATELIMIT_ENABLED": False}
    if database_url:
        config["SCAN_STATION_DATABASE_URL"] = database_url
    app = create_app(config)
    with app.extensions["scan_station"]["db"].session() as s:
        for role in ROLES:
            if s.get(UserAccount, role) is None:
                add_user(s, username=role, password=PASSWORD, role=role, name=ROLES[role])
    return app


def logged_in(app, role: str):
    """A client of an officer of `role`, logged in now (a session left idle long enough ends)."""
    client = app.test_client()
    response = client.post("/login", data={"username": role, "password": PASSWORD})
    assert response.status_code == 302, (role, response.status_code)
    return client


def register(settings, db, archive: Archive) -> float:
    """Every entry through `register.add_entry`; entries per second."""
    start = time.perf_counter()
    for i in range(0, len(archive.entries), 500):
        with db.session() as session:
            for entry in archive.entries[i:i + 500]:
                add_entry(session, settings, actor="bench", **entry.fields)
    return len(archive.entries) / (time.perf_counter() - start)


def file_all(settings, db, archive: Archive, work: Path) -> float:
    """Every version through the filing path, fifty documents a transaction (first versions, then
    second ones, as they were scanned); then the returns. Pages per second of the filing."""
    pdf = work / "document.pdf"
    with pikepdf.new() as blank:
        blank.add_blank_page()
        blank.save(pdf)
    filed = sorted(archive.documents(), key=lambda ev: ev[1].version)
    start = time.perf_counter()
    for n in range(0, len(filed), FILED_AT_ONCE):
        batch_id = f"bench-{n // FILED_AT_ONCE:06d}"
        received = Received(batch_id, dt.datetime.now(dt.UTC), work / batch_id, submitted_by="dokumentasi")
        with db.session() as session:  # what `keep_raw` records before filing (no scanned files here)
            session.add(Batch(id=batch_id, source_name=batch_id, raw_dir=f"raw/{batch_id}", manifest_sha256="0" * 64,
                              page_count=0))
        documents = []
        for entry, version in filed[n:n + FILED_AT_ONCE]:
            pages = list(range(2, 2 + len(version.pages)))
            documents.append((PlannedDocument(entry.register_id, 1, pages),
                              OcrResult(f"{entry.register_id}-{version.version}", pdf, version.pages, True, [])))
        file_documents(settings, db, received, RawBatch(Path(f"raw/{batch_id}"), "0" * 64), documents)
    rate = archive.page_count / (time.perf_counter() - start)
    returned = [(e.register_id, v.version) for e, v in filed if v.returned]
    for n in range(0, len(returned), 100):
        with db.session() as session:
            for register_id, version in returned[n:n + 100]:
                document = session.query(Document).filter_by(register_id=register_id, version=version).one()
                return_document(session, document.id, actor="ppid", reason="halaman kurang",
                                storage_dir=settings.storage_dir)
    return rate


# -- the reference: tantivy alone ------------------------------------------------------------------------


def reference_index(folder: Path, archive: Archive) -> tantivy.Index:
    """The searchable version of each entry, its register fields and pages, in a plain index."""
    b = tantivy.SchemaBuilder()
    b.add_text_field("text", stored=True)
    b.add_text_field("kind", tokenizer_name="raw")
    b.add_text_field("register_id", tokenizer_name="raw", stored=True)
    b.add_integer_field("doc", indexed=True, fast=True, stored=True)
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_text_field("category", tokenizer_name="raw")
    folder.mkdir()
    index = tantivy.Index(b.build(), path=str(folder))
    w = index.writer(heap_size=200_000_000, num_threads=1)
    for n, entry in enumerate(archive.entries):
        version = entry.searchable()
        if version is None:
            continue
        f = entry.fields
        common = {"doc": n, "register_id": entry.register_id, "year": int(f["created_date"][:4]),
                  "category": f["category"]}
        meta = " · ".join(str(f[k]) for k in ("id", "title", "summary", "unit", "responsible", "number") if f[k])
        w.add_document(tantivy.Document(kind="doc", text=meta + "\n" + "\n".join(version.pages), **common))
        for text in version.pages:
            w.add_document(tantivy.Document(kind="page", text=text, **common))
    w.commit()
    w.wait_merging_threads()
    index.reload()
    return index


def reference_page(index: tantivy.Index, q: str, hidden: tuple[str, ...]) -> list[str]:
    """The reference results page: tantivy alone, its own parser and snippets; the register ids
    of the 20 documents, best first."""
    searcher, schema = index.searcher(), index.schema
    text = q.replace("kategori:", "category:").replace("tahun:", "year:")
    if text.endswith("*"):  # its parser has no prefix query; its regex query is the same thing
        parsed = Query.regex_query(schema, "text", re.escape(text[:-1].lower()) + ".*")
    else:
        parsed, _errors = index.parse_query_lenient(text, ["text"])
    clauses = [(Occur.Must, parsed), (Occur.Must, Query.term_query(schema, "kind", "doc"))]
    clauses += [(Occur.MustNot, Query.term_query(schema, "category", c)) for c in hidden]
    found = searcher.search(Query.boolean_query(clauses), 20, count=True)
    docs = [searcher.doc(a) for _s, a in found.hits]
    if not docs:
        return []
    ids = [d.get_first("doc") for d in docs]
    pages = Query.boolean_query([(Occur.Must, parsed), (Occur.Must, Query.term_query(schema, "kind", "page")),
                                 (Occur.Must, Query.term_set_query(schema, "doc", ids))])
    addresses = [a for _s, a in searcher.search(pages, 200, count=False).hits]
    kept: dict[int, list] = {}
    for doc, address in zip(searcher.fast_field_values("doc", addresses), addresses, strict=True):
        if len(kept.setdefault(doc, [])) < 3:
            kept[doc].append(address)
    generator = tantivy.SnippetGenerator.create(searcher, parsed, schema, "text")
    # made as the page shows them: timed, not returned
    _snippets = [generator.snippet_from_doc(searcher.doc(a)).to_html() for chosen in kept.values() for a in chosen]
    return [d.get_first("register_id") for d in docs]


# -- queries and their ground truth ----------------------------------------------------------------------


class Truth:
    """Which entries' searchable text holds a phrase, read from the generated text: each
    document's words once, phrases looked for only in documents that hold their rarest word."""

    def __init__(self, archive: Archive):
        self.texts: dict[str, str] = {}
        for entry in archive.entries:
            version = entry.searchable()
            if version is not None:
                f = entry.fields
                fields = " ".join(str(f[k]) for k in ("id", "title", "summary", "unit", "responsible", "number"))
                self.texts[entry.register_id] = words(fields + " " + " ".join(version.pages))

    def holding(self, phrases: list[str]) -> dict[str, set[str]]:
        """Phrase -> the register ids whose text holds it (as whole words)."""
        wanted = {p: words(p) for p in phrases}
        by_word: dict[str, list[str]] = {}
        for phrase, normal in wanted.items():
            by_word.setdefault(max(normal.split(), key=len), []).append(phrase)
        found: dict[str, set[str]] = {p: set() for p in phrases}
        for register_id, text in self.texts.items():
            for word in by_word.keys() & set(text.split()):
                for phrase in by_word[word]:
                    if wanted[phrase] in text:
                        found[phrase].add(register_id)
        return found


def relevance_queries(archive: Archive, truth: Truth, count: int, rng: random.Random) -> dict[str, list]:
    """Kind -> [(query, register ids that are right)]: the searches an officer answering a
    request makes, each with what the text says is right."""
    shown = [e for e in archive.entries if e.searchable() is not None]
    signers = truth.holding([e.signer for e in rng.sample(shown, min(len(shown), count * 3))])
    names = [(name, ids) for name, ids in signers.items() if len(ids) == 1][:count]
    numbered = [e for e in shown if e.number_typed and not e.number_misread]
    typed = rng.sample(numbered, min(count, len(numbered)))
    misread_on_page = [e for e in shown if e.number_misread][:count]
    by_number = truth.holding([e.number_typed for e in typed + misread_on_page])

    def right(e: ArchiveEntry) -> set[str]:  # the entry, and any other whose text cites its number
        return by_number[e.number_typed] | {e.register_id}

    spaced = [e for e in typed if "/" not in e.number_typed or " / " in e.number]
    forms = [w for w in archive.titles.vocabulary if len(w) > 6 and w[:2] in ("me", "di", "pe")][:count]
    with_form = truth.holding(forms)
    return {
        "name": [(name, ids) for name, ids in names],
        "name, quoted": [(f'"{name}"', ids) for name, ids in names],
        "number as printed": [(e.number_typed, right(e)) for e in typed],
        "number printed with spaces": [(e.number_typed, right(e)) for e in spaced],
        "number typed misread": [(misread(rng, e.number_typed), right(e)) for e in typed],
        "number misread on the page": [(e.number_typed, right(e)) for e in misread_on_page],
        "word as typed (of 20)": [(w, ids) for w, ids in with_form.items() if len(ids) >= 20],
    }


def latency_queries(archive: Archive, relevance: dict[str, list], count: int, rng: random.Random) -> dict[str, list]:
    vocabulary = archive.zipf.vocabulary[:600]
    title_words = archive.titles.vocabulary

    def phrase() -> str:  # two words side by side on some page
        entry = rng.choice(archive.entries)
        body = words(rng.choice(entry.versions[0].pages).rsplit("\n", 2)[-1]).split()
        i = rng.randrange(len(body) - 1)
        return f'"{body[i]} {body[i + 1]}"'

    return {
        "common word": [rng.choice(vocabulary[:60]) for _ in range(count)],
        "2-3 words": [" ".join(rng.sample(title_words, rng.randint(2, 3))) for _ in range(count)],
        "name": [q for q, _ids in relevance["name"]],
        "phrase": [phrase() for _ in range(count)],
        "prefix": [rng.choice(title_words)[:4] + "*" for _ in range(count)],
        "filtered": [f"{rng.choice(title_words)} tahun:{rng.randint(2021, 2025)} kategori:berkala"
                     for _ in range(count)],
        "number": [q for q, _ids in relevance["number as printed"]],
        "misread number": [q for q, _ids in relevance["number typed misread"]],
    }


# -- measuring -------------------------------------------------------------------------------------------


def timed(fn, items) -> tuple[float, float]:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def relevance(db, reference, kinds: dict[str, list]) -> dict:
    """Kind -> {first, top 20 (ours, tantivy alone), queries}: what the PPID sees (every category)."""
    figures = {}
    for kind, items in kinds.items():
        ours_first = ours_top = alone_first = alone_top = 0
        forms = 0
        for q, right in items:
            with db.session() as session:
                found = search.find(session, q, mark=("<mark>", "</mark>"))
            ours = [d.register_id for d in found.documents]
            alone = reference_page(reference, q, ())
            if kind.startswith("word as typed"):  # how many of the first 20 hold the word as typed
                ours_first += sum(r in right for r in ours[:20])
                alone_first += sum(r in right for r in alone[:20])
                forms += bool(found.other_forms)
                continue
            ours_first += bool(ours) and ours[0] in right
            ours_top += bool(right & set(ours[:20]))
            alone_first += bool(alone) and alone[0] in right
            alone_top += bool(right & set(alone[:20]))
        figures[kind] = {"queries": len(items), "ours_first": ours_first, "ours_top20": ours_top,
                         "alone_first": alone_first, "alone_top20": alone_top, "other_forms_shown": forms}
    return figures


def latency(app, reference, kinds: dict[str, list]) -> dict:
    """(role, kind) -> p50/p95 of ours, the kiosk's page and tantivy alone, and how many of the
    queries tantivy alone answers."""
    db, figures = app.extensions["scan_station"]["db"], {}
    for role in ROLES:
        hidden, client = hidden_from(role), logged_in(app, role)
        for kind, items in kinds.items():
            def ours(q, hidden=hidden):
                with db.session() as session:  # as the kiosk does, one database session a search
                    return search.find(session, q, hidden_categories=hidden, mark=("<mark>", "</mark>"))

            def page(q, client=client):
                assert client.get("/search", query_string={"q": q}).status_code == 200

            def alone(q, hidden=hidden):
                return reference_page(reference, q, hidden)

            for fn in (ours, page, alone):
                timed(fn, items)  # each query once first: every one is timed with its words read before
            answered = sum(bool(alone(q)) for q in items)
            figures[(role, kind)] = (*timed(ours, items), *timed(page, items), *timed(alone, items), answered)
    return figures


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(root: Path, app, archive: Archive, *, reindex: bool) -> dict:
    """Register, file and return the archive through the service, index it for tantivy alone, and
    mark `root` as built; the rates."""
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    rates = {"register_entries_per_s": register(settings, db, archive),
             "filing_pages_per_s": file_all(settings, db, archive, root), "reindex_pages_per_s": 0.0}
    if reindex:
        from scan_station.search.rebuild import reindex as rebuild_index
        start = time.perf_counter()
        rebuild_index(settings, db)
        rates["reindex_pages_per_s"] = archive.page_count / (time.perf_counter() - start)
    start = time.perf_counter()
    reference_index(root / "reference", archive)
    shown = sum(len(v.pages) for e in archive.entries if (v := e.searchable()))
    rates["tantivy_alone_pages_per_s"] = shown / (time.perf_counter() - start)
    (root / "built").write_text(str(len(archive.entries)))
    return rates


def print_relevance(rel: dict) -> None:
    print("\nRelevance (the PPID's results; ground truth from the text)\n")
    print("| query typed | queries | ours: first | ours: in top 20 | tantivy alone: first | tantivy alone: in top 20 |")
    print("|---|---|---|---|---|---|")
    for kind, f in rel.items():
        if kind.startswith("word as typed"):
            n = f["queries"] * 20
            print(f"| {kind}: results holding it as typed | {f['queries']} | {f['ours_first']} of {n} | "
                  f"other forms shown: {f['other_forms_shown']} | {f['alone_first']} of {n} | — |")
        else:
            print(f"| {kind} | {f['queries']} | {f['ours_first']} | {f['ours_top20']} | {f['alone_first']} | "
                  f"{f['alone_top20']} |")


def print_latency(lat: dict, kinds: dict[str, list]) -> None:
    print("\nLatency, ms (p50 / p95), for each role\n")
    print("| role | queries | ours | kiosk page | tantivy alone | p95 ratio |")
    print("|---|---|---|---|---|---|")
    for (role, kind), (p50, p95, k50, k95, r50, r95, answered) in lat.items():
        n = len(kinds[kind])
        ratio = f"{p95 / r95:.1f}×" if answered > n // 2 else f"— (it answers {answered} of {n})"
        print(f"| {role} | {kind} | {p50:.1f} / {p95:.1f} | {k50:.1f} / {k95:.1f} | {r50:.1f} / {r95:.1f} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=4000, help="filed versions (~5.3 pages each)")
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind")
    parser.add_argument("--database-url", default="", help="e.g. postgresql+psycopg://... (default: SQLite)")
    parser.add_argument("--reindex", action="store_true", help="also time `scan-station reindex`")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--relevance-only", action="store_true", help="skip the latency measurements")
    parser.add_argument("--home", type=Path, help="keep the filed archive here; given again, it is reused "
                        "(same --documents) and only the queries are run")
    args = parser.parse_args()
    if args.home:
        run(args, args.home)
        return
    root = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        run(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)  # an archive not asked to be kept is not left behind


def run(args: argparse.Namespace, root: Path) -> None:
    archive = Archive(args.documents)
    built = root / "built"
    if built.exists() and built.read_text().strip() != str(len(archive.entries)):
        sys.exit(f"{root} holds another archive (run with the --documents it was built with)")
    if not built.exists() and (root / "home").exists():
        sys.exit(f"{root} holds an archive whose building did not finish: remove it first")
    app = kiosk(root / "home", args.database_url)
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    rates = {} if built.exists() else build(root, app, archive, reindex=args.reindex)
    reference = tantivy.Index.open(str(root / "reference"))
    rng = random.Random(7)
    asked = relevance_queries(archive, Truth(archive), args.queries, rng)
    kinds = latency_queries(archive, asked, args.queries, rng)
    pages = archive.page_count
    print(f"{os.cpu_count()} cores; {len(archive.entries)} register entries, {sum(1 for _ in archive.documents())} "
          f"documents filed, {pages} pages; {db.engine.dialect.name}")
    if rates:
        print("; ".join(f"{name.removesuffix('_per_s').replace('_', ' ')} {rate:,.0f}/s"
                        for name, rate in rates.items() if rate))
    print(f"index {size(settings.index_dir) / pages / 1024:.1f} KB/page (tantivy alone "
          f"{size(root / 'reference') / pages / 1024:.1f})")
    rel = relevance(db, reference, asked)
    print_relevance(rel)
    lat = {} if args.relevance_only else latency(app, reference, kinds)
    if lat:
        print_latency(lat, kinds)
    if args.json:
        args.json.write_text(json.dumps({
            "cores": os.cpu_count(), "entries": len(archive.entries), "pages": pages,
            "database": db.engine.dialect.name, **rates, "relevance": rel,
            "latency": {f"{role} | {kind}": v for (role, kind), v in lat.items()},
        }, indent=1))


if __name__ == "__main__":
    main()
