"""Search at archive scale: a generated archive of Indonesian administrative text, indexed as
filing indexes it (stems, numbers, register fields), then queries of each kind, p50/p95, beside
tantivy alone over the same text (its own parser, no stems) as the reference.

    python bench/bench_search.py --documents 40000   # ~200,000 pages
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import tantivy

from scan_station import search, search_engine

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
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_text_field("category", tokenizer_name="raw")
    folder.mkdir()
    index = tantivy.Index(b.build(), path=str(folder))
    w = index.writer(heap_size=200_000_000, num_threads=1)
    for entry, _document, pages in docs:
        w.add_document(tantivy.Document(text="\n".join(pages), year=int(entry["created"][:4]),
                                        category=entry["category"]))
    w.commit()
    w.wait_merging_threads()
    index.reload()
    return index


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=4000)
    args = parser.parse_args()
    docs = list(archive(args.documents))
    pages = sum(len(p) for _e, _d, p in docs)
    root = Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder = root / "ours"
    index = search_engine.open_index(folder)
    start = time.perf_counter()
    for i in range(0, len(docs), 500):
        payload = [(e["id"], search_engine.records(e, d, p, f"{e['id']} · {e['title']} · {e['unit']} · {e['number']}"))
                   for e, d, p in docs[i:i + 500]]
        search.write(folder, payload, index=index)
    ours_rate = pages / (time.perf_counter() - start)
    start = time.perf_counter()
    reference = reference_index(root / "reference", docs)
    reference_rate = pages / (time.perf_counter() - start)
    session = SimpleNamespace(info={"index_dir": folder})
    rng = random.Random(7)
    kinds = queries(rng, [e["number"] for e, _d, _p in docs])
    print(f"{args.documents} documents, {pages} pages; indexing {ours_rate:,.0f} pages/s "
          f"(tantivy alone {reference_rate:,.0f}); index {size(folder) / pages / 1024:.1f} KB/page "
          f"(tantivy alone {size(root / 'reference') / pages / 1024:.1f})")
    searcher = reference.searcher()
    print("| queries | ours p50 / p95 ms (results page) | tantivy alone p50 / p95 ms | p95 ratio |")
    print("|---|---|---|---|")
    for kind, items in kinds.items():
        def ours(q):
            return search.find(session, q, hidden_categories=("dikecualikan",), mark=("<mark>", "</mark>"))

        def alone(q):
            hits = searcher.search(reference.parse_query(q.replace("kategori:", "category:").replace(
                "tahun:", "year:"), ["text"]), 20).hits
            return [searcher.doc(a) for _s, a in hits]

        timed(ours, items[:10])
        p50, p95 = timed(ours, items)
        r50, r95 = timed(alone, items)
        print(f"| {kind} | {p50:.1f} / {p95:.1f} | {r50:.1f} / {r95:.1f} | {p95 / r95:.1f}× |")


if __name__ == "__main__":
    main()
