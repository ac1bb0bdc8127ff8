"""Ingest benchmark: a generated batch of N documents × 3–5 pages, 300 dpi grey, end to end.

Reports pages per minute end to end, median ms per page for barcode detection, seconds per page
for OCR, peak memory and temporary disk of the whole run, stored bytes per page; and, over the same
pages in the same run, three references: **tesseract alone** (the engine: `tesseract PAGE out -l
ind+eng --dpi 300 pdf txt` per content page image, one per core, `OMP_THREAD_LIMIT=1`: the limit),
the naive pipeline (one `ocrmypdf` call per document, in sequence) and one `ocrmypdf --jobs
<cores>` call over all content pages at once. Then a 30-page batch's ingest (what a worker does
after *Konfirmasi*), and stored KB per page by kind of page with the CER of the stored page
(`bench/page_profiles.py`).

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/bench_ingest.py                 # 20 documents, plus a 200-page memory run
    .venv/bin/python bench/bench_ingest.py --documents 5 --memory-pages 0   # quick look
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import img2pdf
import pikepdf
import psutil
from page_profiles import measure as page_profiles

from scan_station import samples
from scan_station.classify import classify_pdf
from scan_station.config import load_settings
from scan_station.coversheet import coversheets_pdf
from scan_station.db import Database
from scan_station.register import add_entry

OCRMYPDF_OPTIONS = [  # the same options the pipeline passes to ocrmypdf.ocr()
    "-l", "ind+eng", "--output-type", "pdfa-2", "--pdfa-backend", "internal",
    "--rasterizer", "ghostscript", "--oversample", "300", "--rotate-pages", "-q",
]


class PeakMemory:
    """Samples the resident memory of one process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.1, *, folder: Path | None = None):
        self.root, self.interval, self.peak, self._stop = psutil.Process(pid), interval, 0, threading.Event()
        self.folder, self.peak_disk = folder, 0  # and the most bytes `folder` held (temporary files)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            if self.folder is not None:
                self.peak_disk = max(self.peak_disk, _folder_bytes(self.folder))
            time.sleep(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:  # gone meanwhile
            pass
    return total


def make_batch(home: Path, documents: int, *, seed: int, pages_per_doc: tuple[int, int]) -> Path:
    """Register `documents` entries in `home` and write a scanned-looking batch for them."""
    settings = load_settings(home)
    db = Database(settings)
    rng = random.Random(seed)
    with db.session() as session:
        entries = [add_entry(session, settings, **samples.SAMPLE_ENTRIES[i % len(samples.SAMPLE_ENTRIES)])
                   for i in range(documents)]
        covers = samples.cover_page_images(coversheets_pdf(entries))
    db.close()
    blobs = []  # JPEG bytes only: the generator must not hold hundreds of page images
    for i, (entry, cover) in enumerate(zip(entries, covers, strict=False)):
        for page in [cover, *samples.document_pages(entry.title, rng.randint(*pages_per_doc), seed=seed * 1000 + i)]:
            buffer = io.BytesIO()
            page.save(buffer, format="JPEG", quality=85, dpi=(300, 300))
            blobs.append(buffer.getvalue())
    batch = home / "bench-batch.pdf"
    batch.write_bytes(img2pdf.convert(blobs))
    return batch


def run_pipeline(home: Path, batch: Path) -> dict:
    """`scan-station ingest` as a user runs it, timed, with the peak memory of its process tree."""
    command = [sys.executable, "-m", "scan_station", "--home", str(home), "ingest", str(batch), "--json", "--quiet"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    with PeakMemory(proc.pid, folder=home / "work") as memory:
        out, _ = proc.communicate()
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"ingest failed with exit {proc.returncode}")
    result = json.loads(out)
    settings = load_settings(home)
    decode_ms = [p.decode_ms for p in classify_pdf(batch, dpi=settings.classify_dpi)]
    stored = sum((home / d["path"]).stat().st_size for d in result["documents"])
    content_pages = sum(d["page_count"] for d in result["documents"])
    return {
        "seconds": elapsed,
        "pages": result["pages"],
        "content_pages": content_pages,
        "documents": len(result["documents"]),
        "held": len(result["held"]),
        "timings": result["timings"],
        "decode_ms_median": statistics.median(decode_ms),
        "decode_ms_p95": sorted(decode_ms)[int(0.95 * (len(decode_ms) - 1))],
        "peak_rss_mib": memory.peak / 2**20,
        "peak_temp_bytes": memory.peak_disk,
        "batch_bytes": batch.stat().st_size,
        "stored_bytes_per_page": stored / content_pages,
        "raw_bytes_per_page": batch.stat().st_size / result["pages"],
        "document_pages": [d["batch_pages"] for d in result["documents"]],
    }


def extract(batch: Path, page_lists: list[list[int]], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with pikepdf.open(batch) as src:
        for i, pages in enumerate(page_lists):
            with pikepdf.new() as doc:
                for n in pages:
                    doc.pages.append(src.pages[n - 1])
                path = out_dir / f"in-{i:03d}.pdf"
                doc.save(path)
                paths.append(path)
    return paths


def ocrmypdf_cli(*args: str) -> None:
    exe = Path(sys.executable).with_name("ocrmypdf")
    subprocess.run([str(exe), *OCRMYPDF_OPTIONS, *args], check=True)


def run_naive(batch: Path, page_lists: list[list[int]], work: Path) -> float:
    inputs = extract(batch, page_lists, work / "naive")
    started = time.perf_counter()
    for path in inputs:
        ocrmypdf_cli(str(path), str(path.with_suffix(".out.pdf")))
    return time.perf_counter() - started


def run_tesseract_alone(batch: Path, page_lists: list[list[int]], work: Path) -> float:
    """The engine alone over the content pages: each page's own image as PNG (not timed), then one
    tesseract per core, each on one thread, making the text PDF and the text."""
    folder = work / "tesseract"
    folder.mkdir()
    images = []
    with pikepdf.open(batch) as pdf:
        for n in (n for pages in page_lists for n in pages):
            (stream,) = pdf.pages[n - 1].get_images(recursive=False).values()
            path = folder / f"page-{n:04d}.png"
            pikepdf.PdfImage(stream).as_pil_image().save(path, dpi=(300, 300))
            images.append(path)
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), str(path.with_suffix("")), "-l", "ind+eng", "--dpi", "300",
                        "pdf", "txt"], check=True, capture_output=True, env=env)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started


