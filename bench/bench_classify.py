"""Classification benchmark: milliseconds per page to tell cover, content and blank pages apart,
both barcode readers, at the classification resolution; and what each reader reads of the corpus.

    .venv/bin/python bench/bench_classify.py [--pages 40]

Pages come from the tests' office generator (tests/helpers/office.py): 300 dpi grey A4 scans on office,
grey recycled, light-toner and thin paper, duplex (each side showing the other through), shrunk to
`classify_dpi` as the scanning thread does. Each page is classified as the scanner delivers it
(`classify_image` with the page before as its other side), timed from the shrunk image to its
class: the cover mark, zxing-cpp, zbar where it pays, the blank measure. Then every symbol the
shared corpus's manifest expects is read by zbar alone, zxing-cpp alone, and both (`decode`), PDFs
rendered at 300 dpi, images as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers import office  # noqa: E402  (the tests' generator)

from scan_station.pages.barcodes import decode  # noqa: E402
from scan_station.pages.classify import classify_image, shrink  # noqa: E402

PAPERS = [office.OFFICE, office.GREY_RECYCLED, office.LIGHT_TONER, office.THIN_PAPER]


def _sheets(count: int) -> dict[str, list]:
    """Scanned sides by what they are: covers, content, blank backs, cover backs."""
    kinds: dict[str, list] = {"cover": [], "content": [], "blank back": [], "cover back": []}
    for n in range(count):
        paper = PAPERS[n % len(PAPERS)]
        cover = office.cover_print(f"PPID-2026-{n:06d}", dpi=300)
        kinds["cover"].append(office.scan(cover, None, paper, dpi=300, seed=n))
        kinds["cover back"].append(office.scan(office.a4(300), cover, paper, dpi=300, seed=n + 1))
        text = office.text_print("Laporan kegiatan", dpi=300, page_no=n, seed=n)
        kinds["content"].append(office.scan(text, None, paper, dpi=300, seed=n + 2))
        kinds["blank back"].append(office.scan(office.a4(300), text, paper, dpi=300, seed=n + 3))
    return kinds


def classification(count: int) -> dict:
    out = {}
    for kind, images in _sheets(count).items():
        times, kinds = [], []
        for image in images:
            small, dpi = shrink(image, image_dpi=300, dpi=100)
            started = time.perf_counter()
            page = classify_image(small, 1, dpi=dpi)
            times.append((time.perf_counter() - started) * 1000)
            kinds.append(page.kind)
        times.sort()
        out[kind] = {"pages": len(times), "median_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "kinds": sorted(set(kinds))}
    return out


def corpus_counts(corpus: Path) -> dict:
    import pypdfium2 as pdfium
    from PIL import Image, ImageSequence

    def pages(path: Path):
        if path.suffix.lower() == ".pdf":
            pdf = pdfium.PdfDocument(path)
            return [pdf[i].render(scale=300 / 72, grayscale=True).to_pil().convert("L") for i in range(len(pdf))]
        with Image.open(path) as image:
            return [frame.convert("RGB").copy() for frame in ImageSequence.Iterator(image)]

    counts = {"zbar": 0, "zxing-cpp": 0, "both": 0, "expected": 0}
    for f in json.loads((corpus / "MANIFEST.json").read_text())["files"]:
        if f["role"] != "sample" or not f.get("expected", {}).get("barcodes"):
            continue
        images = pages(corpus / f["path"])
        for b in f["expected"]["barcodes"]:
            image = images[b["page"] - 1]
            counts["expected"] += 1
            for key, readers in (("zbar", ("zbar",)), ("zxing-cpp", ("zxing-cpp",)), ("both", ("zxing-cpp", "zbar"))):
                counts[key] += b["value"] in {s.value for s in decode(image, readers=readers)}
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40, help="pages of each kind")
    args = parser.parse_args()
    corpus = Path(os.environ.get("SCAN_STATION_CORPUS", REPO.parent / "shared" / "corpus"))
    result = {"cores": os.cpu_count(), "classification": classification(args.pages)}
    if corpus.is_dir():
        stderr = os.dup(2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # zbar's own complaints, every symbology asked for
        try:
            result["corpus"] = corpus_counts(corpus)
        finally:
            os.dup2(stderr, 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
