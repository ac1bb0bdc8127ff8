"""Scanner benchmark: pages per second through our scanner layer against `scanimage --batch`,
on the same SANE `test` backend settings (feeder, 10 pages a batch), in the same run.

    .venv/bin/python bench/bench_scanner.py [--resolution 300] [--rounds 7]

Three figures, each the median of the rounds:
- scanimage: `scanimage --batch --format=pnm` writing one PNM file per page;
- layer (read): `scanner.Session.pages()` alone;
- layer (read + write): `scanning.scan_pages`, which writes each page as PNG before reading the
  next, updates the batch's state file and classifies pages in a thread — what `scan` does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("SANE_CONFIG_DIR", str(REPO / "scan_station" / "sane-demo"))

from scan_station.capture.scanner import Profile, Session  # noqa: E402
from scan_station.capture.scanning import scan_pages, start_batch  # noqa: E402
from scan_station.core.config import load_settings  # noqa: E402  (after SANE_CONFIG_DIR)
from scan_station.db.database import Database  # noqa: E402

DEVICE = "test:0"


LOADS = 5  # feeder loads (10 pages each) per figure: one load takes only tens of milliseconds


def scanimage(out: Path, resolution: int) -> tuple[float, int]:
    started = time.perf_counter()
    for load in range(LOADS):
        folder = out / str(load)
        folder.mkdir(parents=True)
        command = ["scanimage", "-d", DEVICE, "--source", "Automatic Document Feeder", "--mode", "Gray",
                   "--resolution", str(resolution), "-x", "200", "-y", "200", "--format=pnm",
                   f"--batch={folder}/out%d.pnm"]
        subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, len(list(out.glob("*/*.pnm")))


def layer_read(profile: Profile) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    for _ in range(LOADS):
        with Session(DEVICE, profile) as session:
            count += sum(1 for _ in session.pages())
    return time.perf_counter() - started, count


def layer_write(home: Path, profile: Profile) -> tuple[float, int]:
    settings = load_settings(home)
    db = Database(settings)
    folder = start_batch(settings, db, device=DEVICE, profile=None)
    folder.update(profile=profile)
    started = time.perf_counter()
    for _ in range(LOADS):
        scan_pages(settings, folder)  # each call is one feeder load, as `resume` would go on
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, folder.read_state().pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolution", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    profile = Profile("bench", "adf", "gray", args.resolution, "max")
    work = Path(tempfile.mkdtemp(prefix="scan-station-bench-scanner-"))
    rates: dict[str, list[float]] = {"scanimage": [], "layer_read": [], "layer_read_write": []}
    try:
        for i in range(args.rounds):
            seconds, pages = scanimage(work / f"scanimage-{i}", args.resolution)
            rates["scanimage"].append(pages / seconds)
            seconds, pages = layer_read(profile)
            rates["layer_read"].append(pages / seconds)
            seconds, pages = layer_write(work / f"home-{i}", profile)
            rates["layer_read_write"].append(pages / seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = {k: statistics.median(v) for k, v in rates.items()}
    print(json.dumps({
        "cores": os.cpu_count(),
        "resolution": args.resolution,
        "page_pixels": f"{round(200 / 25.4 * args.resolution)} x {round(200 / 25.4 * args.resolution)}",
        "pages_per_second": {k: round(v, 1) for k, v in median.items()},
        "layer_read_vs_scanimage": round(median["layer_read"] / median["scanimage"], 2),
        "layer_read_write_vs_scanimage": round(median["layer_read_write"] / median["scanimage"], 2),
    }, indent=2))


if __name__ == "__main__":
    main()
