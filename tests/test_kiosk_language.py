"""One language at a time (issue 24): what the kiosk says about an error comes from the error's
code and parameters, translated; never the service's English `str(exc)`. These tests keep the
class closed as it grows: every view that shows an error goes through `web/messages.py`, and every
code the register, its CSV import, the report and the handover raise has a translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.kiosk import login, make_app, token

from web.messages import MESSAGES
from web.names import HELD_REASONS

ROOT = Path(__file__).resolve().parents[1]
#: Service modules whose errors the kiosk shows; each of their codes must be in MESSAGES.
SHOWN = ["register/__init__.py", "register/csv_io.py", "records/report.py", "records/handover.py",
         "accounts/users.py", "accounts/grants.py", "capture/review.py", "capture/demo.py", "capture/profiles.py",
         "pages/split.py", "capture/scanner.py", "capture/cancel.py", "core/storage.py"]


def test_no_view_shows_an_errors_own_text():
    for view in sorted((ROOT / "web").glob("*.py")):
        if view.name == "messages.py":
            continue
        assert not re.search(r"(flash|errors=)\(?\s*str\((exc|error)\)", view.read_text()), view.name


@pytest.mark.parametrize("module", SHOWN)
def test_every_code_the_kiosk_may_show_is_translated(module):
    text = (ROOT / "scan_station" / module).read_text()
    codes = set(re.findall(r'code="([a-z_]+)"', text)) | set(re.findall(r'_row\([^)]*?"(csv_[a-z_]+)"', text, re.S))
    codes |= set(re.findall(r'"(profile_[a-z_]+)":', text))
    codes -= {"not_needed", "bad_action", "no_request", "audit_unreadable"}  # never shown: 404 or not reachable
    #: held pages' reasons (`split.HeldGroup`) have a table of their own
    missing = sorted(c for c in codes if c not in MESSAGES and c not in HELD_REASONS and not c.startswith("password_"))
    assert not missing, f"{module}: codes without a translation in web/messages.py: {missing}"


@pytest.fixture
def client(home):
    return login(make_app(home).test_client(), "ppid")


@pytest.mark.parametrize("field, value, said", [
    ("title", " ", "Judul Informasi wajib diisi."),
    ("title", "x" * 3000, "Judul Informasi berisi 3000 karakter"),
    ("category", "rahasia", "Kategori rahasia bukan salah satu dari"),
    ("format", "film", "Bentuk film bukan salah satu dari"),
    ("created_date", "2023-02-29", "2023-02-29 bukan tanggal"),
])
def test_register_form_errors_in_indonesian(client, field, value, said):
    form = {"title": "Laporan", "unit": "Umum", "category": "berkala", field: value,
            "csrf_token": token(client, "/register/new")}
    page = client.post("/register/new", data=form).get_data(as_text=True)
    assert said in page, page[:2000]


@pytest.mark.parametrize("csv, said", [
    ("", "Berkas kosong"),
    ("Judul Informasi,Warna\nLaporan,merah\n", "Kolom Warna tidak dikenal"),
    ("Judul Informasi\nLaporan\n", "Kolom yang belum ada"),
    ("Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\nLaporan,Umum,rahasia\n",
     "Kategori rahasia bukan salah satu dari"),
])
def test_csv_import_errors_in_indonesian(client, csv, said):
    import io

    answer = client.post("/register/import", data={"file": (io.BytesIO(csv.encode()), "dip.csv"),
                                                   "csrf_token": token(client, "/register/")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert said in answer.get_data(as_text=True)


def test_a_month_that_is_no_month_in_indonesian(client):
    assert "bukan bulan" in client.get("/report/?month=2026-13", follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("changes, said", [
    ({"error": "OcrError: tesseract said something in English", "code": ""}, "Pengarsipan gagal"),
    ({"error": "filing stopped before it was done (the program ended); confirm again"}, "Pengarsipan terhenti"),
    ({"error": "database is locked", "retry": True}, "dicoba lagi dengan sendirinya"),
    ({"error": "Register number X is not in the register", "code": "no_entry", "params": {"entry": "X-1"}},
     "X-1 tidak ada di register"),
])
def test_a_failed_batch_says_why_in_the_kiosks_language(home, changes, said):
    from scan_station.capture.batch_folder import Status
    from scan_station.capture.scanning import start_batch

    app = make_app(home)
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    folder = start_batch(settings, db, device="pnm:0", profile=None, user="dok")
    folder.update(status=Status.FAILED, **changes)
    client = login(app.test_client(), "dok")
    page = client.get("/scan/").get_data(as_text=True)
    assert said in page and changes["error"] not in page
    listed = client.get("/scan/batches.json").get_json()
    assert said in listed[0]["error"]


def test_profile_options_are_named_not_coded(home):
    page = login(make_app(home).test_client(), "dok").get("/scan/").get_data(as_text=True)
    assert "abu-abu" in page and "kaca datar" in page
    assert not re.search(r"· (gray|color|lineart|flatbed|adf) ·", page)


def test_the_names_every_page_may_show_speak_each_sessions_language(home):
    """The status names are translated once per language (`web.app._names`), not once for the
    first visitor: sessions in Indonesian and in English, in turn, each see their own."""
    from flask import session

    app = make_app(home)
    seen = []
    for lang in ("id", "en", "id", "en"):
        with app.test_request_context("/"):
            session["lang"] = lang
            names: dict = {}
            app.update_template_context(names)
            seen.append((names["status_names"]["filed"], names["entry_state_names"] != {}))
    assert [name for name, _ in seen] == ["Tersimpan", "Filed", "Tersimpan", "Filed"]
    assert all(has for _, has in seen)
