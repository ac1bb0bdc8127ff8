"""The kiosk's Flask app through the test client: auth, roles, CSRF, bad input, wrong ids."""

from __future__ import annotations

import pikepdf
import pytest
from helpers.kiosk import PASSWORD, add, login, make_app, token

from scan_station.accounts.users import add_user
from scan_station.db.database import Entry
from web import create_app, service


@pytest.fixture
def app(home):
    return make_app(home)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize("url", ["/", "/register/", "/register/new", "/register/export.csv", "/register/X/edit"])
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_static_assets_and_login_page_are_open(client):
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/login").status_code == 200


def test_login_in_indonesian_and_english(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Masuk" in page and "Kata sandi" in page
    client.get("/lang/en")
    assert "Password" in client.get("/login").get_data(as_text=True)


def test_wrong_password_keeps_the_username(client):
    response = client.post("/login", data={"username": "dok", "password": "salah", "csrf_token": token(client)})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Nama pengguna atau kata sandi salah." in page and 'value="dok"' in page


def test_forms_without_csrf_token_are_rejected(client):
    assert client.post("/login", data={"username": "dok", "password": PASSWORD}).status_code == 400
    login(client, "dok")
    assert client.post("/register/new", data={"title": "x", "unit": "u", "category": "berkala"}).status_code == 400


def test_login_attempts_are_rate_limited(client):
    codes = [
        client.post("/login", data={"username": "dok", "password": "salah", "csrf_token": token(client)}).status_code
        for _ in range(7)
    ]
    assert codes[:5] == [401] * 5 and codes[-1] == 429


def test_sessions_end_after_inactivity(home):
    app = create_app({"SCAN_STATION_HOME": str(home), "SECRET_KEY": "t", "SESSION_IDLE_MINUTES": 0})
    with app.extensions["scan_station"]["db"].session() as s:
        add_user(s, username="dok", password=PASSWORD, role="dokumentasi")
    client = app.test_client()
    client.post("/login", data={"username": "dok", "password": PASSWORD, "csrf_token": token(client)})
    assert client.get("/register/").status_code == 302  # the session cookie expired at once


def test_roles(app, client):
    entry_id = add(app)
    login(client, "atasan")
    assert client.get("/register/").status_code == 200
    assert client.get("/register/new").status_code == 403
    assert client.get(f"/register/{entry_id}/edit").status_code == 403
    client.post("/logout", data={"csrf_token": token(client, "/register/")})
    login(client, "dok")
    assert client.get("/register/new").status_code == 200
    assert client.get(f"/register/{entry_id}/edit").status_code == 403


def test_create_entry_and_bad_input_keeps_what_was_typed(app, client):
    login(client, "dok")
    bad = {
        "title": "Laporan Tahunan 2025",
        "unit": "Subbagian Umum",
        "category": "rahasia",
        "csrf_token": token(client, "/register/new"),
    }
    response = client.post("/register/new", data=bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Kategori rahasia bukan salah satu dari berkala" in page and 'value="Laporan Tahunan 2025"' in page
    assert "is not one of" not in page  # the kiosk's language, not the service's
    good = bad | {"category": "berkala", "created_date": "2025-03-01"}
    assert client.post("/register/new", data=good).status_code == 302
    assert "Laporan Tahunan 2025" in client.get("/register/").get_data(as_text=True)


def test_edit_and_wrong_ids(app, client):
    entry_id = add(app, title="Lama")
    login(client, "ppid")
    assert client.get("/register/PPID-1999-999999/edit").status_code == 404
    data = {
        "title": "Baru",
        "unit": "Umum",
        "category": "berkala",
        "csrf_token": token(client, f"/register/{entry_id}/edit"),
    }
    assert client.post(f"/register/{entry_id}/edit", data=data).status_code == 302
    with app.extensions["scan_station"]["db"].session() as s:
        assert s.get(Entry, entry_id).title == "Baru"


def test_cover_sheets_open_as_pdf_in_the_print_dialog(app, client, tmp_path):
    ids = [add(app, title="Satu"), add(app, title="Dua")]
    login(client, "dok")
    response = client.post("/register/coversheets", data={"ids": ids, "csrf_token": token(client, "/register/")})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(response.data)
    with pikepdf.open(tmp_path / "c.pdf") as pdf:
        assert len(pdf.pages) == 2
        assert pdf.Root.OpenAction.S == "/JavaScript" and "print" in str(pdf.Root.OpenAction.JS)
    missing = client.post("/register/coversheets", data={"ids": ["NOPE-1"], "csrf_token": token(client, "/register/")})
    assert missing.status_code == 404


def test_csv_import_reports_rows_and_writes_nothing(app, client):
    login(client, "ppid")
    csv_text = "Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\nA,Umum,berkala\nB,,berkala\n"
    from io import BytesIO

    response = client.post(
        "/register/import",
        data={"file": (BytesIO(csv_text.encode()), "dip.csv"), "csrf_token": token(client, "/register/")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Baris 3: Pejabat/Unit yang Menguasai Informasi wajib diisi." in page and "Tidak ada yang diimpor." in page
    with app.extensions["scan_station"]["db"].session() as s:
        assert s.query(Entry).count() == 0
    export = client.get("/register/export.csv")
    assert export.mimetype == "text/csv" and "Judul Informasi" in export.get_data(as_text=True)


HEADER = "Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi"


@pytest.mark.parametrize(
    "body, shown",
    [
        (f"{HEADER}\n{'x' * 200_000},Umum,berkala\n".encode(), "Baris 2:"),
        (f"{HEADER}\rA,Umum,berkala\rB,Umum,berkala\r".encode(), "2 dibuat"),
        (f"{HEADER}\nPeraturan ’25,Umum,berkala\n".encode("cp1252"), "CSV UTF-8"),
    ],
    ids=["huge-cell", "cr-line-ends", "not-utf8"],
)
def test_csv_files_the_csv_module_chokes_on_are_no_server_error(client, body, shown):
    from io import BytesIO

    login(client, "ppid")
    response = client.post(
        "/register/import",
        data={"file": (BytesIO(body), "dip.csv"), "csrf_token": token(client, "/register/")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert shown in response.get_data(as_text=True)


def test_serve_runs_the_kiosk_behind_waitress(home):
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scan_station", "--home", str(home), "serve", "--port", str(port), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = json.loads(proc.stdout.readline())["url"]
        for _ in range(50):
            try:
                with urllib.request.urlopen(url + "login", timeout=2) as response:
                    assert response.status == 200 and "Masuk" in response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the kiosk did not answer")
    finally:
        proc.terminate()  # SIGTERM, as systemd stops the service
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr  # a clean stop: the worker and its OCR children ended
    assert "Traceback" not in stderr and "leaked" not in stderr


@pytest.mark.ocr
def test_search_page_and_withheld_documents(app, client, tmp_path):
    """'dikecualikan' documents exist only for PPID roles: in results and downloads alike."""
    from helpers import batches

    from scan_station.filing.ingest import ingest
    from scan_station.filing.sources import IngestSource

    open_id = add(app, title="Pengumuman Terbuka", category="berkala")
    withheld_id = add(app, title="Berkas Dikecualikan", category="dikecualikan")
    pages = [
        batches.cover(open_id),
        batches.content("Rapat pleno terbuka", paragraphs=["Rapat pleno terbuka digelar."]),
        batches.cover(withheld_id),
        batches.content("Rapat pleno tertutup", paragraphs=["Rapat pleno tertutup digelar."]),
    ]
    with app.app_context():
        settings, db = service()
        result = ingest(IngestSource.batch_file(batches.write_pdf(pages, tmp_path / "b.pdf")), settings=settings, db=db)
    assert len(result.documents) == 2
    login(client, "dok")
    page = client.get("/search?q=pleno").get_data(as_text=True)
    assert open_id in page and withheld_id not in page and "<mark>pleno</mark>" in page.lower()
    from scan_station.db.database import Document

    with app.extensions["scan_station"]["db"].session() as s:
        ids = {d.register_id: d.id for d in s.query(Document)}
    assert client.get(f"/documents/{ids[open_id]}.pdf").mimetype == "application/pdf"
    assert client.get(f"/documents/{ids[withheld_id]}.pdf").status_code == 404
    client.post("/logout", data={"csrf_token": token(client, "/search")})
    login(client, "ppid")
    page = client.get("/search?q=pleno").get_data(as_text=True)
    assert open_id in page and withheld_id in page
    assert client.get(f"/documents/{ids[withheld_id]}.pdf").status_code == 200
    assert client.get("/documents/99999.pdf").status_code == 404


@pytest.mark.ocr
def test_handover_accept_or_return_with_who_and_when(app, client, tmp_path):
    from helpers import batches

    from scan_station.db.database import Document, DocumentEvent
    from scan_station.filing.ingest import ingest
    from scan_station.filing.sources import IngestSource

    ids = [add(app, title="Notulen Rapat"), add(app, title="Surat Edaran")]
    pages = [
        batches.cover(ids[0]),
        batches.content("Notulen", paragraphs=["Notulen rapat koordinasi."]),
        batches.cover(ids[1]),
        batches.content("Surat", paragraphs=["Surat edaran kepada satuan kerja."]),
    ]
    with app.app_context():
        settings, db = service()
        ingest(IngestSource.batch_file(batches.write_pdf(pages, tmp_path / "b.pdf")), settings=settings, db=db)
    with app.extensions["scan_station"]["db"].session() as s:
        doc_ids = {d.register_id: d.id for d in s.query(Document)}
    first, second = doc_ids[ids[0]], doc_ids[ids[1]]

    login(client, "dok")
    assert client.post(f"/handover/{first}/accept", data={"csrf_token": token(client, "/handover/")}).status_code == 403
    client.post("/logout", data={"csrf_token": token(client, "/handover/")})

    login(client, "ppid")
    listing = client.get("/handover/").get_data(as_text=True)
    assert ids[0] in listing and ids[1] in listing
    page = client.get(f"/handover/{first}").get_data(as_text=True)
    assert "Notulen rapat koordinasi" in page and "Diterima, disimpan" in page
    assert client.get("/handover/99999").status_code == 404
    csrf = token(client, f"/handover/{first}")
    no_reason = client.post(
        f"/handover/{first}/return", data={"reason": " ", "csrf_token": csrf}, follow_redirects=True
    )
    assert "Dokumen yang dikembalikan perlu alasan" in no_reason.get_data(as_text=True)
    client.post(f"/handover/{first}/return", data={"reason": "Halaman 2 terpotong", "csrf_token": csrf})
    client.post(f"/handover/{second}/accept", data={"csrf_token": csrf})
    again = client.post(f"/handover/{second}/accept", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Sudah diputuskan" in again.get_data(as_text=True)  # in the kiosk's language, not the service's words
    with app.extensions["scan_station"]["db"].session() as s:
        assert s.get(Document, first).status == "returned" and s.get(Document, second).status == "accepted"
        events = {(e.document_id, e.action, e.actor) for e in s.query(DocumentEvent)}
        assert events == {
            (first, "submitted", "-"),
            (second, "submitted", "-"),  # ingested from the command line
            (first, "returned", "ppid"),
            (second, "accepted", "ppid"),
        }
    client.post("/logout", data={"csrf_token": token(client, "/handover/")})

    login(client, "dok")  # the submitter sees what came back, and why
    listing = client.get("/handover/").get_data(as_text=True)
    assert "Halaman 2 terpotong" in listing and "ppid" in listing
    assert client.get("/report/").status_code == 403
    client.post("/logout", data={"csrf_token": token(client, "/handover/")})

    login(client, "atasan")  # the monthly report
    month = s.get(Document, first).filed_at.strftime("%Y-%m")
    page = client.get(f"/report/?month={month}").get_data(as_text=True)
    assert "Halaman 2 terpotong" in page and "<td>Umum</td><td>2</td><td>2</td><td>1</td><td>1</td><td>0</td>" in page
    assert client.get("/report/?month=2026-13").status_code == 200  # a clear message, this month shown
    assert "2026-13 bukan bulan" in client.get("/report/?month=2026-13").get_data(as_text=True)
    csv_text = client.get(f"/report/report.csv?month={month}").get_data(as_text=True)
    assert csv_text.splitlines()[1:] == ["Umum,2,2,1,1,0", "Jumlah,2,2,1,1,0"]


def test_every_message_of_the_kiosk_has_its_indonesian_translation():
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web_dir = Path(__file__).resolve().parents[1] / "web"
    with (web_dir / "translations" / "id" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    used = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            web_dir, method_map, keywords={"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
        )
    }
    untranslated = sorted(m for m in used if isinstance(m, str) and not (catalog.get(m) and catalog.get(m).string))
    assert not untranslated, f"add these to web/translations/id/LC_MESSAGES/messages.po: {untranslated}"


def test_sessions_end_after_the_idle_time(client, monkeypatch):
    import time

    login(client, "dok")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 14 * 60)  # 14 minutes later: still in
    assert client.get("/register/").status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 14 * 60 + 16 * 60)  # then 16 idle minutes
    response = client.get("/register/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
