"""Scanning as an office works (issue 24): the profile last used on a scanner is offered again,
a grey text profile first; a batch that will not be filed can be cancelled — without pages it
goes, with pages it is kept in PPID storage as cancelled (checked by verify, restored by rebuild)
and leaves the list."""

from __future__ import annotations

import re

import pytest
from helpers.kiosk import add, login, make_app, token

from scan_station.capture.batch_folder import BatchFolder, Status
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.db.database import Batch, ScanProfile

pytestmark = [pytest.mark.scanner]
GREY_FLATBED = "Teks abu-abu 300 dpi, kaca"


@pytest.fixture
def app(home):
    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text("demo_feeder = true\n")
    return make_app(home, LOGIN_RATE_LIMIT="10000 per minute")


def _offered(page: str, device: str) -> str:
    return re.search(rf'value="{re.escape(device)}"[^>]*data-profile="([^"]*)"', page).group(1)


def _checked_profile(page: str) -> str:
    return re.search(r'name="profile" value="([^"]+)" checked', page).group(1)


def test_a_grey_text_profile_is_offered_first_then_the_one_last_used_on_each_scanner(app):
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    client = login(app.test_client(), "dok")
    page = client.get("/scan/").get_data(as_text=True)
    assert _offered(page, "pnm:0") == GREY_FLATBED == _checked_profile(page)  # not the colour photo profile
    assert _offered(page, "test:0") == ""  # 200 × 200 mm: no A4 profile fits it, none is offered
    with db.session() as s:
        for name, source in (("Abu-abu kaca maks", "flatbed"), ("Abu-abu pengumpan maks", "adf")):
            s.add(ScanProfile(name=name, source=source, mode="gray", resolution=300, page_size="max"))
    page = client.get("/scan/").get_data(as_text=True)
    assert _offered(page, "test:0") == "Abu-abu pengumpan maks"  # a feeder scanner: the grey feeder profile
    with db.session() as s:
        s.add(ScanProfile(name="Arsip warna 300 dpi", source="flatbed", mode="color", resolution=300, page_size="A4"))
    start_batch(settings, db, device="pnm:0", profile="Arsip warna 300 dpi", user="dok")
    page = client.get("/scan/").get_data(as_text=True)
    assert _offered(page, "pnm:0") == "Arsip warna 300 dpi" == _checked_profile(page)  # remembered per scanner
    assert _offered(page, "test:0") == "Abu-abu pengumpan maks"
    with db.session() as s:  # a remembered profile that was removed is not offered
        s.delete(s.get(ScanProfile, "Arsip warna 300 dpi"))
    assert _offered(client.get("/scan/").get_data(as_text=True), "pnm:0") in (GREY_FLATBED, "Abu-abu kaca maks")


def _batch(app, *, pages: bool) -> BatchFolder:
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    folder = start_batch(settings, db, device="pnm:0", profile=GREY_FLATBED, user="dok")
    if pages:
        fill_demo_feeder(settings, db, [add(app, title="Salah tumpukan")], pages=2)
        scan_pages(settings, folder)
    return folder


def _cancel(client, folder) -> str:
    asked = client.get(f"/scan/{folder.id}/cancel").get_data(as_text=True)
    assert "Batalkan batch" in asked
    return client.post(f"/scan/{folder.id}/cancel", data={"csrf_token": token(client, f"/scan/{folder.id}/cancel")},
                       follow_redirects=True).get_data(as_text=True)


def test_a_batch_without_pages_is_cancelled_and_goes(app):
    folder = _batch(app, pages=False)
    client = login(app.test_client(), "dok")
    page = _cancel(client, folder)
    assert "belum berisi halaman" in page and not folder.path.exists()
    assert f'data-batch="{folder.id}"' not in page


def test_a_batch_with_pages_is_kept_in_storage_as_cancelled_and_leaves_the_list(app):
    from scan_station.archive.rebuild import rebuild
    from scan_station.archive.verify import verify

    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    folder = _batch(app, pages=True)
    pages = folder.read_state().pages
    masters = {n: folder.page_path(n).read_bytes() for n in range(1, pages + 1)}
    client = login(app.test_client(), "dok")
    page = _cancel(client, folder)
    assert f"{pages} halamannya disimpan" in page and not folder.path.exists()
    assert f'data-batch="{folder.id}"' not in page  # not in progress any more
    assert "Dibatalkan (disimpan, tidak diarsipkan)" in page  # but listed with the batches received
    with db.session() as s:
        row = s.get(Batch, folder.id)
        assert row.status == "cancelled" and row.page_count == pages and not row.documents
        raw = settings.storage_dir / row.raw_dir
    kept = sorted(p for p in raw.iterdir() if p.suffix != ".json")
    assert sorted(p.read_bytes() for p in kept) == sorted(masters.values())  # every page, byte for byte
    assert verify(db, settings)["ok"]
    with db.session() as s:
        s.delete(s.get(Batch, folder.id))
    rebuild(settings, db, force=True)
    with db.session() as s:
        assert s.get(Batch, folder.id).status == "cancelled"


@pytest.mark.parametrize("status", [Status.SCANNING, Status.QUEUED, Status.FILING])
def test_a_batch_being_scanned_or_filed_is_not_cancelled(app, status):
    folder = _batch(app, pages=False)
    folder.update(status=status, owner=None)
    client = login(app.test_client(), "dok")
    page = _cancel(client, folder)
    assert "sedang diproses" in page and folder.path.exists()
    assert folder.read_state().status == status


def test_cancelling_is_for_those_who_scan(app):
    folder = _batch(app, pages=False)
    client = login(app.test_client(), "atasan")
    assert client.get(f"/scan/{folder.id}/cancel").status_code == 403
    assert client.post(f"/scan/{folder.id}/cancel", data={"csrf_token": token(client, "/search")}).status_code == 403
    assert folder.path.exists()
