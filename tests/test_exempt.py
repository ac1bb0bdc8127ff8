"""Nothing of a "dikecualikan" entry reaches a role that may not see it — not through any screen,
any URL, any review correction or any moment of a scan — while the PPID roles see all of it.

The content of the exempt entries of the lived-in home (tests/helpers/lived_in.py) is known exactly: the
word SECRET in their OCR text, the bytes of their filed PDFs, and the bytes of their scanned pages
and thumbnails in the batch under review. Every response with status 200 is checked for each."""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers.kiosk import every_url, login, make_app, real_values, state_of, token
from helpers.lived_in import SECRET
from markupsafe import escape
from sqlalchemy import select

from scan_station.capture import review
from scan_station.capture.batch_folder import BatchFolder
from scan_station.db.database import AuditRecord, Document

pytestmark = [pytest.mark.ocr, pytest.mark.scanner]
NOT_PPID = [None, "dok", "admin"]
SEARCHES = [f"/search?q={SECRET}", f"/search?q={SECRET}&category=dikecualikan", "/search?q=nota+dinas",
            "/search?q=dokumen+sandi", "/search?q=berita+acara&status=submitted", "/search?q=tidak+boleh+dibuka"]


class Exempt:
    """What may not be served: the secret word, and exact bytes of exempt files."""

    def __init__(self, app, lived):
        settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
        self.app, self.lived, self.settings = app, lived, settings
        with db.session() as s:
            exempt = [s.get(Document, lived.documents[k]) for k in ("exempt", "exempt_kiosk", "exempt_softcopy")]
            self.blobs = {(settings.storage_dir / d.path).read_bytes() for d in exempt}
        self.refresh()

    def refresh(self) -> None:
        """The scanned pages of exempt entries, as the batch under review holds them now."""
        self.pages = {}
        for batch, pages in self.lived.exempt_pages.items():
            folder = BatchFolder(self.settings.scans_dir / batch)
            for n in pages:
                self.pages[(batch, n)] = {folder.page_path(n).read_bytes(), folder.thumb_path(n).read_bytes()}

    def leaks(self, response, url: str = "") -> str | None:
        if response.status_code != 200:
            return None
        body = response.get_data()
        for value in parse_qs(urlsplit(url).query).values():  # what the user typed, shown back
            body = body.replace(f'value="{escape(value[0])}"'.encode(), b"")
        if SECRET.encode() in body.lower():
            return "the secret word"
        if body in self.blobs or any(body in blobs for blobs in self.pages.values()):
            return "an exempt file"
        return None


def urls_to_open(app, lived) -> list[str]:
    values = real_values(app, lived)
    urls = list(SEARCHES)
    return urls + every_url(app, values, skip=("static", "auth.logout"))


def assert_nothing_leaks(client, exempt: Exempt, urls, who) -> int:
    checked = 0
    for url in urls:
        response = client.get(url)
        leak = exempt.leaks(response, url)
        assert leak is None, f"{who} got {leak} from {url}"
        checked += 1
    return checked


@pytest.fixture
def kiosk(lived_in):
    # a live stream gives the batch as it stands, then ends: every batch here is still while it is
    # opened (a scan a correction starts has ended first), so a longer stream would say nothing more
    app = make_app(lived_in.home, users=False, SCAN_EVENTS_SECONDS=0)
    return app, lived_in, Exempt(app, lived_in)


@pytest.mark.parametrize("username", NOT_PPID)
def test_no_screen_serves_exempt_content_to_other_roles(kiosk, username):
    app, lived, exempt = kiosk
    client = app.test_client()
    if username:
        login(client, username)
    assert assert_nothing_leaks(client, exempt, urls_to_open(app, lived), username) > 50


