"""The audit log for its readers (issue 24): after a week of real work, every record reads as a
sentence in the kiosk's language ("Ppid menerima PPID-2026-000001 versi 1"), its details as
labelled fields (never JSON), the actions as a choice list of names that filters by the code
underneath; every action code the source writes has a sentence and its Indonesian translation."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from helpers.audit_codes import written_codes
from helpers.kiosk import login, make_app, token
from helpers.lived_in import SECRET
from sqlalchemy import func, select

from scan_station import register
from scan_station.accounts import grants, users
from scan_station.archive import bag, fixity
from scan_station.audit import log as audit
from scan_station.capture.batch_folder import BatchFolder
from scan_station.capture.cancel import cancel_batch
from scan_station.db.database import AuditRecord
from scan_station.records import reconcile
from web import audit_fields, audit_text
from web.audit_text import ACTIONS, GENERIC, GROUPS

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: Codes that are also plain words of a sentence ("login"), not looked for as bare codes in the text.
WORDS = {"login", "export"}


def _catalog():
    with (ROOT / "web" / "translations" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_every_action_code_the_source_writes_has_a_sentence():
    codes, unknown = written_codes()
    assert not unknown, f"actions written in a way the scan cannot tell (give them a literal code): {unknown}"
    # the scan follows conditionals, f-strings, constants and functions that pass the action on
    assert {"login.failed", "user.deactivate", "fixity.mismatch", "handover.accepted", "document.view",
            "document.download", "search.exempt", "import-bag"} <= codes
    missing = sorted(codes - set(ACTIONS))
    assert not missing, f"action codes without a sentence in web/audit_text.py ACTIONS: {missing}"
    assert not sorted(set(ACTIONS) - codes), "sentences for codes nothing writes any more"


def test_every_action_is_in_the_choice_list_once():
    listed = [item for _label, items in GROUPS for item in items if isinstance(item, str)]
    assert sorted(listed) == sorted(ACTIONS)
    prefixes = [item[0] for _label, items in GROUPS for item in items if not isinstance(item, str)]
    assert not set(prefixes) & set(ACTIONS)  # "every ..." choices are prefixes, never a code
    assert all(any(code.startswith(p + ".") for code in ACTIONS) for p in prefixes)


def test_every_sentence_and_name_has_its_indonesian_translation():
    catalog = _catalog()
    texts = [GENERIC, *(a.name for a in ACTIONS.values()), *(a.sentence for a in ACTIONS.values()),
             *(label for label, _items in GROUPS),
             *(item[1] for _label, items in GROUPS for item in items if not isinstance(item, str)),
             *audit_fields.LABELS.values(), *audit_fields.CHANGES.values(), *audit_fields.VIA.values()]
    for text in texts:
        msgid = getattr(text, "_args", (text,))[0]  # a lazy string's msgid
        message = catalog.get(msgid)
        if msgid == "SHA-256":
            continue
        assert message and message.string, f"no Indonesian for {msgid!r}"
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(message.string)), msgid


# -- after real work ----------------------------------------------------------------------------


@pytest.fixture
def worked(lived_in, tmp_path):
    """The lived-in home after the rest of an office's week: logins (one failed), a "dikecualikan"
    document opened, downloaded and found, an entry changed, users and access managed, cover
    sheets printed, a batch cancelled, a bag exported, the scheduled check; and a bag imported from
    elsewhere."""
    app = make_app(lived_in.home, users=False, LOGIN_RATE_LIMIT="10000 per minute")
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    e, d = lived_in.entries, lived_in.documents
    stranger = app.test_client()
    stranger.post("/login", data={"username": "ppid", "password": "salah-sekali", "csrf_token": token(stranger)})
    ppid = login(app.test_client(), "ppid")
    ppid.get(f"/handover/{d['exempt']}")
    ppid.get(f"/documents/{d['exempt']}.pdf")
    ppid.get(f"/search?q={SECRET}")
    with db.session() as s:
        fields = register.entry_dict(register.get_entry(s, e["accepted"])) | {"title": "Laporan Kegiatan Tahunan 2025"}
        register.update_entry(s, e["accepted"], actor="ppid", **{k: v for k, v in fields.items() if k != "id"})
        users.set_active(s, "ppid2", False, actor="admin")
        users.set_active(s, "ppid2", True, actor="admin")
        users.set_password(s, "ppid2", "Kata-sandi-baru-2026", actor="admin")
        waiting = [r for r in grants.requests(s) if r.status == grants.PENDING]
        for request in waiting:
            grants.refuse(s, request.id, actor="atasan", actor_role="atasan")
        reconcile.record_print(s, [e["unfiled"], e["accepted"]], printed_by="dok")
    cancel_batch(settings, db, BatchFolder.open(settings.scans_dir, lived_in.batches["interrupted"]), user="dok")
    bag.export(settings, db, tmp_path / "bag", entry_ids=[e["accepted"]], actor="cli:root")
    fixity.check(settings, db)
    with db.session() as s:  # a bag from another installation, as `import-bag` records it
        audit.record(s, "cli:root", "import-bag", "bag-kpu-banten", documents=[["PPID-2025-000009", 1]],
                     source={"Source-Organization": "KPU Provinsi Banten", "Bagging-Date": "2026-02-03"},
                     anchors=[{"path": "batches/2025/B1/batch.json", "seq": 4, "hash": "ab" * 32}],
                     foreign_records=[{"seq": 1, "actor": "budi", "action": "register.add", "details": {"new": {}}}])
    return app, lived_in


class _Text(HTMLParser):
    """The words a reader sees (no tags, no attribute values)."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []

    def handle_data(self, data: str) -> None:
        self.words.append(data)


