"""Every route of the kiosk through the Flask test client: login required, roles, CSRF, wrong ids;
scanning with the demo scanner (real libsane), the live events, thumbnails and their
"dikecualikan" rule, review corrections, confirming, and administration."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from helpers.kiosk import PASSWORD, add, login, make_app, routes, state_of, token
from helpers.waiting import wait_until
from werkzeug.routing import IntegerConverter

from scan_station.capture.batch_folder import BatchFolder
from scan_station.db.database import ScanProfile, UserAccount

OPEN = {"auth.login", "static", "set_language", "verify.index", "verify.by_hash", "verify.upload"}
DEVICE, PROFILE = "pnm:0", "Teks abu-abu 300 dpi, kaca"


@pytest.fixture
def app(home):
    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text("demo_feeder = true\nocr_workers = 2\n")
    return make_app(home, SCAN_EVENTS_SECONDS=1)


@pytest.fixture
def client(app):
    return app.test_client()


def _url(rule) -> str:
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "X" for arg in rule.arguments}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_route_but_login_static_and_language_needs_a_login(app, client):
    csrf = token(client)
    checked = 0
    for rule in routes(app, skip=OPEN):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_url(rule), method=method, data={"csrf_token": csrf})
            if getattr(app.view_functions[rule.endpoint], "passive", False):  # called by pages themselves
                assert response.status_code == 401, (rule.rule, method)
            else:
                assert response.status_code == 302 and "/login" in response.headers["Location"], (rule.rule, method)
            checked += 1
    assert checked >= 30


def test_every_post_needs_a_csrf_token(app, client):
    login(client, "admin")
    for rule in routes(app, method="POST", skip=("auth.login",)):
        assert client.post(_url(rule), data={}).status_code == 400, rule.rule


@pytest.mark.parametrize("username, url, status", [
    ("atasan", "/scan/", 403), ("atasan", "/review/X", 403), ("dok", "/admin/", 403), ("ppid", "/admin/", 403),
    ("admin", "/admin/", 200), ("dok", "/scan/", 200), ("atasan", "/search", 200),
])
def test_roles(client, username, url, status):
    login(client, username)
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", ["/scan/NOPE", "/scan/NOPE/events", "/scan/NOPE/pages/1.jpg", "/review/NOPE",
                                 "/scan/..%2F..%2Fetc", "/handover/999", "/documents/999.pdf", "/register/NOPE/edit"])
def test_wrong_ids_are_404(client, url):
    login(client, "ppid")
    assert client.get(url).status_code == 404


def test_each_role_starts_where_its_work_is(client):
    for username, page in [("dok", "/scan/"), ("ppid", "/handover/"), ("atasan", "/report/"), ("admin", "/admin/")]:
        login(client, username)
        assert client.get("/").headers["Location"].endswith(page)
        client.post("/logout", data={"csrf_token": token(client, "/search")})


def _wait(folder, status, seconds=30):
    wait_until(lambda: state_of(folder)["status"] == status, seconds)
    return state_of(folder)


def _scan(app, client, ids, *, waiting=0):
    """Load the demo feeder with the entries' cover sheets and pages (after `waiting` pages already
    in it), press Scan, wait until it is done."""
    csrf = token(client, "/scan/")
    client.post("/scan/demo-feeder", data={"register_ids": ",".join(ids), "csrf_token": csrf})
    response = client.post("/scan/start", data={"device": DEVICE, "profile": PROFILE, "csrf_token": csrf})
    assert response.status_code == 302, response.get_data(as_text=True)
    batch = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    folder = app.extensions["scan_station"]["settings"].scans_dir / batch
    assert _wait(folder, "scanned")["pages"] == waiting + 3 * len(ids)
    return batch, folder, csrf


@pytest.mark.scanner
def test_scan_live_events_thumbnails_review_and_confirm(app, client):
    public, withheld = add(app, title="Laporan Kegiatan"), add(app, title="Nota Dinas Rahasia", category="dikecualikan")
    login(client, "dok")
    batch, folder, csrf = _scan(app, client, [public, withheld])
    assert "Lanjutkan" in client.get(f"/scan/{batch}").get_data(as_text=True)

    stream = client.get(f"/scan/{batch}/events").get_data(as_text=True)
    events = [json.loads(e.split("data: ", 1)[1]) for e in stream.split("\n\n") if e.startswith("event: page")]
    assert [(e["page"], e["kind"], e["register_id"], e["hidden"]) for e in events] == [
        (1, "cover", public, False), (2, "content", public, False), (3, "content", public, False),
        (4, "cover", withheld, True), (5, "content", withheld, True), (6, "content", withheld, True)]
    assert '"status": "scanned"' in stream
    assert client.get(f"/scan/{batch}/pages/2.jpg").mimetype == "image/jpeg"
    assert client.get(f"/scan/{batch}/pages/5.jpg").status_code == 404  # dikecualikan: PPID roles only
    assert client.get(f"/scan/{batch}/pages/7.jpg").status_code == 404

    page = client.get(f"/review/{batch}").get_data(as_text=True)
    assert public in page and "Laporan Kegiatan" in page and page.count("dikecualikan") >= 2
    bad = client.post(
        f"/review/{batch}/move", data={"page": 2, "direction": "prev", "csrf_token": csrf}, follow_redirects=True
    )
    assert "tidak berada di tepi dokumen ke arah itu" in bad.get_data(as_text=True)
    assert client.post(f"/review/{batch}/rotate", data={"page": "x", "csrf_token": csrf}).status_code == 400
    assert client.post(f"/review/{batch}/explode", data={"page": 2, "csrf_token": csrf}).status_code == 404
    client.post(f"/review/{batch}/move", data={"page": 3, "direction": "next", "csrf_token": csrf})
    client.post(f"/review/{batch}/rotate", data={"page": 2, "csrf_token": csrf})
    assert 'class="turn-90"' in client.get(f"/review/{batch}").get_data(as_text=True)  # CSP: no inline style

    done = client.post(f"/review/{batch}/confirm", data={"csrf_token": csrf}, follow_redirects=True)
    assert "sedang disimpan di latar belakang" in done.get_data(as_text=True)
    state = state_of(folder)
    assert state["status"] == "queued" and state["user"] == "dok"
    pending = app.extensions["scan_station"]["jobs"].queue.pending()
    assert [t.args for t in pending if t.name == "file_batch"] == [(batch,)]  # queued once
    # each content page was queued to be read as it was classified, the moved and the turned one again
    assert sorted(t.args[1] for t in pending if t.name == "ocr_page") == [2, 2, 3, 3, 5, 6]
    again = client.post(f"/review/{batch}/remove", data={"page": 2, "csrf_token": csrf}, follow_redirects=True)
    assert "sibuk" in again.get_data(as_text=True)  # queued: no more corrections
    listed = client.get("/scan/batches.json").get_json()
    assert [(b["batch"], b["status"]) for b in listed] == [(batch, "queued")]

    login(client, "ppid")
    assert client.get(f"/scan/{batch}/pages/5.jpg").status_code == 200


@pytest.mark.scanner
def test_a_fault_is_shown_and_lanjutkan_resumes(app, client):
    login(client, "dok")
    csrf = token(client, "/scan/")
    response = client.post("/scan/start", data={"device": DEVICE, "profile": PROFILE, "csrf_token": csrf})
    batch = response.headers["Location"].rsplit("/", 1)[1]
    folder = app.extensions["scan_station"]["settings"].scans_dir / batch
    state = _wait(folder, "interrupted")  # the demo feeder is empty
    assert state["fault"]["kind"] == "no_docs" and "Lanjutkan" in state["fault"]["id"]
    stream = client.get(f"/scan/{batch}/events").get_data(as_text=True)
    assert "Tidak ada kertas di pengumpan" in stream
    entry = add(app)
    client.post("/scan/demo-feeder", data={"register_ids": entry, "csrf_token": csrf})
    assert client.post(f"/scan/{batch}/scan", headers={"X-CSRFToken": csrf}).get_json() == {"started": True}
    assert _wait(folder, "scanned")["pages"] == 3


def test_scan_start_with_bad_choices_says_what_to_do(client):
    login(client, "dok")
    csrf = token(client, "/scan/")
    page = client.post(
        "/scan/start", data={"device": "nope:0", "profile": PROFILE, "csrf_token": csrf}, follow_redirects=True
    )
    assert "Pilih pemindai." in page.get_data(as_text=True)
    page = client.post(
        "/scan/start", data={"device": DEVICE, "profile": "nope", "csrf_token": csrf}, follow_redirects=True
    )
    assert "Pilih profil pemindaian." in page.get_data(as_text=True)
    page = client.post(
        "/scan/demo-feeder", data={"register_ids": "PPID-0-0", "csrf_token": csrf}, follow_redirects=True
    )
    assert "Tidak ada di register: PPID-0-0." in page.get_data(as_text=True)


def test_admin_manages_users_and_profiles(app, client):
    login(client, "admin")
    csrf = token(client, "/admin/")
    bad = client.post(
        "/admin/users",
        data={"username": "baru", "name": "Petugas Baru", "role": "dokumentasi", "password": "pendek",
              "csrf_token": csrf},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "paling sedikit 8 karakter" in bad and 'value="baru"' in bad and 'value="Petugas Baru"' in bad
    client.post("/admin/users", data={"username": "baru", "role": "dokumentasi", "password": PASSWORD,
                                      "csrf_token": csrf})
    client.post("/admin/users/baru/deactivate", data={"csrf_token": csrf})
    assert client.post("/admin/users/nobody/deactivate", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/admin/users/baru/explode", data={"csrf_token": csrf}).status_code == 404
    self_off = client.post("/admin/users/admin/deactivate", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Anda tidak dapat menonaktifkan diri sendiri." in self_off.get_data(as_text=True)
    bad = client.post(
        "/admin/profiles",
        data={
            "name": "Halus",
            "source": "adf",
            "mode": "gray",
            "resolution": "9000",
            "page_size": "A4",
            "csrf_token": csrf,
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Resolusi: 50 sampai 1200 dpi." in bad and 'value="Halus"' in bad
    client.post(
        "/admin/profiles",
        data={
            "name": "Halus",
            "source": "adf",
            "mode": "gray",
            "resolution": "600",
            "page_size": "F4",
            "csrf_token": csrf,
        },
    )
    client.post(f"/admin/profiles/{PROFILE}/remove", data={"csrf_token": csrf})
    assert client.post("/admin/profiles/nope/remove", data={"csrf_token": csrf}).status_code == 404
    with app.extensions["scan_station"]["db"].session() as s:
        assert s.get(UserAccount, "baru").active is False and s.get(UserAccount, "admin").active is True
        assert s.get(ScanProfile, "Halus").page_size == "F4" and s.get(ScanProfile, PROFILE) is None


@pytest.mark.scanner
def test_a_paper_jam_is_shown_with_lanjutkan_and_the_feeder_goes_on(app, client):
    """SANE's test backend as a sheet feeder that jams on the first sheet, then is cleared."""
    import sane

    from scan_station.capture.profiles import add_profile

    add_profile(
        app.extensions["scan_station"]["db"], name="Uji ADF", source="adf", mode="gray", resolution=75, page_size="max"
    )
    login(client, "dok")
    csrf = token(client, "/scan/")
    try:
        with sane.open("test:0") as dev:  # the status stays until cleared, as a real jam does
            dev.read_return_value = "SANE_STATUS_JAMMED"
        response = client.post("/scan/start", data={"device": "test:0", "profile": "Uji ADF", "csrf_token": csrf})
        batch = response.headers["Location"].rsplit("/", 1)[1]
        folder = app.extensions["scan_station"]["settings"].scans_dir / batch
        assert _wait(folder, "interrupted")["fault"]["kind"] == "jammed"
        client.get("/lang/en")
        assert "Paper jam — remove the paper, then press Resume" in client.get(f"/scan/{batch}/events").get_data(
            as_text=True
        )
        assert 'id="resume"' in client.get(f"/scan/{batch}").get_data(as_text=True)
    finally:
        with sane.open("test:0") as dev:  # the officer takes the paper out
            dev.read_return_value = "Default"
    assert client.post(f"/scan/{batch}/scan", headers={"X-CSRFToken": csrf}).get_json() == {"started": True}
    assert _wait(folder, "scanned")["pages"] == 10


