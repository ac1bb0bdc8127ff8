"""Search at archive scale: a generated archive of Indonesian administrative text, indexed as
filing indexes it (stems, numbers, register fields), then queries of each kind, p50/p95:

- ours: `search.find` (count, 20 documents, the 3 best pages of each with a marked snippet), and
  the kiosk's whole results page (`GET /search`, rendered HTML, logged in as a PPID officer);
- the reference, tantivy alone over the same pages in the same run, making the same results
  page its own way: its query parser (no stems, no number keys, no fuzzy names), a count and
  20 documents, one query for their pages, and tantivy's own SnippetGenerator for 3 pages each.

    python bench/bench_search.py --documents 40000   # ~200,000 pages
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from scan_station import search
from scan_station.search import engine as search_engine

WORDS = ("rapat pleno rekapitulasi hasil penghitungan surat suara pemilihan umum kota kecamatan kelurahan "
         "anggaran belanja pendapatan laporan realisasi kegiatan pengadaan barang jasa logistik distribusi "
         "kotak bilik tinta formulir daftar pemilih tetap sementara pemutakhiran data penduduk verifikasi "
         "faktual partai politik calon anggaran dewan perwakilan rakyat daerah keputusan ketua sekretaris "
         "pelaksanaan tahapan jadwal program sosialisasi pendidikan pemilih partisipasi masyarakat "
         "pengawasan sengketa gugatan keberatan informasi publik dokumen arsip berita acara nota dinas "
         "undangan disposisi memilih dipilih menetapkan ditetapkan melaksanakan dilaksanakan").split()
NAMES = "Suharyanto Wulandari Hidayat Kurniawan Rahmawati Setiawan Nugroho Lestari Saputra Permana".split()
UNITS = ["Subbagian Keuangan, Umum dan Logistik", "Subbagian Teknis Penyelenggaraan", "Subbagian Hukum dan SDM"]


def number(rng: random.Random) -> str:
    month = rng.choice("I II III IV V".split())
    return f"{rng.randint(1, 300)}/PP.{rng.randint(1, 12):02d}-SOP/HM/{month}/{rng.randint(2021, 2025)}"


def page(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(200, 400))]
    words[rng.randrange(len(words))] = rng.choice(NAMES)
    words[rng.randrange(len(words))] = number(rng)
    return " ".join(words)


def archive(documents: int, seed: int = 12):
    rng = random.Random(seed)
    for n in range(documents):
        year = rng.randint(2021, 2025)
        entry = {"id": f"PPID-{year}-{n:06d}", "title": " ".join(rng.sample(WORDS, 5)).title(),
                 "unit": rng.choice(UNITS), "number": number(rng), "category": rng.choice(["berkala", "dikecualikan"]),
                 "created": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"}
        document = {"id": n + 1, "version": 1, "status": "accepted", "path": f"d{n}.pdf",
                    "filed": f"{year}-12-01", "page_count": rng.randint(3, 7)}
        yield entry, document, [page(rng) for _ in range(document["page_count"])]


def queries(rng: random.Random, numbers: list[str]) -> dict[str, list[str]]:
    def misread(value: str) -> str:
        return value.replace("0", "O", 1).replace("1", "l", 1)

    return {
        "common word": [rng.choice(WORDS) for _ in range(100)],
        "2-3 words": [" ".join(rng.sample(WORDS, rng.randint(2, 3))) for _ in range(100)],
        "phrase": [f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"' for _ in range(100)],
        "prefix": [rng.choice(WORDS)[:4] + "*" for _ in range(100)],
        "filtered": [f"{rng.choice(WORDS)} tahun:{rng.randint(2021, 2025)} kategori:berkala" for _ in range(100)],
        "misread number": [misread(rng.choice(numbers)) for _ in range(100)],
    }


def timed(fn, items) -> tuple[float, float]:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def reference_index(folder: Path, docs) -> tantivy.Index:
    b = tantivy.SchemaBuilder()
    b.add_text_field("text", stored=True)
    b.add_text_field("kind", tokenizer_name="raw")
    b.add_integer_field("doc", indexed=True, fast=True, stored=True)
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_text_field("category", tokenizer_name="raw")
    folder.mkdir()
    index = tantivy.Index(b.build(), path=str(folder))
    w = index.writer(heap_size=200_000_000, num_threads=1)
    for entry, document, pages in docs:
        common = {"doc": document["id"], "year": int(entry["created"][:4]), "category": entry["category"]}
        w.add_document(tantivy.Document(kind="doc", text="\n".join(pages), **common))
        for text in pages:
            w.add_document(tantivy.Document(kind="page", text=text, **common))
    w.commit()
    w.wait_merging_threads()
    index.reload()
    return index


def reference_page(index: tantivy.Index, q: str) -> list:
    """The reference results page: tantivy alone, its own parser and snippets."""
    searcher, schema = index.searcher(), index.schema
    text = q.replace("kategori:", "category:").replace("tahun:", "year:")
    if text.endswith("*"):  # its parser has no prefix query; its regex query is the same thing
        parsed = Query.regex_query(schema, "text", re.escape(text[:-1].lower()) + ".*")
    else:
        parsed, _errors = index.parse_query_lenient(text, ["text"])
    docs = Query.boolean_query([(Occur.Must, parsed), (Occur.Must, Query.term_query(schema, "kind", "doc")),
                                (Occur.MustNot, Query.term_query(schema, "category", "dikecualikan"))])
    found = searcher.search(docs, 20, count=True)
    ids = [searcher.doc(a).get_first("doc") for _s, a in found.hits]
    if not ids:
        return []
    pages = Query.boolean_query([(Occur.Must, parsed), (Occur.Must, Query.term_query(schema, "kind", "page")),
                                 (Occur.Must, Query.term_set_query(schema, "doc", ids))])
    addresses = [a for _s, a in searcher.search(pages, 200, count=False).hits]
    kept: dict[int, list] = {}
    for doc, address in zip(searcher.fast_field_values("doc", addresses), addresses, strict=True):
        if len(kept.setdefault(doc, [])) < 3:
            kept[doc].append(address)
    generator = tantivy.SnippetGenerator.create(searcher, parsed, schema, "text")
    return [generator.snippet_from_doc(searcher.doc(a)).to_html() for chosen in kept.values() for a in chosen]


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def kiosk(home: Path):
    """A logged-in PPID officer's client of the kiosk on `home`."""
    from scan_station.accounts.users import add_user
    from web import create_app

    app = create_app({"SCAN_STATION_HOME": str(home), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    with app.extensions["scan_station"]["db"].session() as s:
        add_user(s, username="ppid", password="bench-rahasia-1", role="ppid", name="PPID")
    client = app.test_client()
    response = client.post("/login", data={"username": "ppid", "password": "bench-rahasia-1"})
    assert response.status_code == 302, response.status_code
    return app, client


def build(folder: Path, docs) -> float:
    """Index the archive as filing does; pages per second."""
    index = search_engine.open_index(folder)
    pages = sum(len(p) for _e, _d, p in docs)
    start = time.perf_counter()
    for i in range(0, len(docs), 500):
        payload = [(e["id"], search_engine.records(e, d, p, f"{e['id']} · {e['title']} · {e['unit']} · {e['number']}"))
                   for e, d, p in docs[i:i + 500]]
        search.write(folder, payload, index=index)
    return pages / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=4000)
    args = parser.parse_args()
    docs = list(archive(args.documents))
    pages = sum(len(p) for _e, _d, p in docs)
    root = Path(tempfile.mkdtemp(prefix="bench-search-"))
    app, client = kiosk(root / "home")
    folder = app.extensions["scan_station"]["settings"].index_dir
    ours_rate = build(folder, docs)
    start = time.perf_counter()
    reference = reference_index(root / "reference", docs)
    reference_rate = pages / (time.perf_counter() - start)
    db = app.extensions["scan_station"]["db"]
    rng = random.Random(7)
    kinds = queries(rng, [e["number"] for e, _d, _p in docs])
    print(f"{os.cpu_count()} cores; {args.documents} documents, {pages} pages; indexing {ours_rate:,.0f} pages/s "
          f"(tantivy alone {reference_rate:,.0f}); index {size(folder) / pages / 1024:.1f} KB/page "
          f"(tantivy alone {size(root / 'reference') / pages / 1024:.1f})")
    print("| queries | ours p50 / p95 ms | kiosk page p50 / p95 ms | tantivy alone p50 / p95 ms | p95 ratio |")
    print("|---|---|---|---|---|")
    for kind, items in kinds.items():
        def ours(q):
            with db.session() as session:  # as the kiosk does, one database session a search
                return search.find(session, q, hidden_categories=("dikecualikan",), mark=("<mark>", "</mark>"))

        def page(q):
            assert client.get("/search", query_string={"q": q}).status_code == 200

        def alone(q):
            return reference_page(reference, q)

        for fn in (ours, page, alone):
            timed(fn, items[:10])  # warm caches
        p50, p95 = timed(ours, items)
        k50, k95 = timed(page, items)
        r50, r95 = timed(alone, items)
        answered = sum(bool(alone(q)) for q in items)
        ratio = f"{p95 / r95:.1f}×" if answered > len(items) // 2 else f"— (it answers {answered} of {len(items)})"
        print(f"| {kind} | {p50:.1f} / {p95:.1f} | {k50:.1f} / {k95:.1f} | {r50:.1f} / {r95:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