@pytest.mark.parametrize("username", ["ppid", "atasan"])
def test_the_ppid_roles_see_it_all(kiosk, username):
    """The positive control: the same URLs do carry the exempt content for the PPID roles."""
    app, lived, exempt = kiosk
    client = login(app.test_client(), username)
    found = {exempt.leaks(client.get(url), url) for url in urls_to_open(app, lived)}
    assert {"the secret word", "an exempt file"} <= found
    with app.extensions["scan_station"]["db"].session() as s:  # and what they were shown is audited
        shown = s.scalars(select(AuditRecord).where(AuditRecord.actor == username,
                                                    AuditRecord.action == "search.exempt")).all()
    assert shown and all(r.details["query"] is not None and r.details["documents"] for r in shown)


def _wait_idle(folder, seconds=30):
    """Until the kiosk's scan of the batch (if one was started) has ended."""
    from web import scan

    running = scan._threads.get(folder.name)
    if running is not None:
        running.join(seconds)


def _page_urls(batch, pages):
    return [f"/scan/{batch}/pages/{n}.{ext}" for n in range(1, pages + 1) for ext in ("png", "jpg")] + [
        f"/review/{batch}", f"/scan/{batch}", f"/scan/{batch}/events"]


def test_no_review_correction_uncovers_an_exempt_page(kiosk):
    """Move an exempt page into the public document and back, remove and restore it, rotate it,
    rescan it, assign held pages to a public entry: after each, every page URL is checked."""
    app, lived, exempt = kiosk
    batch = lived.batches["review"]
    folder = exempt.settings.scans_dir / batch
    client = login(app.test_client(), "dok")
    csrf = token(client, f"/review/{batch}")
    actions = []
    for page in lived.exempt_pages[batch]:
        actions += [("move", {"page": page, "direction": "next"}), ("move", {"page": page, "direction": "prev"}),
                    ("remove", {"page": page}), ("restore", {"page": page}), ("rotate", {"page": page}),
                    ("rescan", {"page": page}), ("cancel-rescan", {})]
    actions += [("assign", {"held": n, "register_id": lived.entries["unfiled"]}) for n in range(3)]
    checked = 0
    for action, form in actions:
        client.post(f"/review/{batch}/{action}", data=form | {"csrf_token": csrf})
        _wait_idle(folder)
        urls = _page_urls(batch, state_of(folder)["pages"])
        checked += assert_nothing_leaks(client, exempt, urls, f"dok after {action} {form}")
    assert checked > 300


def test_a_rescanned_exempt_page_is_hidden_from_the_moment_it_is_scanned(kiosk):
    from helpers import batches

    from scan_station.capture.demo import fill_demo_feeder

    app, lived, exempt = kiosk
    batch = lived.batches["review"]
    folder = exempt.settings.scans_dir / batch
    fill_demo_feeder(exempt.settings, app.extensions["scan_station"]["db"], [],
                     extra=[batches.content("Nota dinas pengganti")])
    client = login(app.test_client(), "dok")
    csrf = token(client, f"/review/{batch}")
    before = state_of(folder)["pages"]
    client.post(f"/review/{batch}/rescan", data={"page": 2, "csrf_token": csrf})  # an exempt page
    _wait_idle(folder)
    new = state_of(folder)["pages"]
    assert new == before + 1
    for ext in ("png", "jpg"):  # before the review is loaded again
        assert client.get(f"/scan/{batch}/pages/{new}.{ext}").status_code == 404
    ppid = login(app.test_client(), "ppid")
    assert ppid.get(f"/scan/{batch}/pages/{new}.png").status_code == 200


def test_a_page_not_yet_classified_is_served_to_no_one_but_the_ppid(kiosk):
    """The moment between a page being written and classified: whose page it is is not known yet."""
    app, lived, exempt = kiosk
    batch = lived.batches["review"]
    folder = exempt.settings.scans_dir / batch
    batch_folder = BatchFolder(folder)
    n = batch_folder.read_state().pages + 1
    shutil.copy(batch_folder.page_path(1), batch_folder.page_path(n))  # the exempt entry's cover
    shutil.copy(batch_folder.thumb_path(1), batch_folder.thumb_path(n))
    batch_folder.update(pages=n)
    client = login(app.test_client(), "dok")
    for ext in ("png", "jpg"):
        assert client.get(f"/scan/{batch}/pages/{n}.{ext}").status_code == 404
    events = client.get(f"/scan/{batch}/events").get_data(as_text=True)
    assert f'"page": {n}, "kind": null' in events and f"/pages/{n}.jpg" not in events
    assert login(app.test_client(), "ppid").get(f"/scan/{batch}/pages/{n}.jpg").status_code == 200