@pytest.mark.scanner
def test_rescan_from_the_review_replaces_the_page(app, client):
    entry = add(app, title="Laporan Kegiatan")
    login(client, "dok")
    batch, folder, csrf = _scan(app, client, [entry])
    client.get(f"/review/{batch}")
    empty = client.post("/scan/demo-feeder", data={"register_ids": " ", "csrf_token": csrf}, follow_redirects=True)
    assert "Ketik setidaknya satu nomor register." in empty.get_data(as_text=True)
    settings = app.extensions["scan_station"]["settings"]
    from scan_station.capture.demo import fill_demo_feeder

    fill_demo_feeder(settings, app.extensions["scan_station"]["db"], [entry], pages=1)  # cover + 1 page
    response = client.post(f"/review/{batch}/rescan", data={"page": 2, "csrf_token": csrf})
    assert response.headers["Location"].endswith(f"/scan/{batch}")
    wait_until(lambda: state_of(folder)["pages"] >= 5 and state_of(folder)["status"] == "scanned", 30)
    page = client.get(f"/review/{batch}").get_data(as_text=True)
    assert 'data-page="5"' in page and "Halaman 2" in page  # page 5 took page 2's place; 2 is listed as removed
    from scan_station.capture import review

    plan, _ = review.load(settings, app.extensions["scan_station"]["db"], BatchFolder(folder))
    assert plan.documents[0].batch_pages == [5, 3] and 2 in plan.removed and 4 in plan.removed