def _text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.words))


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', page)


def _all_pages(client, query: str = "") -> list[str]:
    pages, number = [], 1
    while True:
        page = client.get(f"/audit/?{query}&page={number}").get_data(as_text=True)
        pages.append(page)
        if 'rel="next"' not in page:
            return pages
        number += 1


def _counts(app) -> dict[str, int]:
    with app.extensions["scan_station"]["db"].session() as s:
        return dict(s.execute(select(AuditRecord.action, func.count()).group_by(AuditRecord.action)).all())


@pytest.mark.ocr
@pytest.mark.scanner
@pytest.mark.slow
def test_the_log_reads_as_sentences_for_the_ppid_roles(worked):
    app, lived = worked
    # every action but a copy (none was made) and one of the two outcomes of the check is there
    assert set(ACTIONS) - set(_counts(app)) <= {"document.copy", "fixity.check", "fixity.mismatch"}
    for username in ("dok", "admin"):
        assert login(app.test_client(), username).get("/audit/").status_code == 403  # as before
    accepted = lived.entries["accepted"]
    for username in ("ppid", "atasan"):
        client = login(app.test_client(), username)
        counts = _counts(app)
        pages = _all_pages(client)
        rows, text = [r for p in pages for r in _rows(p)], " ".join(_text(p) for p in pages)
        assert len(rows) == sum(counts.values())
        for page in pages:
            assert not re.search(r"\{\s*(\"|'|&#34;|&#39;|&quot;)", page), "raw JSON in the page"
        for code in set(ACTIONS) - WORDS:
            assert not re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w.-])", text), f"bare code {code}"
        assert f"Ppid menerima {accepted} v1 versi 1" not in text  # an entry is named once, with its version
        assert f"Ppid menerima {accepted} versi 1" in text
        assert f'href="/register/{accepted}"' in pages[0] or any(f'href="/register/{accepted}"' in p for p in pages)
        assert f"Ppid mengembalikan {lived.entries['returned']} versi 1 kepada petugas dokumentasi" in text
        assert f"Ppid membuka dokumen dikecualikan {lived.entries['exempt']} versi 1" in text
        assert "Gagal masuk sebagai Ppid dari" in text
        assert "Admin menonaktifkan pengguna Petugas PPID Kedua" in text
        assert "Atasan menolak akses untuk Ppid" in text
        assert re.search(r"Sistem memeriksa berkas tersimpan dan log audit", text)
        assert "Baris perintah (root) mengekspor 2 dokumen sebagai bag" in text
        assert "Baris perintah (root) mengimpor 1 dokumen dari bag bag-kpu-banten" in text
        assert f"Dok membatalkan batch {lived.batches['interrupted']}" in text
        assert re.search(r"\b\d{2}-\d{2}-20\d{2} \d{2}:\d{2}\b", text)  # times as dd-mm-yyyy HH:MM


def _details(page: str, action: str) -> list[dict[str, str]]:
    """The labelled fields of each row of `action`."""
    found = []
    for row in re.findall(rf'<tr data-action="{re.escape(action)}">(.*?)</tr>', page, re.S):
        pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", row, re.S)
        found.append({_text(k): _text(v) for k, v in pairs})
    return found


