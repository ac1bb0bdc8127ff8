"""The review of a batch says what it doubts: pages that may be blank ("mungkin kosong", one tap
to remove) and cover sheets printed for the batch that never came through the scanner."""

from __future__ import annotations

import dataclasses
import re

import pytest
from helpers import office
from helpers.kiosk import add, login, make_app, state_of, token
from helpers.waiting import wait_until

from scan_station.capture.demo import fill_demo_feeder

pytestmark = pytest.mark.scanner
DEVICE, PROFILE = "pnm:0", "Teks abu-abu 300 dpi, kaca"


@pytest.fixture
def app(home):
    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text("demo_feeder = true\nocr_workers = 2\n")
    return make_app(home, SCAN_EVENTS_SECONDS=0.5)


def _wait(folder, seconds=60):
    wait_until(lambda: state_of(folder)["status"] not in ("new", "scanning"), seconds)


def test_review_shows_maybe_blank_pages_and_covers_printed_but_not_scanned(app):
    first, second, third = (
        add(app, title="Laporan Kegiatan"),
        add(app, title="Surat Edaran"),
        add(app, title="Nota Dinas"),
    )
    client = login(app.test_client(), "dok")
    csrf = token(client, "/register/")
    assert client.post("/register/coversheets", data={"ids": [first, second], "csrf_token": csrf}).status_code == 200
    faint = dataclasses.replace(office.GREY_RECYCLED, toner=office.GREY_RECYCLED.tone - 38)
    maybe_blank = office.scan(office.sparse_print("2. Arsip.", page_no=2, dpi=300), None, faint, dpi=300, seed=4)
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    fill_demo_feeder(settings, db, [first], pages=1, extra=[maybe_blank])  # the second cover stayed on the desk
    response = client.post("/scan/start", data={"device": DEVICE, "profile": PROFILE, "csrf_token": csrf})
    batch = response.headers["Location"].rsplit("/", 1)[1]
    _wait(settings.scans_dir / batch)
    assert state_of(settings.scans_dir / batch)["pages"] == 3
    events = client.get(f"/scan/{batch}/events").get_data(as_text=True)
    assert '"page": 3, "kind": "content"' in events and '"maybe_blank": true' in events
    page = client.get(f"/review/{batch}").get_data(as_text=True)
    thumb_classes = re.search(r'<li class="([^"]*)" data-page="3"', page).group(1).split()
    assert "mungkin kosong" in page and {"content", "maybe-blank"} <= set(thumb_classes)
    assert "Lembar sampul yang dicetak tetapi tidak ada dalam batch ini" in page
    missing = page.split('id="missing-covers"', 1)[1].split("</section>", 1)[0]
    assert second in missing and "Surat Edaran" in missing and first not in missing and third not in missing
    client.post(f"/review/{batch}/remove", data={"page": 3, "csrf_token": csrf})  # one tap
    assert "mungkin kosong" not in client.get(f"/review/{batch}").get_data(as_text=True).split("Tidak disimpan")[0]
