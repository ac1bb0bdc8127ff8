"""Kiosk benchmark: how soon each scanned page reaches the live scan screen, and how soon a batch
is filed after *Konfirmasi*.

    .venv/bin/python bench/bench_kiosk.py [--documents 10]
    .venv/bin/python bench/bench_kiosk.py --confirm [--documents 10] [--wait 60]

Starts `scan-station serve --demo` in its own process (as the README does; its worker runs in the
same process), loads the demo feeder with `--documents` cover sheets, each followed by two sample
pages (real libsane, pnm backend, 300 dpi grey A4), presses Scan over HTTP and reads the
server-sent events as the browser does. For every page:
- shown: the event that carries its thumbnail, minus the time the page file was written;
- marked: the event that says cover / blank / content and its entry, minus the same time.
The issue asks for "within a second"; the figures are the median, 95th percentile and maximum.

With `--confirm`: once the scan has finished, `--wait` seconds later (the officer reviewing), press
*Konfirmasi dan simpan* and time until the batch is filed (its folder is gone and it is in the
register's storage). The pages were read by the worker while the batch was scanned and waited.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILE = "Teks abu-abu 300 dpi, kaca"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kiosk:
    """A logged-in browser session on a kiosk served from a fresh home."""

    def __init__(self, home: Path, base: str, password: str):
        self.home, self.base = home, base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.post("/login", username="admin", password=password, csrf_token=self.token("/login"))

    def token(self, path: str) -> str:
        html = self.opener.open(self.base + path).read().decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def post(self, path: str, **form):
        return self.opener.open(self.base + path, urllib.parse.urlencode(form).encode())

    def start_batch(self, documents: int) -> str:
        """Register `documents` entries, fill the demo feeder with their paper, press Scan."""
        csrf = self.token("/register/new")
        ids = []
        for n in range(documents):
            page = self.post("/register/new", title=f"Dokumen uji {n + 1}", unit="Subbagian Umum",
                             category="berkala", csrf_token=csrf).read().decode()
            ids.append(re.findall(r"PPID-\d{4}-\d{6}", page)[-1])
        csrf = self.token("/scan/")
        self.post("/scan/demo-feeder", register_ids=",".join(ids), csrf_token=csrf)
        return self.post("/scan/start", device="pnm:0", profile=PROFILE, csrf_token=csrf).geturl().rsplit("/", 1)[1]

    def events(self, batch: str, total: int) -> tuple[dict[int, float], dict[int, float]]:
        """Read the live screen's events until every page is marked: (shown, marked) times."""
        shown, marked = {}, {}
        stream = self.opener.open(f"{self.base}/scan/{batch}/events")
        event = None
        while len(marked) < total:
            line = stream.readline().decode()
            if not line:  # the stream ended (SCAN_EVENTS_SECONDS): reconnect, as a browser does
                stream = self.opener.open(f"{self.base}/scan/{batch}/events")
                continue
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event == "page":
                data, now = json.loads(line[6:]), time.time()
                shown.setdefault(data["page"], now)
                if data["kind"]:
                    marked.setdefault(data["page"], now)
        return shown, marked


PAGES = 2  # sample pages per cover sheet in the demo feeder


@contextlib.contextmanager
def kiosk() -> Iterator[Kiosk]:
    home = Path(tempfile.mkdtemp(prefix="bench-kiosk-")) / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAN_STATION_")}
    server = subprocess.Popen([sys.executable, "-m", "scan_station", "--home", str(home), "serve", "--demo",
                               "--port", str(_port()), "--json"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        started = json.loads(server.stdout.readline())
        yield Kiosk(home, started["url"].rstrip("/"), started["first_admin"]["password"])
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(home.parent, ignore_errors=True)  # the benchmark's home is not left behind


def page_events(documents: int) -> dict:
    with kiosk() as k:
        batch = k.start_batch(documents)
        total = documents * (1 + PAGES)
        shown, marked = k.events(batch, total)
        folder = k.home / "scans" / batch
        written = {n: (folder / f"page-{n:04d}.png").stat().st_mtime for n in marked}

    def figures(seen: dict[int, float]) -> dict:
        delays = sorted(seen[n] - written[n] for n in written)
        return {"median_s": round(statistics.median(delays), 3),
                "p95_s": round(delays[max(0, round(0.95 * len(delays)) - 1)], 3), "max_s": round(delays[-1], 3)}

    return {"cores": os.cpu_count(), "pages": total, "shown": figures(shown), "marked": figures(marked)}


def confirm_to_filed(documents: int = 10, wait: float = 60) -> dict:
    """Seconds from Konfirmasi to filed, for a batch whose scan finished `wait` seconds before."""
    with kiosk() as k:
        batch = k.start_batch(documents)
        total = documents * (1 + PAGES)
        k.events(batch, total)
        folder = k.home / "scans" / batch
        while json.loads((folder / ".scan.json").read_text())["status"] != "scanned":
            time.sleep(0.05)
        time.sleep(wait)
        read_before = len(list((folder / ".ocr").glob("page-*/result.json")))
        pressed = time.perf_counter()
        k.post(f"/review/{batch}/confirm", csrf_token=k.token(f"/review/{batch}"))
        while folder.exists():
            time.sleep(0.02)
        seconds = time.perf_counter() - pressed
        filed = list((k.home / "storage").rglob("*_v1.pdf"))
    return {"pages": total, "content_pages": documents * PAGES, "pages_read_before_confirm": read_before,
            "documents_filed": len(filed), "wait_after_scan_s": wait, "confirm_to_filed_s": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10, help="cover sheets, each with two pages")
    parser.add_argument("--confirm", action="store_true", help="time Konfirmasi to filed instead")
    parser.add_argument("--wait", type=float, default=60, help="seconds between the scan's end and Konfirmasi")
    args = parser.parse_args()
    if args.confirm:
        figures = confirm_to_filed(args.documents, args.wait)
    else:
        figures = page_events(args.documents)
    print(json.dumps({"cores": os.cpu_count()} | figures, indent=2))


if __name__ == "__main__":
    main()
