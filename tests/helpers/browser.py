"""The real browser the kiosk tests drive: Debian's chromium through Playwright, headless, with
nothing that calls home; a kiosk served by `scan-station serve` in its own process; and the checks
a touch screen and a phone need of every screen (no sideways scrolling, targets a finger can hit,
no English sentence in the Indonesian UI)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SCAN_STATION_ARTIFACTS", REPO / "artifacts")) / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# As root in a closed network: no sandbox, and nothing that calls home (see the machine notes).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
KIOSK, PHONE, SMALL_PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}, {"width": 360, "height": 740}
#: The smallest target a finger hits reliably (WCAG 2.5.5, Apple's and Android's guidelines).
TOUCH_PX = 44


@contextlib.contextmanager
def served(home: Path, *args: str):
    """`scan-station serve` over `home` on a free port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAN_STATION_")} | {"SCAN_STATION_OCR_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "scan_station", "--home", str(home), "serve", *args,
                                "--port", str(port), "--json"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        yield json.loads(process.stdout.readline())["url"].rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def chromium():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing; run: bash scripts/setup.sh --test (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


#: Measured in the page: sideways overflow, controls under TOUCH_PX (a control inside a label
#: counts the label's height: the whole label is the target), and the text a person reads (not
#: the contents of documents: <pre>, <code>, form values).
MEASURE = """([touch, width]) => {
  const shown = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !el.closest("[hidden], dialog:not([open])"); };
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!shown(el)) continue;
    const label = el.closest("label");
    const height = Math.max(el.getBoundingClientRect().height, label ? label.getBoundingClientRect().height : 0);
    if (height < touch - 0.5) small.push(`${el.outerHTML.slice(0, 100)} (${Math.round(height)} px)`);
  }
  const copy = document.body.cloneNode(true);
  const documents = "pre, code, script, style, textarea, .ocr, [lang=en], .hits .best p";
  for (const el of copy.querySelectorAll(documents)) el.remove();
  // against the screen's own width: a phone's browser zooms out to show a page wider than it
  const widest = Math.max(document.documentElement.scrollWidth, window.innerWidth);
  return {overflow: widest - width, small, text: copy.innerText};
}"""


def measure(page) -> dict:
    return page.evaluate(MEASURE, [TOUCH_PX, page.viewport_size["width"]])


#: English words no Indonesian sentence of ours holds; two of them in one line is an English sentence.
ENGLISH = {"the", "and", "is", "are", "was", "were", "with", "this", "that", "your", "you", "not", "from", "has",
           "have", "been", "will", "which", "there", "please", "cannot", "does", "into", "their", "must", "should",
           "would", "only", "already", "when", "what", "here", "of", "to", "for", "by", "be", "or", "on", "it"}
#: Words that are a raw code when they stand alone: the service's states, actions and options.
CODES = {"submitted", "accepted", "returned", "queued", "interrupted", "scanned", "filing", "failed", "filed",
         "flatbed", "lineart", "gray", "color", "adf-duplex", "not_scanned", "none", "null"}


def english_lines(text: str) -> list[str]:
    """Lines of `text` that read as English: two English function words, or a raw code word."""
    found = []
    for line in text.splitlines():
        words = [w.strip(".,;:()[]«»\"'!?·—–").lower() for w in line.split()]
        if len({w for w in words if w in ENGLISH}) >= 2 or any(w in CODES for w in words):
            found.append(line.strip()[:160])
    return found