@pytest.mark.ocr
@pytest.mark.scanner
@pytest.mark.slow
def test_details_are_labelled_fields_in_the_readers_language(worked):
    app, lived = worked
    ppid = login(app.test_client(), "ppid")
    returned = _details(ppid.get("/audit/?action=handover.returned").get_data(as_text=True), "handover.returned")
    assert returned[0]["Alasan"] == "Halaman terpotong" and returned[0]["Dokumen"] == "Buka dokumen"
    assert returned[0]["SHA-256"] and "sha256" not in returned[0]
    started = _details(ppid.get("/audit/?action=scan.start").get_data(as_text=True), "scan.start")[0]
    assert started["Perangkat"] == "pnm:0" and started["Profil"] == "Teks abu-abu 300 dpi, kaca"
    changed = _details(ppid.get("/audit/?action=register.change").get_data(as_text=True), "register.change")
    assert {"Judul Informasi": "Laporan Kegiatan Tahunan → Laporan Kegiatan Tahunan 2025"}.items() <= changed[0].items()
    added = _details(ppid.get(f"/audit/?action=register.add&subject={lived.entries['accepted']}").get_data(
        as_text=True), "register.add")[0]
    assert added["Waktu Pembuatan Informasi"] == "01-06-2025" and added["Kategori Informasi"] == "berkala"
    asked = _details(ppid.get("/audit/?action=access.ask").get_data(as_text=True), "access.ask")
    assert {"Permintaan": "pengguna baru", "Peran": "Petugas PPID"}.items() <= asked[-1].items()
    imported = _details(ppid.get("/audit/?action=import-bag").get_data(as_text=True), "import-bag")[0]
    assert imported["Catatan audit instalasi lain"] == "1 catatan"
    assert imported["Sumber"] == "Source-Organization: KPU Provinsi Banten; Bagging-Date: 03-02-2026"
    confirmed = ppid.get("/audit/?action=review.confirm").get_data(as_text=True)
    assert re.search(r"PPID-\d{4}-\d{6} \(halaman \d+(, \d+)*\)", _text(confirmed))


@pytest.mark.ocr
@pytest.mark.scanner
@pytest.mark.slow
def test_each_choice_shows_only_its_action(worked):
    app, _lived = worked
    client = login(app.test_client(), "atasan")
    counts = _counts(app)
    page = client.get("/audit/").get_data(as_text=True)
    values = re.findall(r'<option value="([^"]*)"', page.split('name="action"')[1].split("</select>")[0])
    assert set(ACTIONS) <= set(values) and "" in values
    for value in filter(None, values):
        shown = [row for p in _all_pages(client, f"action={value}") for row in _rows(p)]
        expected = counts.get(value, 0) if value in ACTIONS else sum(
            n for code, n in counts.items() if code.startswith(value + "."))
        assert len(shown) == expected, value
        assert all(row == value or (value not in ACTIONS and row.startswith(value + ".")) for row in shown), value
        chosen = client.get(f"/audit/?action={value}").get_data(as_text=True)
        assert f'<option value="{value}" selected>' in chosen
    # the other filters and the CSV (codes, for machines) still work alongside
    ppid_logins = _rows(client.get("/audit/?action=login&actor=ppid").get_data(as_text=True))
    assert ppid_logins and set(ppid_logins) == {"login"}
    csv = client.get("/audit/audit.csv?action=login").get_data(as_text=True)
    assert csv.splitlines()[0] == "seq,at,actor,action,subject,details,prev_hash,hash"
    assert all(line.split(",")[3] == "login" for line in csv.splitlines()[1:])


@pytest.mark.ocr
@pytest.mark.scanner
@pytest.mark.slow
def test_english_through_the_language_switch(worked):
    app, lived = worked
    client = login(app.test_client(), "ppid")
    client.get("/lang/en")
    text = " ".join(_text(p) for p in _all_pages(client))
    assert f"Ppid accepted {lived.entries['accepted']} version 1" in text
    assert "The system checked the stored files and the audit log" in text
    assert "The command line (root) exported 2 documents as bag" in text
    assert "Failed login as Ppid from" in text and "menerima" not in text
    page = client.get("/audit/?action=handover.returned").get_data(as_text=True)
    assert "Document returned" in page and "Reason" in _text(page)


# -- the parts on their own --------------------------------------------------------------------


@pytest.fixture
def request_context(home):
    app = make_app(home)
    with app.test_request_context("/audit/"):
        yield


@pytest.mark.parametrize("actor, said", [
    ("scheduler", "Sistem"), ("cli:root", "Baris perintah (root)"), ("cli", "Baris perintah"),
    ("-", "Pengguna tak dikenal"), ("budi", "Budi Santoso"), ("tamu", "Tamu"),
])
def test_every_kind_of_actor_reads_well(request_context, actor, said):
    record = {"action": "register.add", "actor": actor, "subject": "PPID-2026-000006", "details": {}}
    sentence = audit_text.sentence(record, {"budi": "Budi Santoso"})
    assert _text(sentence) == f"{said} menambahkan PPID-2026-000006 ke daftar"
    assert 'href="/register/PPID-2026-000006"' in sentence


