"""Word recall of what is filed, by how harsh the paper is (for bench_ingest.py).

For each profile of the tests' office batches (tests/helpers/office_batch.py: clean; office — duplex,
thin and grey paper, a quarter of the sheets upside down, skew to 2°, JPEG 50-60, 200 and 300 dpi;
harsh — strong show-through, light toner, half the sheets upside down, each side skewed its own way
to 5°, JPEG 35-60), a batch of documents of every layout (letters, full-text berita acara pages,
sparse last pages, tables, pages with a photo or a stamp) is ingested by `scan-station ingest`;
the text layer of every filed page is read back out of the PDF/A and its words matched against
the words printed on it. In the same run, tesseract alone reads the same page images given
upright (as a perfect feeder would give them: the engine's reference, told nothing else), two at
a time, and its words are matched the same way.

Reported per profile: mean word recall of the filed text layer and of tesseract alone, the
worst page of each, pages filed under 50 % recall (goal: none), pages under 80 % and how many of
them are in `pages_to_check`, good pages (95 % or more) flagged anyway, and the seconds of both
over the same content pages (throughput: tesseract alone's seconds / ours).
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers import office_batch  # noqa: E402  (the tests' generator)
from helpers.ocr_quality import word_recall  # noqa: E402

from scan_station.core.config import load_settings  # noqa: E402
from scan_station.db.database import Database  # noqa: E402
from scan_station.register import add_entry  # noqa: E402


def _batch(home: Path, profile: str, documents: int, seed: int,
           pages: tuple[int, int]) -> tuple[office_batch.Batch, Path]:
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as session:
        ids = [add_entry(session, settings, title=f"Dokumen {n}", unit="Subbagian Umum", category="berkala").id
               for n in range(documents)]
    db.close()
    rng = random.Random(seed)
    dpi = rng.choice(office_batch.PROFILES[profile].dpi)
    batch = office_batch.feed(office_batch.documents(ids, rng, dpi=dpi, pages=pages), office_batch.PROFILES[profile],
                              seed=seed, dpi=dpi)
    return batch, batch.write_pdf(home / f"{profile}.pdf")


def _filed_texts(home: Path, result: dict) -> dict[int, str]:
    """Batch page -> the text layer of its filed page, as a PDF reader extracts it."""
    texts = {}
    for document in result["documents"]:
        pdf = pdfium.PdfDocument(home / document["path"])
        try:
            for index, batch_page in enumerate(document["batch_pages"]):
                texts[batch_page] = pdf[index].get_textpage().get_text_range()
        finally:
            pdf.close()
    return texts


def _tesseract_alone(batch: office_batch.Batch, pages: list[int], folder: Path) -> tuple[float, dict[int, str]]:
    """(seconds, batch page -> text) of tesseract alone on the page images given upright."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for n in pages:
        scanned = batch.pages[n - 1]
        image = scanned.image.rotate(scanned.turned) if scanned.turned else scanned.image
        path = folder / f"page-{n:04d}.{'jpg' if scanned.jpeg else 'png'}"
        buffer = io.BytesIO()
        image.save(buffer, "JPEG" if scanned.jpeg else "PNG", quality=scanned.jpeg or 95, dpi=(batch.dpi,) * 2)
        path.write_bytes(buffer.getvalue())
        paths[n] = path
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}

    def one(n: int) -> str:
        done = subprocess.run(["tesseract", str(paths[n]), str(paths[n].with_suffix("")), "-l", "ind+eng", "--dpi",
                               str(batch.dpi), "pdf", "txt"], check=True, capture_output=True, env=env)
        del done
        return paths[n].with_suffix(".txt").read_text()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        texts = dict(zip(pages, pool.map(one, pages), strict=True))
    return time.perf_counter() - started, texts


def profile_run(work: Path, profile: str, *, documents: int, seed: int, pages: tuple[int, int] = (2, 4)) -> dict:
    home = work / f"quality-{profile}"
    batch, pdf = _batch(home, profile, documents, seed, pages)
    command = [sys.executable, "-m", "scan_station", "--home", str(home), "ingest", str(pdf), "--json", "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"ingest of the {profile} batch failed with exit {done.returncode}: {done.stderr[-500:]}")
    result = json.loads(done.stdout)
    content = dict(batch.content())
    filed = _filed_texts(home, result)
    alone_seconds, alone = _tesseract_alone(batch, sorted(content), work / f"alone-{profile}")
    ours = {n: word_recall(filed.get(n, ""), content[n].printed.text) for n in content}
    engine = {n: word_recall(alone[n], content[n].printed.text) for n in content}
    flagged = {c["page"] for c in result["pages_to_check"]}
    low = [n for n, r in ours.items() if r < 0.8]
    good = [n for n, r in ours.items() if r >= 0.95]
    return {
        "dpi": batch.dpi, "pages": len(batch.pages), "content_pages": len(content),
        "blank_backs_filed": sorted(set(filed) - set(content)), "content_not_filed": sorted(set(content) - set(filed)),
        "recall_filed": round(sum(ours.values()) / len(ours), 3), "recall_tesseract_alone_upright":
            round(sum(engine.values()) / len(engine), 3),
        "worst_page_filed": round(min(ours.values()), 3), "worst_page_tesseract_alone": round(min(engine.values()), 3),
        "pages_under_50_percent": sum(r < 0.5 for r in ours.values()),
        "pages_under_80_percent": {"pages": len(low), "flagged": sum(n in flagged for n in low)},
        "good_pages_flagged": {"pages": len(good), "flagged": sum(n in flagged for n in good)},
        "seconds": {"pipeline_whole_batch": round(seconds, 1),
                    "tesseract_alone_content_pages": round(alone_seconds, 1)},
        "throughput_vs_tesseract_alone": round(alone_seconds / seconds, 2),
    }


def measure(work: Path, *, documents: int = 6, seed: int = 7, pages: tuple[int, int] = (2, 4)) -> dict:
    return {profile: profile_run(work, profile, documents=documents, seed=seed, pages=pages)
            for profile in ("clean", "office", "harsh")}
