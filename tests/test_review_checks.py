"""The readability verdict where officers see it: a batch scanned through real libsane with a page
fed upside down behind an upright cover and a page nobody can read, its pages read while it waits
for review (page jobs), then the review screen (each page shown upright as its reading found it,
a badge on the page that needs checking, a turn that starts from what the officer sees), the
filing, and the PPID's handover screen and list."""

from __future__ import annotations

import pytest
from helpers import office, office_pages
from helpers.kiosk import login, make_app, token
from PIL import ImageFilter
from sqlalchemy import select

from scan_station.capture import page_jobs, review
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.scanning import ingest_scanned, scan_pages, start_batch
from scan_station.db.database import Document
from scan_station.ocr.pool import OcrPool
from scan_station.register import add_entry

pytestmark = [pytest.mark.scanner, pytest.mark.ocr]



def _blurred(seed: int):
    """A page nobody can read: scanned out of focus (a document lifted off the glass)."""
    page = office.scan(office_pages.page("letter", dpi=300, seed=seed).image, None, office.OFFICE, dpi=300, seed=seed)
    return page.filter(ImageFilter.GaussianBlur(4.8))


@pytest.fixture
def reviewed(demo):
    """A batch waiting for review, every page read: cover of A, an upright letter, a berita acara
    page fed upside down, a page out of focus."""
    settings, db = demo
    with db.session() as s:
        entry = add_entry(s, settings, title="Berita Acara Rapat Pleno", unit="Subbagian Umum", category="berkala").id
    pages = [office.scan(office_pages.page("letter", dpi=300, seed=1).image, None, office.OFFICE, dpi=300, seed=1),
             office.scan(office_pages.page("full", dpi=300, seed=2).image, None, office.OFFICE, dpi=300, seed=2,
                         turn=180),
             _blurred(3)]
    fill_demo_feeder(settings, db, [entry], pages=0, extra=pages)
    folder = start_batch(settings, db, device="pnm:0", profile="Teks abu-abu 300 dpi, kaca", user="dok")
    scan_pages(settings, folder)
    with OcrPool(2) as pool:
        futures = [page_jobs.start_page(settings, db, folder, n, pool) for n in (2, 3, 4)]
        for future in futures:
            future.result()
    return settings, db, folder, entry


def test_the_review_shows_each_page_as_read_and_flags_the_one_nobody_can_read(reviewed, home):
    settings, db, folder, entry = reviewed
    plan, pages = review.load(settings, db, folder)
    found = page_jobs.findings(settings, folder, plan, pages)
    assert found.turns == {2: 0, 3: 180, 4: 0}
    assert [c.code for c in found.checks.get(4, [])] == ["unreadable"] and 2 not in found.checks

    client = make_app(home).test_client()
    login(client, "dok")
    html = client.get(f"/review/{folder.id}").get_data(as_text=True)
    assert 'id="pages-to-check"' in html and "Halaman yang perlu diperiksa" in html
    page_3 = html.split('id="page-3"')[1].split("</li>")[0]
    page_4 = html.split('id="page-4"')[1].split("</li>")[0]
    assert "turn-180" in page_3 and "badge check" not in page_3  # shown upright, nothing to check
    assert "perlu diperiksa: Teks sulit dibaca" in page_4
    assert 'data-action="rescan"' in page_4 and 'data-action="rotate"' in page_4  # one tap: scan again, turn
    client.get("/lang/en")
    english = client.get(f"/review/{folder.id}").get_data(as_text=True)
    assert "Pages to check" in english and "needs checking: Text hard to read" in english

    # a turn starts from what the officer sees: page 3, shown upright (read as 180), a quarter on
    client.post(f"/review/{folder.id}/rotate", data={"page": 3, "csrf_token": token(client, f"/review/{folder.id}")})
    assert review.page_turn(db, folder, 3) == (270, True)


def test_the_handover_shows_the_ppid_which_pages_to_check(reviewed, home):
    settings, db, folder, entry = reviewed
    result = ingest_scanned(settings, db, folder).as_dict()
    assert [c["page"] for c in result["pages_to_check"]] == [4] and result["pages_to_check"][0]["register_id"] == entry
    with db.session() as s:
        document = s.scalars(select(Document)).one()
        assert [c["page"] for c in document.pages_to_check] == [4]
    client = make_app(home).test_client()
    login(client, "ppid")
    listing = client.get("/handover/").get_data(as_text=True)
    assert "halaman perlu diperiksa: 1" in listing
    html = client.get(f"/handover/{document.id}").get_data(as_text=True)
    assert "Halaman yang perlu diperiksa" in html and 'href="#ocr-page-3"' in html  # the document's third page
    heading = html.split('id="ocr-page-3"')[1].split("</h3>")[0]
    assert "badge check" in heading
    assert not folder.path.exists()  # filed: the scan folder is gone