def run_limit(batch: Path, page_lists: list[list[int]], work: Path) -> float:
    (single,) = extract(batch, [[n for pages in page_lists for n in pages]], work / "limit")
    started = time.perf_counter()
    ocrmypdf_cli("--jobs", str(os.cpu_count()), str(single), str(single.with_suffix(".out.pdf")))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--memory-pages", type=int, default=200, help="pages of the memory run; 0 skips it")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    cores = os.cpu_count()
    work = Path(tempfile.mkdtemp(prefix="scan-station-bench-"))
    try:
        home = work / "home"
        batch = make_batch(home, args.documents, seed=1, pages_per_doc=(3, 5))
        ours = run_pipeline(home, batch)
        engine = run_tesseract_alone(batch, ours["document_pages"], work)
        naive = run_naive(batch, ours["document_pages"], work)
        limit = run_limit(batch, ours["document_pages"], work)
        figures = {
            "cores": cores,
            "documents": ours["documents"],
            "pages": ours["pages"],
            "content_pages": ours["content_pages"],
            "end_to_end_seconds": round(ours["seconds"], 1),
            "pages_per_minute": round(ours["pages"] / ours["seconds"] * 60, 1),
            "content_pages_per_minute": round(ours["content_pages"] / ours["seconds"] * 60, 1),
            "barcode_ms_per_page_median": round(ours["decode_ms_median"], 1),
            "barcode_ms_per_page_p95": round(ours["decode_ms_p95"], 1),
            "ocr_seconds_per_page": round(ours["timings"]["ocr"] / ours["content_pages"], 2),
            "step_seconds": ours["timings"],
            "peak_memory_mib": round(ours["peak_rss_mib"]),
            "stored_bytes_per_page": round(ours["stored_bytes_per_page"]),
            "raw_batch_bytes_per_page": round(ours["raw_bytes_per_page"]),
            "peak_temp_disk_mib": round(ours["peak_temp_bytes"] / 2**20),
            "batch_mib": round(ours["batch_bytes"] / 2**20),
            "tesseract_alone_seconds": round(engine, 1),
            "tesseract_alone_content_pages_per_minute": round(ours["content_pages"] / engine * 60, 1),
            "throughput_vs_tesseract_alone": round(engine / ours["seconds"], 2),
            "naive_seconds": round(naive, 1),
            "limit_seconds": round(limit, 1),
            "speed_vs_naive": round(naive / ours["seconds"], 2),
            "fraction_of_ocr_limit": round(limit / ours["seconds"], 2),
        }
        kiosk_home = work / "kiosk-home"  # 6 documents x 4 pages + 6 covers = 30 pages
        kiosk = run_pipeline(kiosk_home, make_batch(kiosk_home, 6, seed=3, pages_per_doc=(4, 4)))
        figures["kiosk_30_pages"] = {"pages": kiosk["pages"], "confirm_to_filed_seconds": round(kiosk["seconds"], 1)}
        figures |= page_profiles(work)
        if args.memory_pages:
            per_doc = 4  # a cover and four pages: five batch pages a document
            mem_home = work / "memory-home"
            documents = args.memory_pages // (per_doc + 1)
            mem_batch = make_batch(mem_home, documents, seed=2, pages_per_doc=(per_doc, per_doc))
            big = run_pipeline(mem_home, mem_batch)
            figures["memory_run"] = {
                "pages": big["pages"],
                "peak_memory_mib": round(big["peak_rss_mib"]),
                "pages_per_minute": round(big["pages"] / big["seconds"] * 60, 1),
            }
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
