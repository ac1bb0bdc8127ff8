"""Kiosk benchmark: how soon each scanned page reaches the live scan screen.

    .venv/bin/python bench/bench_kiosk.py [--documents 10] [--pages 2]

Starts `scan-station serve --demo` in its own process (as the README does), loads the demo feeder
with `--documents` cover sheets, each followed by `--pages` sample pages (real libsane, pnm
backend, 300 dpi grey A4), presses Scan over HTTP and reads the server-sent events as the
browser does. For every page:
- shown: the event that carries its thumbnail, minus the time the page file was written;
- marked: the event that says cover / blank / content and its entry, minus the same time.
The issue asks for "within a second"; the figures are the median, 95th percentile and maximum.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILE = "Teks abu-abu 300 dpi, kaca"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--pages", type=int, default=2)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-kiosk-")) / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAN_STATION_")}
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "scan_station", "--home", str(home), "serve", "--demo",
                               "--port", str(port), "--json"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        started = json.loads(server.stdout.readline())
        base = started["url"].rstrip("/")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def token(path: str) -> str:
            html = opener.open(base + path).read().decode()
            return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

        def post(path: str, **form) -> urllib.request.Request:
            return opener.open(base + path, urllib.parse.urlencode(form).encode())

        post("/login", username="admin", password=started["first_admin"]["password"], csrf_token=token("/login"))
        csrf = token("/register/new")
        ids = []
        for n in range(args.documents):
            page = post("/register/new", title=f"Dokumen uji {n + 1}", unit="Subbagian Umum", category="berkala",
                        csrf_token=csrf).read().decode()
            ids.append(re.findall(r"PPID-\d{4}-\d{6}", page)[-1])
        csrf = token("/scan/")
        post("/scan/demo-feeder", register_ids=",".join(ids), csrf_token=csrf)
        total = args.documents * (1 + args.pages)
        batch = post("/scan/start", device="pnm:0", profile=PROFILE, csrf_token=csrf).geturl().rsplit("/", 1)[1]
        folder = home / "scans" / batch
        shown, marked = {}, {}
        stream = opener.open(f"{base}/scan/{batch}/events")
        event = None
        while len(marked) < total:
            line = stream.readline().decode()
            if not line:  # the stream ended (SCAN_EVENTS_SECONDS): reconnect, as a browser does
                stream = opener.open(f"{base}/scan/{batch}/events")
                continue
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event == "page":
                data, now = json.loads(line[6:]), time.time()
                shown.setdefault(data["page"], now)
                if data["kind"]:
                    marked.setdefault(data["page"], now)
        written = {n: (folder / f"page-{n:04d}.png").stat().st_mtime for n in marked}
    finally:
        server.terminate()
        server.wait(timeout=30)

    def figures(seen: dict[int, float]) -> dict:
        delays = sorted(seen[n] - written[n] for n in written)
        return {"median_s": round(statistics.median(delays), 3),
                "p95_s": round(delays[max(0, round(0.95 * len(delays)) - 1)], 3), "max_s": round(delays[-1], 3)}

    print(json.dumps({"cores": os.cpu_count(), "pages": total, "shown": figures(shown), "marked": figures(marked)},
                     indent=2))


if __name__ == "__main__":
    main()