@pytest.mark.parametrize("username", ["admin", "ppid", "dok", "atasan"])
def test_no_route_fails_with_a_server_error_on_wrong_ids(app, client, username):
    login(client, username)
    csrf = token(client, "/search")
    for rule in routes(app, skip=("auth.logout", "static")):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method, data={"csrf_token": csrf, "page": "1"})
            assert response.status_code < 500, (username, method, rule.rule, response.status_code)


@pytest.mark.postgres
def test_the_kiosk_on_postgresql(tmp_path, postgres):
    """The same code on PostgreSQL by configuration: the register, users, report and search pages."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "scan-station.toml").write_text(f'database_url = "{postgres()}"\n')
    app = make_app(home)
    client = app.test_client()
    login(client, "ppid")
    csrf = token(client, "/register/new")
    created = client.post(
        "/register/new",
        data={"title": "Laporan Tahunan", "unit": "Umum", "category": "berkala", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "Laporan Tahunan" in created.get_data(as_text=True)
    for url in ("/register/", "/handover/", "/report/", "/search?q=laporan", "/scan/"):
        assert client.get(url).status_code == 200, url
    assert app.extensions["scan_station"]["db"].engine.dialect.name == "postgresql"


def _live_state(client, batch: str) -> dict:
    """The last state event the live screen gets for `batch`."""
    stream = client.get(f"/scan/{batch}/events").get_data(as_text=True)
    states = [line for block in stream.split("\n\n") if block.startswith("event: state")
              for line in block.splitlines() if line.startswith("data: ")]
    return json.loads(states[-1].removeprefix("data: "))


#: Profiles a scanner cannot do, and what the kiosk says (pnm:0: flatbed only, 75–300 dpi, no
#: modes; test:0: flatbed and a simplex feeder, grey and colour, 200 × 200 mm).
UNFIT = [
    ("pnm:0", ("adf", "gray", 300, "A4"), "tidak punya pengumpan dokumen"),
    ("pnm:0", ("adf-duplex", "gray", 300, "A4"), "tidak punya pengumpan dokumen"),
    ("pnm:0", ("flatbed", "gray", 600, "A4"), "tidak dapat memindai pada 600 dpi"),
    ("test:0", ("adf-duplex", "gray", 300, "max"), "tidak punya sumber pengumpan, bolak-balik"),
    ("test:0", ("flatbed", "lineart", 300, "max"), "tidak dapat memindai hitam-putih"),
    ("test:0", ("flatbed", "gray", 300, "A4"), "tidak muat"),
    ("test:0", ("adf", "color", 300, "F4"), "tidak muat"),
]


@pytest.mark.scanner
@pytest.mark.parametrize("device, options, said", UNFIT)
def test_a_profile_the_scanner_cannot_do_is_refused_before_scanning(app, client, device, options, said):
    source, mode, resolution, paper = options
    with app.extensions["scan_station"]["db"].session() as s:
        s.add(ScanProfile(name="Tidak cocok", source=source, mode=mode, resolution=resolution, page_size=paper))
    login(client, "dok")
    scans = app.extensions["scan_station"]["settings"].scans_dir
    before = set(scans.iterdir()) if scans.exists() else set()
    page = client.post("/scan/start", data={"device": device, "profile": "Tidak cocok",
                                            "csrf_token": token(client, "/scan/")}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "pilih profil lain" in text and said in text, text[:3000]
    assert (set(scans.iterdir()) if scans.exists() else set()) == before  # no batch was made
    if device == "pnm:0":  # the first scanner on the screen: its unfit profile is greyed out, saying why
        assert re.search(r'value="Tidak cocok"[^>]*disabled', text) and said in text


@pytest.mark.scanner
def test_a_profile_the_scanner_cannot_do_says_so_on_the_screen(app, client):
    """Scanning on from the live screen (Lanjutkan) with a profile the device cannot do: the fault."""
    from scan_station.capture.scanning import start_batch

    login(client, "dok")
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    folder = start_batch(settings, db, device="test:0", profile=PROFILE, user="dok").path
    csrf = token(client, f"/scan/{folder.name}")
    assert client.post(f"/scan/{folder.name}/scan", headers={"X-CSRFToken": csrf}).get_json() == {"started": True}
    state = _wait(folder, "interrupted")
    assert state["fault"]["kind"] == "profile"
    assert state["fault"]["code"] == "profile_too_big" and "pilih profil lain" in state["fault"]["id"]
    said = _live_state(client, folder.name)["fault"]["text"]
    assert "pilih profil lain" in said and "tidak muat" in said and "200 × 200 mm" in said, said


@pytest.mark.scanner
def test_held_pages_are_assigned_and_a_wrong_id_keeps_what_was_typed(app, client):
    from helpers import batches

    from scan_station.capture.demo import fill_demo_feeder

    entry = add(app, title="Laporan Kegiatan")
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    fill_demo_feeder(settings, db, [], extra=[batches.content("Lampiran tanpa sampul")])  # before any cover: held
    login(client, "dok")
    batch, folder, csrf = _scan(app, client, [entry], waiting=1)
    page = client.get(f"/review/{batch}").get_data(as_text=True)
    assert "Halaman sebelum lembar sampul pertama" in page and "pages before the first cover sheet" not in page
    wrong = client.post(
        f"/review/{batch}/assign",
        data={"held": 0, "register_id": "PPID-2026-99", "csrf_token": csrf},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "PPID-2026-99 tidak ada di register" in wrong and 'value="PPID-2026-99"' in wrong
    client.post(f"/review/{batch}/assign", data={"held": 0, "register_id": entry, "csrf_token": csrf})
    from scan_station.capture import review

    plan, _ = review.load(settings, db, BatchFolder(folder))
    assert plan.held == [] and plan.documents[0].batch_pages == [1, 3, 4]


@pytest.mark.scanner
@pytest.mark.needs_root
def test_a_full_disk_while_scanning_keeps_every_page_written_and_says_so(tmp_path, tiny_disk):
    from PIL import Image

    from scan_station.capture.profiles import add_profile

    disk = tiny_disk(48)  # room for a few pages of SANE's test feeder at 75 dpi, not for ten
    home = tmp_path / "home"
    home.mkdir()
    (home / "scan-station.toml").write_text(f'scans_dir = "{disk}"\n')
    app = make_app(home)
    add_profile(
        app.extensions["scan_station"]["db"], name="Uji ADF", source="adf", mode="gray", resolution=75, page_size="max"
    )
    client = app.test_client()
    login(client, "dok")
    response = client.post(
        "/scan/start", data={"device": "test:0", "profile": "Uji ADF", "csrf_token": token(client, "/scan/")}
    )
    folder = disk / response.headers["Location"].rsplit("/", 1)[1]
    state = _wait(folder, "interrupted")
    kept = state["pages"]
    assert state["fault"]["kind"] == "storage" and 0 < kept < 10
    assert f"{kept} halaman aman" in state["fault"]["id"] and f"mulai halaman {kept + 1}" in state["fault"]["id"]
    assert sorted(p.name for p in folder.glob("page-*.png")) == [f"page-{n:04d}.png" for n in range(1, kept + 1)]
    for n in range(1, kept + 1):
        with Image.open(folder / f"page-{n:04d}.png") as page:
            page.load()  # whole, not cut off by the full disk
    subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)  # space is back
    csrf = token(client, f"/scan/{folder.name}")
    assert client.post(f"/scan/{folder.name}/scan", headers={"X-CSRFToken": csrf}).get_json() == {"started": True}
    state = _wait(folder, "scanned")
    # Lanjutkan: the pages put back are added after those kept (the test feeder gives ten again)
    assert state["pages"] == kept + 10
    assert sorted(p.name for p in folder.glob("page-*.png")) == [f"page-{n:04d}.png" for n in range(1, kept + 11)]


def test_the_administrasi_page_shows_the_system_check(app, client, monkeypatch, tmp_path):
    login(client, "admin")
    page = client.get("/admin/system").get_data(as_text=True)
    assert "Pemeriksaan sistem" in page
    for part in ("tesseract", "ocrmypdf", "ghostscript", "zbar", "zxing-cpp", "sane", "basis data", "folder"):
        assert f"<td>{part}</td>" in page
    assert "tidak ada" not in page and "bahasa ind, eng, osd" in page and "skema 00" in page
    assert not re.search(r"\b(languages|writable|backends|schema)\b", page)
    from scan_station._exec import tesseract

    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # no language data at all
    tesseract._list_langs.cache_clear()
    try:
        page = client.get("/admin/system").get_data(as_text=True)
    finally:
        tesseract._list_langs.cache_clear()
    assert "tidak ada" in page and "apt-get install tesseract-ocr-ind tesseract-ocr-eng tesseract-ocr-osd" in page
    assert "data bahasa ind, eng, osd belum dipasang" in page and "Pasang di server" in page
    for role in ("dok", "ppid", "atasan"):
        client.post("/logout", data={"csrf_token": token(client, "/search")})
        login(client, role)
        assert client.get("/admin/system").status_code == 403


def test_streams_never_read_hold_no_slot(app, client):
    """HEAD requests, and GETs whose body nobody reads, leave the event-stream slots free."""
    app.config["SCAN_EVENTS_SECONDS"], app.config["SCAN_EVENTS_MAX_STREAMS"] = 0.2, 1
    login(client, "dok")
    batch, _folder, _csrf = _scan(app, client, [add(app, title="Laporan Kegiatan")])
    for _ in range(5):
        assert client.head(f"/scan/{batch}/events").status_code == 200
        client.get(f"/scan/{batch}/events", buffered=False).close()  # the body never read
    assert client.get(f"/scan/{batch}/events").get_data(as_text=True).startswith("retry: 500")  # a slot