def test_a_code_without_a_sentence_still_reads_as_one(request_context):
    record = {"action": "batch.cancel", "actor": "budi", "subject": "B20260101-0001", "details": {}}
    assert _text(audit_text.sentence(record, {"budi": "Budi"})) == "Budi: batch.cancel pada B20260101-0001"
    unversioned = {"action": "handover.accepted", "actor": "budi", "subject": "PPID-2026-000006", "details": {}}
    assert "handover.accepted pada" in _text(audit_text.sentence(unversioned, {}))  # no version to name


def test_no_detail_is_shown_as_json(request_context):
    details = {"weird_key": {"a": [1, {"b": "c"}], "at": "2026-03-04T05:06:07+00:00"}, "many": list(range(40)),
               "flag": True, "nothing": None, "empty": "", "documents": [{"register_id": "PPID-2026-000001",
                                                                         "batch_pages": [1, 2]}]}
    fields = audit_fields.fields({"action": "x.y", "details": details}, {})
    labels = [label for label, _value in fields]
    assert labels == ["weird key", "many", "flag", "Dokumen"]  # empty values left out, unknown keys as labels
    shown = " ".join(str(v) for _label, v in fields)
    assert "{" not in shown and "[" not in shown
    assert "at: 04-03-2026 05:06" in shown and "dan 28 lainnya" in shown and "Ya" in shown
    assert 'href="/register/PPID-2026-000001"' in shown and "halaman 1, 2" in shown
    for odd in (["a", {"b": 1}], "just text", 7, None):
        assert "{" not in " ".join(str(v) for _l, v in audit_fields.fields({"action": "x", "details": odd}, {}))


def test_hostile_values_are_escaped(request_context):
    record = {"action": "register.change", "actor": "<b>x</b>", "subject": '"><script>alert(1)</script>',
              "details": {"old": {"title": "<i>a</i>"}, "new": {"title": "b"}}}
    sentence = audit_text.sentence(record, {})
    fields = audit_fields.fields(record, {})
    assert "<script>" not in sentence and "<b>" not in sentence
    assert "<i>" not in " ".join(str(v) for _l, v in fields)


def test_documents_by_number_link_to_their_pages(request_context):
    fields = dict(audit_fields.fields({"action": "berita_acara.make", "details": {"documents": [3, 4]}}, {}))
    assert 'href="/handover/3"' in fields["Dokumen"] and "#4" in fields["Dokumen"]


def test_filed_documents_are_counted_in_a_document_count(request_context):
    record = {"action": "export", "actor": "cli:root", "subject": "bag-1", "details": {"documents": [["A", 1]] * 3}}
    assert _text(audit_text.sentence(record, {})) == "Baris perintah (root) mengekspor 3 dokumen sebagai bag bag-1"


@pytest.mark.browser
@pytest.mark.ocr
@pytest.mark.scanner
@pytest.mark.slow
def test_nothing_scrolls_sideways_at_1280(worked):
    """In Chromium at 1280×800, the log (long values included) is no wider than the screen; the
    kiosk is served to the browser from Flask's test client, its headers (CSP) and all. Screenshots
    go where the browser test puts its own (artifacts/screenshots/)."""
    from playwright.sync_api import sync_playwright
    from test_e2e import CHROMIUM, CHROMIUM_ARGS, shot

    app, _lived = worked
    with app.extensions["scan_station"]["db"].session() as s:
        audit.record(s, "cli:root", "register.change", "PPID-2026-" + "9" * 150,
                     old={"summary": "x" * 600}, new={"summary": "Ringkasan " * 60}, reason="y" * 400)
    client = login(app.test_client(), "ppid")

    def serve(route):
        answer = client.get(route.request.url.removeprefix("http://kiosk.test"))
        route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.get_data())

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("http://kiosk.test/**", serve)
            for url in ("/audit/", "/audit/?action=register.change", "/audit/?action=import-bag",
                        "/audit/?action=review.confirm"):
                page.goto(f"http://kiosk.test{url}")
                assert page.locator("#audit tbody tr").count() > 0, url
                assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
                shot(page, "audit-log" + ("-" + url.split("=")[1] if "=" in url else ""))  # for the staff guide
        finally:
            browser.close()


def test_what_the_storage_check_found_is_named_in_the_readers_language(request_context):
    record = {"action": "fixity.check", "details": {"problems": ["missing: 2026/umum/a.pdf", "mismatch: b.json",
                                                                "orphan: c.pdf", "something else"]}}
    shown = " ".join(str(v) for _label, v in audit_fields.fields(record, {}))
    assert "tidak ada: 2026/umum/a.pdf" in shown and "berubah sejak disimpan: b.json" in shown
    assert "tidak tercatat di basis data: c.pdf" in shown and "mismatch" not in shown
