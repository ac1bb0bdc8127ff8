"""One kiosk of several that share a database, a queue and storage (tests/test_concurrency.py).

    python tests/helpers/kiosk_process.py HOME READY GO ENTRY_ID...

Scans one batch per entry (its cover sheet and a page) through real libsane, the pnm backend
taking the paper from this kiosk's own demo feeder; writes the batch ids to READY; waits until
GO exists, then confirms each batch and queues it, as *Konfirmasi* in the kiosk does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
os.environ["SANE_CONFIG_DIR"] = str(REPO / "scan_station" / "sane-demo")

from scan_station.capture import review  # noqa: E402 (libsane reads SANE_CONFIG_DIR when first loaded)
from scan_station.capture.demo import fill_demo_feeder  # noqa: E402
from scan_station.capture.scanning import scan_pages, start_batch  # noqa: E402
from scan_station.core.config import load_settings  # noqa: E402
from scan_station.db.database import Database  # noqa: E402
from scan_station.system import jobs  # noqa: E402


def main(home: str, ready: str, go: str, *entries: str) -> None:
    settings = load_settings(Path(home))
    db = Database(settings)
    folders = []
    for entry in entries:
        fill_demo_feeder(settings, db, [entry], pages=1)
        folder = start_batch(settings, db, device="pnm:0", profile="Teks abu-abu 300 dpi, kaca", user="dok")
        scan_pages(settings, folder)
        folders.append(folder)
    Path(ready).write_text(json.dumps([f.id for f in folders]))
    deadline = time.monotonic() + 120
    while not Path(go).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    queue = jobs.make_jobs(settings)
    for folder in folders:
        review.confirm(settings, db, folder, user="dok", role="dokumentasi")
        queue.file_batch(folder.id)
    db.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
