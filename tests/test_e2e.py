"""The whole SOP in a real browser: Playwright driving Debian's chromium (headless) against
`scan-station serve --demo` on localhost, the demo scanner being real libsane (pnm backend).

Screenshots of the main screens go to `artifacts/screenshots/` (or $SCAN_STATION_ARTIFACTS)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import office
from PIL import ImageFilter

from scan_station.capture.demo import fill_demo_feeder
from scan_station.core.config import load_settings
from scan_station.db.database import Database

pytestmark = [pytest.mark.browser, pytest.mark.scanner, pytest.mark.ocr, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("SCAN_STATION_ARTIFACTS", REPO / "artifacts")) / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# As root in a closed network: no sandbox, and nothing that calls home (see the machine notes).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "rahasia-123"


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    """`scan-station serve --demo` in its own process, as the README starts it."""
    home = tmp_path_factory.mktemp("kiosk") / "home"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCAN_STATION_")} | {"SCAN_STATION_OCR_WORKERS": "2"}
    process = subprocess.Popen([sys.executable, "-m", "scan_station", "--home", str(home), "serve", "--demo",
                                "--port", str(port), "--json"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        started = json.loads(process.stdout.readline())
        yield {"url": started["url"].rstrip("/"), "admin": started["first_admin"]["password"], "home": home}
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing; run: bash scripts/setup.sh --test (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, kiosk):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    context.set_default_timeout(20_000)
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    # The print dialog is counted, not opened: headless Chromium's print preview is frames of its
    # own, coming and going, on which Playwright's driver has died ("Frame has been detached").
    context.add_init_script("window.print = () => { window.top.__printed = (window.top.__printed || 0) + 1; };")
    yield context.new_page()
    context.close()
    elsewhere = [u for u in requested if u.startswith(("http:", "https:")) and not u.startswith(kiosk["url"])]
    assert not elsewhere, f"the kiosk must work offline, but it asked for {elsewhere}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{name}: wider than 1280 px"


def log_in(page, kiosk, username, password=PASSWORD):
    page.goto(kiosk["url"] + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.big")
    page.wait_for_selector("header nav")


def log_out(page):
    page.click("header form button")
    page.wait_for_url(re.compile(r".*/login.*"))


def test_register_print_scan_review_file_accept_and_search(page, kiosk):
    url = kiosk["url"]
    # The first Atasan PPID is made on the server (the kiosk asks an Atasan to confirm every other
    # user who sees "dikecualikan")
    subprocess.run([sys.executable, "-m", "scan_station", "--home", str(kiosk["home"]), "user", "add", "atasan",
                    "--role", "atasan", "--password", PASSWORD], check=True, capture_output=True)
    log_in(page, kiosk, "admin", kiosk["admin"])
    shot(page, "01-admin")
    form = page.locator("form[action$='/admin/users']")
    form.locator("input[name=username]").fill("dok")
    form.locator("select[name=role]").select_option("dokumentasi")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button").click()
    page.wait_for_selector("#users td:text-is('dok')")
    form.locator("input[name=username]").fill("ppid")  # sees "dikecualikan": the admin only asks
    form.locator("select[name=role]").select_option("ppid")
    form.locator("button").click()
    page.wait_for_selector("#waiting-requests li:has-text('ppid')")
    log_out(page)

    # The Atasan PPID confirms the PPID officer and sets the password
    log_in(page, kiosk, "atasan")
    page.goto(url + "/access/")
    page.fill("#access-requests input[name=password]", PASSWORD)
    page.click("#access-requests button.big")
    page.wait_for_selector("text=Dikonfirmasi")
    shot(page, "01b-access-confirmed")
    log_out(page)

    # Petugas Dokumentasi: register an entry and print its cover sheet
    log_in(page, kiosk, "dok")
    page.goto(url + "/register/new")
    page.fill("input[name=title]", "Laporan Sosialisasi Pemutakhiran Data Pemilih")
    page.fill("input[name=unit]", "Subbagian Perencanaan, Data dan Informasi")
    page.select_option("select[name=category]", "berkala")
    shot(page, "02-register-form")
    page.click("button.big")
    page.wait_for_selector("text=Laporan Sosialisasi")
    entry_id = page.locator("tbody tr", has_text="Laporan Sosialisasi").locator("td").nth(1).inner_text().strip()
    assert re.fullmatch(r"PPID-\d{4}-\d{6}", entry_id)
    page.goto(url + "/register/new")  # a second entry: its cover sheet is printed but stays on the desk
    page.fill("input[name=title]", "Surat Edaran Ketua")
    page.fill("input[name=unit]", "Subbagian Umum")
    page.select_option("select[name=category]", "berkala")
    page.click("button.big")
    page.wait_for_selector("text=Surat Edaran Ketua")
    forgotten = page.locator("tbody tr", has_text="Surat Edaran Ketua").locator("td").nth(1).inner_text().strip()
    shot(page, "03-register")
    page.check(f"input[name=ids][value='{entry_id}']")
    page.check(f"input[name=ids][value='{forgotten}']")
    pages_before = len(page.context.pages)
    with page.context.expect_event("response", lambda r: "/register/coversheets" in r.url) as printed:
        page.click("text=Cetak lembar sampul")
    response = printed.value
    assert response.status == 200 and response.header_value("content-type") == "application/pdf"
    page.wait_for_selector("#print-panel:not([hidden]) iframe[src^='blob:']")  # shown on this screen
    page.wait_for_function("window.__printed >= 1")  # and the print dialog asked for
    assert len(page.context.pages) == pages_before  # no new tab: a kiosk in full-screen mode has none
    page.click("#print-panel button.close")

    # Scan: the feeder is empty first (a fault with Lanjutkan), then the paper goes in
    page.goto(url + "/scan/")
    page.check("input[name=device][value='pnm:0']")
    page.check("input[name=profile][value='Teks abu-abu 300 dpi, kaca']")
    shot(page, "04-scan-choose")
    page.click("#start button.big")
    page.wait_for_selector("#fault:not([hidden])")
    assert "Tidak ada kertas di pengumpan" in page.inner_text("#fault")
    shot(page, "05-scan-fault")
    settings = load_settings(kiosk["home"], demo_feeder=True)
    db = Database(settings)
    faint = dataclasses.replace(office.GREY_RECYCLED, toner=office.GREY_RECYCLED.tone - 38)
    maybe_blank = office.scan(office.sparse_print("2. Arsip.", page_no=3, dpi=300), None, faint, dpi=300, seed=4)
    out_of_focus = office.scan(office.text_print("Notulen", dpi=300, seed=9), None, office.OFFICE, dpi=300,
                               seed=9).filter(ImageFilter.GaussianBlur(4.8))  # lifted off the glass: nobody can read it
    fill_demo_feeder(settings, db, [entry_id], pages=2, extra=[maybe_blank, out_of_focus])  # the stack in the feeder
    db.close()
    page.evaluate("""() => { window.seen = {};
        new MutationObserver(() => document.querySelectorAll('#pages li')
            .forEach(li => window.seen[li.id] ??= Date.now()))
          .observe(document.getElementById('pages'), {childList: true}); }""")
    page.click("#resume")
    page.wait_for_selector("#page-3[data-kind=content]")
    folder = settings.scans_dir / page.url.rstrip("/").rsplit("/", 1)[1]
    seen = page.evaluate("window.seen")
    delays = [seen[f"page-{n}"] / 1000 - (folder / f"page-{n:04d}.png").stat().st_mtime for n in (1, 2, 3)]
    print(f"thumbnail shown {', '.join(f'{d:.2f}' for d in delays)} s after each page was written")
    assert max(delays) < 1.0, delays  # each page appears within a second of being scanned
    assert page.locator("#page-1").get_attribute("data-kind") == "cover"
    assert entry_id in page.inner_text("#page-2")
    assert page.locator("#page-2 img").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "06-scan-live")

    # Review, then confirm: filed in the background
    page.wait_for_selector("#page-5[data-kind=content]")
    page.click("#to-review")
    page.wait_for_selector(f"section.document[data-register-id='{entry_id}']")
    assert page.locator("section.document li.thumb").count() == 4
    for _ in range(60):  # the pages are read in the background as they are scanned: their verdicts come in
        if page.locator("li.thumb.to-check .badge.check").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    unreadable = page.locator("li.thumb.to-check", has=page.locator("[data-check=unreadable]"))
    assert unreadable.count() == 1 and "perlu diperiksa: Teks sulit dibaca" in unreadable.inner_text()
    assert "Halaman yang perlu diperiksa" in page.inner_text("#pages-to-check")
    assert forgotten in page.inner_text("#missing-covers") and "Surat Edaran Ketua" in page.inner_text(
        "#missing-covers"
    )
    doubtful = page.locator("li.thumb.maybe-blank")
    assert doubtful.count() == 1 and "mungkin kosong" in doubtful.inner_text()
    shot(page, "07-review")
    doubtful.locator("button[data-action=remove]").click()  # one tap
    page.wait_for_selector("li.thumb.maybe-blank", state="detached")
    assert page.locator("section.document li.thumb").count() == 3
    page.click("#confirm")
    page.wait_for_selector("text=sedang disimpan di latar belakang")
    page.wait_for_selector("#batches tr.done", timeout=180_000)  # OCR and filing, watched by batches.js
    shot(page, "08-filed")
    log_out(page)

    # Petugas PPID: open the submitted document and accept it
    log_in(page, kiosk, "ppid")
    page.goto(url + "/handover/")
    row = page.locator("tr", has_text=entry_id)
    assert "halaman perlu diperiksa: 1" in row.inner_text()
    row.locator("a.button").click()
    assert "pemutakhiran" in page.inner_text("main").lower()
    assert "Halaman yang perlu diperiksa" in page.inner_text("#pages-to-check")
    shot(page, "09-handover")
    page.click("text=Diterima, disimpan")
    page.wait_for_selector(".flash")
    shot(page, "10-accepted")

    # Search by a word from the document's text
    page.goto(url + "/search")
    page.fill("input[name=q]", "pemutakhiran")
    page.click("form button.big")
    hit = page.locator("ol.hits li", has_text=entry_id).first
    assert "pemutakhiran" in hit.locator("mark").first.inner_text().lower()
    links = [a.get_attribute("href") for a in hit.locator("a").all()]
    assert links[0] == f"/register/{entry_id}" and re.fullmatch(r"/handover/\d+", links[1])  # the entry, the document
    at_page = next(link for link in links if re.search(r"/handover/\d+\?page=\d+$", link))  # the page matched
    page.goto(url + at_page)  # the document's page, its PDF open at that page, in this tab
    assert re.search(r"/documents/\d+\.pdf#page=\d+$", page.locator("iframe[title=PDF]").get_attribute("src"))
    shot(page, "11-search")