def test_exempt_pages_in_a_public_document_wait_for_a_petugas_ppid_to_confirm(kiosk):
    """The review batch has an exempt page moved into the public document: a role that may not see
    it cannot file it there (it would then be shown to everyone)."""
    app, lived, exempt = kiosk
    batch = lived.batches["review"]
    folder = BatchFolder(exempt.settings.scans_dir / batch)
    db = app.extensions["scan_station"]["db"]
    plan, _pages = review.load(exempt.settings, db, folder)  # give the exempt document a page back
    held = next(i for i, g in enumerate(plan.held) if 2 in g.batch_pages)  # restored earlier, held
    review.assign(plan, db, held, lived.entries["exempt"])
    review.save(folder, plan)
    assert plan.problems() == []
    for username in ("dok", "admin"):
        client = login(app.test_client(), username)
        answer = client.post(f"/review/{batch}/confirm", data={"csrf_token": token(client, f"/review/{batch}")},
                             follow_redirects=True)
        assert answer.status_code == 200 and "perlu dikonfirmasi Petugas PPID" in answer.get_data(as_text=True)
        assert folder.read_state().status == "scanned"


@pytest.mark.parametrize("entry_key, new_category", [("exempt", "berkala"), ("unfiled", "dikecualikan")])
def test_only_the_ppid_roles_move_an_entry_into_or_out_of_dikecualikan(kiosk, entry_key, new_category):
    from scan_station.db.database import Entry

    app, lived, _exempt = kiosk
    entry_id = lived.entries[entry_key]
    db = app.extensions["scan_station"]["db"]
    with db.session() as s:
        before = s.get(Entry, entry_id)
        form = {"title": before.title, "unit": before.unit, "category": new_category}
    client = login(app.test_client(), "admin")
    answer = client.post(f"/register/{entry_id}/edit", data=form | {"csrf_token": token(client, "/register/")})
    refused = "Hanya Petugas PPID atau Atasan PPID yang boleh mengubah kategori"
    assert answer.status_code == 400 and refused in answer.get_data(as_text=True)
    with db.session() as s:
        assert s.get(Entry, entry_id).category != new_category
    client = login(app.test_client(), "ppid")
    answer = client.post(f"/register/{entry_id}/edit", data=form | {"csrf_token": token(client, "/register/")})
    assert answer.status_code == 302
    with db.session() as s:
        assert s.get(Entry, entry_id).category == new_category


def test_a_csv_import_by_admin_does_not_move_entries_out_of_dikecualikan(kiosk):
    import io

    from scan_station.db.database import Entry

    app, lived, _exempt = kiosk
    entry_id = lived.entries["exempt"]
    db = app.extensions["scan_station"]["db"]
    csv_text = ("Nomor Register,Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\n"
                f"{entry_id},Nota Dinas Rahasia,Subbagian Umum,berkala\n")
    for username, allowed in (("admin", False), ("ppid", True)):
        client = login(app.test_client(), username)
        answer = client.post("/register/import", data={
            "file": (io.BytesIO(csv_text.encode()), "dip.csv"), "csrf_token": token(client, "/register/")},
            content_type="multipart/form-data", follow_redirects=True)
        assert answer.status_code == 200
        with db.session() as s:
            assert (s.get(Entry, entry_id).category == "berkala") == allowed, username
        if not allowed:
            assert "Hanya Petugas PPID atau Atasan PPID yang boleh mengubah kategori" in answer.get_data(as_text=True)
