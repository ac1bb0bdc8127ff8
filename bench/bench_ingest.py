"""Ingest benchmark: a generated batch of N documents × 3–5 pages, 300 dpi grey, end to end.

In one run over the same content pages, with the same languages and one engine per core:

- **tesseract alone** (the limit): `tesseract PAGE out -l ind+eng --dpi 300 pdf txt` per content
  page, each page's own image as the batch holds it (the scanner's JPEG), one tesseract per core,
  `OMP_THREAD_LIMIT=1` — the text PDF and the text, nothing else;
- **the naive pipeline**: one `ocrmypdf` call per document, in sequence;
- **the pipeline**: `scan-station ingest` exactly as a user runs it (batch in → every document
  filed, indexed, PDF/A-validated), its whole process tree sampled for memory and temporary disk.

Pages per minute for each, the ratios, CPU seconds (the process tree's, from the kernel), the
pipeline's seconds per step and per page stage in its OCR children. Then the kiosk flow (seconds
from *Konfirmasi* to filed for a 30-page batch whose scan ended a minute earlier,
`bench_kiosk.confirm_to_filed`), stored KB per page by kind of page with the CER of the stored
page and the raw master's PNG level (`bench/page_profiles.py`), and a 500-page batch for peak
memory and temporary disk. Beside speed, **word recall** of the filed text layer against the printed
words, by profile (clean, office, harsh office batches), next to tesseract alone on the same page
images given upright (`ingest_quality.py`).

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/bench_ingest.py                 # 20 documents, the kiosk, a 500-page memory run
    .venv/bin/python bench/bench_ingest.py --documents 5 --memory-pages 0 --no-kiosk   # quick look
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
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
from bench_kiosk import confirm_to_filed
from ingest_quality import measure as recall_by_profile
from page_profiles import measure as page_profiles
from page_profiles import png_levels

from scan_station.core.config import load_settings
from scan_station.db.database import Database
from scan_station.pages import samples
from scan_station.pages.classify import classify_pdf
from scan_station.papers.cover_sheet import coversheets_pdf
from scan_station.register import add_entry

OCRMYPDF_OPTIONS = [  # a straightforward pipeline: PDF/A-2b, pages turned upright, low resolutions upsampled
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


def children_cpu() -> float:
    """CPU seconds (user and system) of every finished descendant of this process so far: the
    kernel counts grandchildren too (OCR children, tesseract) once their parents have waited."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _folder_bytes(folder: Path) -> int:
    """The bytes of the files under `folder` now; files and folders go while it counts."""
    total = 0
    for root, _folders, files in os.walk(folder):  # os.walk passes over a folder removed meanwhile
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
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
    cpu, started = children_cpu(), time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    with PeakMemory(proc.pid, folder=home / "work") as memory:
        out, _ = proc.communicate()
    elapsed, cpu = time.perf_counter() - started, children_cpu() - cpu
    if proc.returncode:
        raise SystemExit(f"ingest failed with exit {proc.returncode}")
    result = json.loads(out)
    settings = load_settings(home)
    decode_ms = [p.decode_ms for p in classify_pdf(batch, dpi=settings.classify_dpi)]
    stored = sum((home / d["path"]).stat().st_size for d in result["documents"])
    content_pages = sum(d["page_count"] for d in result["documents"])
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
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


def run_naive(batch: Path, page_lists: list[list[int]], work: Path) -> tuple[float, float]:
    """(seconds, CPU seconds) of one ocrmypdf call per document, in sequence."""
    inputs = extract(batch, page_lists, work / "naive")
    cpu, started = children_cpu(), time.perf_counter()
    for path in inputs:
        ocrmypdf_cli(str(path), str(path.with_suffix(".out.pdf")))
    return time.perf_counter() - started, children_cpu() - cpu


def run_tesseract_alone(batch: Path, page_lists: list[list[int]], work: Path) -> tuple[float, float]:
    """(seconds, CPU seconds) of the engine alone over the content pages: each page's own image as
    the batch holds it (the scanner's JPEG, written out untimed), then one tesseract per core,
    each on one thread, making the text PDF and the text."""
    folder = work / "tesseract"
    folder.mkdir()
    images = []
    with pikepdf.open(batch) as pdf:
        for n in (n for pages in page_lists for n in pages):
            (stream,) = pdf.pages[n - 1].get_images(recursive=False).values()
            path = folder / f"page-{n:04d}.jpg"
            path.write_bytes(stream.read_raw_bytes())  # a DCTDecode stream is the JPEG file
            images.append(path)
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), str(path.with_suffix("")), "-l", "ind+eng", "--dpi", "300",
                        "pdf", "txt"], check=True, capture_output=True, env=env)

    cpu, started = children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started, children_cpu() - cpu


