"""Calibrating the readability bar (`scan_station.ocr.readability`) on pages whose text is known.

Pages of every layout the tests' generator prints (tests/helpers/office_pages.py: letters, full-text
berita acara pages, sparse last pages, tables, pages with a photo or a stamp), scanned
(tests/helpers/office.py) clean and degraded the ways that make text unreadable or nearly so: blurred,
washed out, drowned in sensor noise, scanned at 75 dpi, JPEG at quality 5, skewed 9° (past what
levelling corrects), turned 180° or 90° and read as they lie. Each page is read once by the
engine as it lies (`--mode reading`: how the bar separates readings) or through the whole page
pipeline (`--mode pipeline`, `page_ocr.ocr_page`: orientation, re-reading and all, what is filed),
and its word recall against the printed words set beside the verdict.

    python bench/bench_readability.py --pages 150 --mode reading
    python bench/bench_readability.py --pages 150 --mode pipeline

Reports, over the pages with text: pages under 80 % recall and how many of them the bar flags
(goal: all); pages read well (95 % or more) and how many it flags (goal: under 2 %); the pages
between; over the pages of photos with nothing printed to read, the verdicts; each page's figures
with `--verbose`. A page is flagged when its verdict is not *terbaca* (`pages_to_check` lists
*perlu diperiksa* as `unreadable` and *tanpa teks* as `no_text`).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageFilter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers import office, office_pages  # noqa: E402  (the tests' generator)
from helpers.ocr_quality import word_recall  # noqa: E402

LAYOUTS = office_pages.LAYOUTS + office_pages.PICTURES
DEGRADATIONS = ("clean", "clean-2", "grey-paper", "blur-1", "blur-2", "blur-3", "light-toner", "lighter-toner",
                "noise", "heavy-noise", "75dpi", "jpeg-5", "skew-9", "turned-180", "turned-90")


def scanned(n: int) -> tuple[Image.Image, office_pages.Printed, str]:
    """Page `n` of the calibration set: (as scanned at 300 dpi, as printed, how it was degraded)."""
    layout = LAYOUTS[n % len(LAYOUTS)]
    how = DEGRADATIONS[(n // len(LAYOUTS)) % len(DEGRADATIONS)]
    printed = office_pages.page(layout, dpi=300, seed=n, page_no=1 + n % 3, of=3, numbering=n % 3)
    paper = {"grey-paper": office.GREY_RECYCLED, "light-toner": dataclasses.replace(office.OFFICE, toner=170),
             "lighter-toner": dataclasses.replace(office.OFFICE, toner=200),
             "noise": dataclasses.replace(office.OFFICE, noise=35),
             "heavy-noise": dataclasses.replace(office.GREY_RECYCLED, noise=60)}.get(how, office.OFFICE)
    image = office.scan(printed.image, None, paper, dpi=300, seed=n, skew=9.0 if how == "skew-9" else 0.3)
    if how.startswith("blur"):
        image = image.filter(ImageFilter.GaussianBlur(1.6 * int(how[-1])))
    elif how == "75dpi":
        image = image.reduce(4).resize(image.size, Image.Resampling.BICUBIC)
    elif how == "jpeg-5":
        buffer = io.BytesIO()
        image.reduce(2).save(buffer, "JPEG", quality=5)
        image = Image.open(buffer).convert("L").resize(image.size)
    elif how == "turned-180":
        image = image.rotate(180)
    elif how == "turned-90":
        image = image.rotate(90, expand=True)
    return image, printed, how


def _measure(args: tuple[int, str, str]) -> dict:
    n, mode, work = args
    from scan_station._exec import libtesseract
    from scan_station.ocr import readability
    from scan_station.ocr.page import PageJob, ocr_page
    from scan_station.pages.source import PageSource, file_digest

    image, printed, how = scanned(n)
    folder = Path(work)
    path = folder / f"page-{n}.png"
    image.save(path, dpi=(300, 300), compress_level=1)  # the same pixels as at the default, sooner
    started = time.perf_counter()
    words: list = []
    if mode == "reading":
        recognised = libtesseract.recognise(path, folder / f"out-{n}", languages=("ind", "eng"), dpi=300)
        text, verdict = recognised.text, readability.judge(recognised.words, readability.text_marks(image, 300))
        words = [dataclasses.astuple(w) for w in recognised.words]
    else:
        result = ocr_page(PageJob(n, PageSource(path), file_digest(path), folder / "results"))
        text, verdict = result.text, result.readability
    return {"page": n, "layout": printed.layout, "how": how, "recall": round(word_recall(text, printed.text), 3),
            "seconds": round(time.perf_counter() - started, 2), **verdict.as_dict(), "read": words}


def _rejudge(row: dict) -> dict:
    """A saved reading judged again (the bar changed): its page made again, its marks counted."""
    from scan_station._exec.libtesseract import Word
    from scan_station.ocr import readability

    image, _printed, _how = scanned(row["page"])
    words = tuple(Word(*w) for w in row["read"])
    return row | readability.judge(words, readability.text_marks(image, 300)).as_dict()


def summary(rows: list[dict]) -> dict:
    """Pages with text: those under 80 % recall and how many the bar flags (a verdict other than
    terbaca: perlu diperiksa, or tanpa teks — both go to pages_to_check), those at 95 % or more and
    how many it flags anyway; pages with nothing printed to read (photos) and their verdicts."""
    text = [r for r in rows if r["layout"] not in office_pages.PICTURES]
    bad = [r for r in text if r["recall"] < 0.8]
    good = [r for r in text if r["recall"] >= 0.95]
    flagged = lambda group: sum(r["verdict"] != "terbaca" for r in group)  # noqa: E731
    pictures = [r for r in rows if r["layout"] in office_pages.PICTURES]
    return {"pages": len(rows),
            "under_80_percent_recall": {"pages": len(bad), "flagged": flagged(bad),
                                        "not_flagged": [f"{r['layout']}/{r['how']}" for r in bad
                                                        if r["verdict"] == "terbaca"]},
            "read_well_95_percent": {"pages": len(good), "flagged": flagged(good),
                                     "flagged_share": round(flagged(good) / max(1, len(good)), 3),
                                     "flagged_pages": [f"{r['layout']}/{r['how']}" for r in good
                                                       if r["verdict"] != "terbaca"]},
            "between": {"pages": len(text) - len(bad) - len(good),
                        "flagged": flagged([r for r in text if 0.8 <= r["recall"] < 0.95])},
            "nothing_printed_to_read": {"pages": len(pictures),
                                        "verdicts": {v: sum(r["verdict"] == v for r in pictures)
                                                     for v in sorted({r["verdict"] for r in pictures})}},
            "seconds_per_page": round(sum(r["seconds"] for r in rows) / max(1, len(rows)), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=180)
    parser.add_argument("--mode", choices=("reading", "pipeline"), default="reading")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--save", type=Path, help="write every page's figures to this JSON file")
    parser.add_argument("--rejudge", type=Path, help="judge the readings saved in this file again (no OCR)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with tempfile.TemporaryDirectory() as work, ProcessPoolExecutor(args.workers) as pool:
        if args.rejudge:
            rows = list(pool.map(_rejudge, json.loads(args.rejudge.read_text())))
        else:
            rows = list(pool.map(_measure, [(n, args.mode, work) for n in range(args.pages)]))
    if args.save:
        args.save.write_text(json.dumps(rows, indent=1))
    if args.verbose:
        for r in sorted(rows, key=lambda r: r["recall"]):
            print(f"{r['recall']:.2f} {r['verdict']:16s} {r['layout']:7s} {r['how']:14s} words {r['words']:4d} "
                  f"share {r['words_share']:.2f} conf {r['confidence']:5.1f} marks {r['marks']:5d} "
                  f"coverage {r['coverage']:.2f} {r['reason']}")
    print(json.dumps({"mode": args.mode, "cores": os.cpu_count(), **summary(rows)}, indent=1))


if __name__ == "__main__":
    main()
