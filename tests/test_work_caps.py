"""Work one request may ask for is capped, with a clear message: cover sheets per print (each is a
page of barcodes: 500 took 23 s of CPU), and entries per demo run or demo-feeder filling."""

from __future__ import annotations

import time

import pytest
from helpers.kiosk import add, login, make_app, token

from scan_station.capture.demo import MAX_DEMO_DOCUMENTS, fill_demo_feeder, run_demo
from scan_station.core.errors import BadArgumentsError, ExitCode
from scan_station.papers.cover_sheet import MAX_COVERSHEETS, coversheets_pdf
from scan_station.register import add_entry


def _ids(db, settings, count: int) -> list[str]:
    with db.session() as s:
        return [add_entry(s, settings, title=f"Laporan {n}", unit="Umum", category="berkala").id
                for n in range(count)]


def test_the_caps_are_what_the_readme_says():
    assert MAX_COVERSHEETS == 100 and MAX_DEMO_DOCUMENTS == 20


def test_cli_refuses_more_cover_sheets_than_one_print_takes_before_any_work(run, db, settings, tmp_path):
    ids = _ids(db, settings, MAX_COVERSHEETS + 1)
    started = time.perf_counter()
    result = run("coversheet", *ids, "-o", tmp_path / "sampul.pdf")
    assert time.perf_counter() - started < 5  # refused at once, not after drawing 100 sheets
    assert result.code == ExitCode.bad_args and result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "101 cover sheets asked for; at most 100 go in one print, so print them in parts of up to 100" \
        in result.stderr
    assert not (tmp_path / "sampul.pdf").exists()


def test_a_full_print_of_cover_sheets_is_still_made(run, db, settings, tmp_path):
    ids = _ids(db, settings, MAX_COVERSHEETS)
    result = run("coversheet", *ids, "-o", tmp_path / "sampul.pdf", "--json")
    assert result.code == 0, result.stderr
    assert result.json["pages"] == MAX_COVERSHEETS


def test_the_library_refuses_too_many_cover_sheets_too():
    with pytest.raises(BadArgumentsError, match="at most 100 go in one print"):
        coversheets_pdf([object()] * (MAX_COVERSHEETS + 1))


def test_the_kiosk_shows_too_many_cover_sheets_as_a_form_error(home):
    app = make_app(home)
    client = app.test_client()
    login(client, "dok")
    entry_id = add(app)
    csrf = token(client, "/register/")
    response = client.post("/register/coversheets", data={"ids": [entry_id] * 500, "csrf_token": csrf},
                           follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "500 lembar sampul dipilih; paling banyak 100 dalam satu cetakan" in response.get_data(as_text=True)
    ok = client.post("/register/coversheets", data={"ids": [entry_id] * 2, "csrf_token": csrf})
    assert ok.status_code == 200 and ok.mimetype == "application/pdf"


def test_the_demo_makes_at_most_twenty_documents(run, settings, db):
    result = run("demo", "--documents", "21")
    assert result.code == ExitCode.bad_args and len(result.stderr.splitlines()) == 1
    assert "21 sample documents asked for; the demo takes at most 20 at a time, so ask for 20 or fewer" \
        in result.stderr
    with pytest.raises(BadArgumentsError):
        run_demo(settings, db, documents=500)


def test_the_demo_feeder_takes_at_most_twenty_entries(settings, db):
    ids = _ids(db, settings, MAX_DEMO_DOCUMENTS + 1)
    with pytest.raises(BadArgumentsError, match="21 entries for the demo feeder; the demo takes at most 20"):
        fill_demo_feeder(settings, db, ids)
    assert not settings.demo_feeder_dir.exists() or not list(settings.demo_feeder_dir.iterdir())


def test_the_kiosk_shows_too_many_demo_feeder_ids_as_a_form_error(home):
    (home).mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text("demo_feeder = true\n")
    app = make_app(home)
    client = app.test_client()
    login(client, "dok")
    typed = ",".join(f"PPID-2026-{n:06d}" for n in range(1, 31))
    response = client.post("/scan/demo-feeder", data={"register_ids": typed, "csrf_token": token(client, "/scan/")},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "30 nomor register diketik; pengumpan demo menerima paling banyak 20 sekaligus" \
        in response.get_data(as_text=True)