def _per_minute(pages: int, seconds: float) -> float:
    return round(pages / seconds * 60, 1)


def compare(work: Path, documents: int, *, pages_per_doc: tuple[int, int] = (3, 5)) -> dict:
    """The pipeline, tesseract alone and the naive loop over the same pages."""
    home = work / "home"
    batch = make_batch(home, documents, seed=1, pages_per_doc=pages_per_doc)
    ours = run_pipeline(home, batch)
    engine, engine_cpu = run_tesseract_alone(batch, ours["document_pages"], work)
    naive, naive_cpu = run_naive(batch, ours["document_pages"], work)
    content = ours["content_pages"]
    return {
        "documents": ours["documents"],
        "pages": ours["pages"],
        "content_pages": content,
        "content_pages_per_minute": {"pipeline": _per_minute(content, ours["seconds"]),
                                     "tesseract_alone": _per_minute(content, engine),
                                     "naive_ocrmypdf": _per_minute(content, naive)},
        "all_pages_per_minute_pipeline": _per_minute(ours["pages"], ours["seconds"]),
        "seconds": {"pipeline": round(ours["seconds"], 1), "tesseract_alone": round(engine, 1),
                    "naive_ocrmypdf": round(naive, 1)},
        "cpu_seconds": {"pipeline": round(ours["cpu_seconds"], 1), "tesseract_alone": round(engine_cpu, 1),
                        "naive_ocrmypdf": round(naive_cpu, 1)},
        "throughput_vs_tesseract_alone": round(engine / ours["seconds"], 2),
        "speed_vs_naive": round(naive / ours["seconds"], 2),
        "step_seconds": ours["timings"],
        "barcode_ms_per_page_median": round(ours["decode_ms_median"], 1),
        "barcode_ms_per_page_p95": round(ours["decode_ms_p95"], 1),
        "peak_memory_mib": round(ours["peak_rss_mib"]),
        "stored_kb_per_page": round(ours["stored_bytes_per_page"] / 1024, 1),
        "raw_batch_kb_per_page": round(ours["raw_bytes_per_page"] / 1024, 1),
        "peak_temp_disk_mib": round(ours["peak_temp_bytes"] / 2**20),
        "batch_mib": round(ours["batch_bytes"] / 2**20),
    }


def memory_run(work: Path, pages: int) -> dict:
    per_doc = 4  # a cover and four pages: five batch pages a document
    home = work / "memory-home"
    big = run_pipeline(home, make_batch(home, pages // (per_doc + 1), seed=2, pages_per_doc=(per_doc, per_doc)))
    return {"pages": big["pages"], "peak_memory_mib": round(big["peak_rss_mib"]),
            "peak_temp_disk_mib": round(big["peak_temp_bytes"] / 2**20), "batch_mib": round(big["batch_bytes"] / 2**20),
            "pages_per_minute": _per_minute(big["pages"], big["seconds"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--memory-pages", type=int, default=500, help="pages of the memory run; 0 skips it")
    parser.add_argument("--no-kiosk", action="store_true", help="skip the kiosk's confirm-to-filed run")
    parser.add_argument("--quality-documents", type=int, default=6,
                        help="documents per profile of the word-recall run (clean, office, harsh); 0 skips it")
    parser.add_argument("--profile-pages", type=int, default=3,
                        help="pages per page profile for the sizes, CER and PNG levels (the test suite's quick run: 1)")
    parser.add_argument("--pages-per-document", type=int,
                        help="pages of every document of the comparison and the word-recall run (default: 3-5 and "
                             "2-4; the test suite's quick run: 1)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scan-station-bench-"))
    try:
        pages = args.pages_per_document
        figures = {"cores": os.cpu_count()} | compare(work, args.documents,
                                                      pages_per_doc=(pages, pages) if pages else (3, 5))
        if args.quality_documents:
            figures["recall_by_profile"] = recall_by_profile(work, documents=args.quality_documents,
                                                             pages=(pages, pages) if pages else (2, 4))
        if not args.no_kiosk:
            figures["kiosk"] = confirm_to_filed(documents=10, wait=60)
        figures |= page_profiles(work, per_profile=args.profile_pages)
        figures["raw_master_png"] = png_levels(per_profile=min(2, args.profile_pages))
        if args.memory_pages:
            figures["memory_run"] = memory_run(work, args.memory_pages)
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
