"""Photographed pages: how much of their text is filed, against a flat scan of the same pages, and
what the photo costs beyond OCR.

Pages of every text layout the tests print (tests/helpers/office_pages.py) are photographed
(tests/helpers/photos.py: a 12-megapixel JPEG, the phone tipped up to 14°, the page turned up to
±10° or upside down, dark, light and checked desks, a gradient and the phone's shadow, blur, JPEG
75-90, landscape and portrait frames, EXIF orientation or not) and scanned flat
(tests/helpers/office.py, 300 dpi). Both are handed over with `scan-station submit`, as a unit
would, each set as one softcopy; the text layer of each filed page is matched against the words
printed on it. In the same run tesseract alone reads the photos as they are (what was filed
before photos were flattened) and the flat scans.

Reported: mean word recall of the filed photo pages, of the filed flat scans, of tesseract alone
on the photos and on the flat scans; pages under 95 % and how many of them are listed to check;
and the seconds per 12-megapixel photo beyond OCR (`pages.photo.take`: decode, EXIF, finding the
page, flattening, evening the light, writing the page), on one core (target: 2 s).

    python bench/bench_photos.py --pages 24
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers import office, office_pages, photos  # noqa: E402  (the tests' generators)
from helpers.ocr_quality import word_recall  # noqa: E402

from scan_station.pages.photo import take  # noqa: E402

LAYOUTS = ("letter", "full", "table", "sparse", "stamp")


def shots(count: int, seed: int) -> list[photos.Shot]:
    rng = random.Random(seed)
    return [photos.Shot(desk=photos.DESKS[n % 3], turn=rng.uniform(-10, 10) + (180 if n % 4 == 3 else 0),
                        portrait=n % 2 == 0, exif=n % 3 == 1, quality=rng.randint(75, 90), blur=rng.uniform(0.6, 1.6),
                        tilt=rng.uniform(0.1, 0.25)) for n in range(count)]


def scan_station(home: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "scan_station", "--home", str(home), *args, "--json"],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"scan-station {args[0]} failed with exit {done.returncode}: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def filed(home: Path, files: list[Path]) -> tuple[list[str], set[int]]:
    """The text of each filed page of `files` handed over as one softcopy, and the pages listed to check."""
    entry = scan_station(home, "register", "add", "--title", "Bench", "--unit", "Umum", "--category", "berkala")
    result = scan_station(home, "submit", *map(str, files), "--entry", entry["id"])
    (document,) = result["documents"]
    sidecar = json.loads((home / document["path"]).with_suffix(".json").read_text())
    return [p["text"] for p in sidecar["pages"]], {c["page"] for c in result["pages_to_check"]}


def tesseract_alone(paths: list[Path]) -> list[str]:
    """What tesseract alone reads on each file as it is (two at a time, one thread each)."""
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> str:
        return subprocess.run(["tesseract", str(path), "-", "-l", "ind+eng"], capture_output=True, text=True,
                              env=env, check=True).stdout

    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return list(pool.map(one, paths))


def seconds_beyond_ocr(paths: list[Path], work: Path) -> list[float]:
    """`take` on each photo, on one core (OpenCV on one thread)."""
    cv2.setNumThreads(1)
    seconds = []
    for n, path in enumerate(paths):
        started = time.perf_counter()
        take(path, work / f"take-{n}", max_megapixels=200)
        seconds.append(time.perf_counter() - started)
    return seconds


def measure(work: Path, pages: int, seed: int) -> dict:
    printed = [office_pages.page(LAYOUTS[n % len(LAYOUTS)], dpi=300, seed=seed + n) for n in range(pages)]
    photo_files, scan_files = [], []
    for n, (page, shot) in enumerate(zip(printed, shots(pages, seed), strict=True)):
        photo_files.append(work / f"foto-{n + 1:03d}.jpg")
        photo_files[-1].write_bytes(photos.photograph(page.image, shot, seed=seed + n).data)
        scan_files.append(work / f"scan-{n + 1:03d}.png")
        office.scan(page.image, None, office.OFFICE, dpi=300, seed=seed + n).save(scan_files[-1], dpi=(300, 300))
    timings = seconds_beyond_ocr(photo_files, work)
    photo_texts, listed = filed(work / "home-photos", photo_files)
    scan_texts, _listed = filed(work / "home-scans", scan_files)
    truth = [p.text for p in printed]
    recall = {name: [word_recall(t, w) for t, w in zip(texts, truth, strict=True)] for name, texts in (
        ("photos_filed", photo_texts), ("flat_scans_filed", scan_texts),
        ("photos_tesseract_alone", tesseract_alone(photo_files)), ("flat_scans_tesseract_alone",
                                                                     tesseract_alone(scan_files)))}
    low = [n + 1 for n, r in enumerate(recall["photos_filed"]) if r < 0.95]
    return {
        "cores": os.cpu_count(), "pages": pages,
        "mean_word_recall": {name: round(statistics.mean(values), 3) for name, values in recall.items()},
        "worst_photo_filed": round(min(recall["photos_filed"]), 3),
        "photos_under_95_percent": {"pages": len(low), "listed_to_check": sum(n in listed for n in low)},
        "photos_listed_to_check": len(listed),
        "seconds_per_photo_beyond_ocr_one_core": {"median": round(statistics.median(timings), 2),
                                                  "max": round(max(timings), 2)},
        "recall_by_desk": _by_desk(recall["photos_filed"], shots(pages, seed)),
    }


def _by_desk(recalls: list[float], taken: list[photos.Shot]) -> dict[str, float]:
    desks = {desk: [r for r, shot in zip(recalls, taken, strict=True) if shot.desk == desk] for desk in photos.DESKS}
    return {desk: round(statistics.mean(values), 3) for desk, values in desks.items() if values}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--seed", type=int, default=260)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scan-station-photos-") as work:
        print(json.dumps(measure(Path(work), args.pages, args.seed), indent=2))


if __name__ == "__main__":
    main()
