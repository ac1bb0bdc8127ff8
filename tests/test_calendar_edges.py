"""Dates at the edge of the calendar (issue 23, item 9): the first and last days Python knows,
days that do not exist, years of no calendar, in every place a person can type a date or a
month — the command line and the kiosk, as every role. Each gets an answer or a clear refusal:
never a server error, never exit 15, never a traceback."""

from __future__ import annotations

import logging

import pytest
from helpers.kiosk import ROLES, login, make_app, token

from scan_station.core.errors import ExitCode

DAYS = ["0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01", "2024-02-29", "2023-02-29", "1900-02-29",
        "9999-13-01", "1970-01-01", "-0001-01-01", "99999999999999999999-01-01", "2026-12-07T25:00", "31/12/9999",
        "01/01/0001", "29-02-2023"]
MONTHS = ["0001-01", "9999-12", "0000-00", "2026-13", "10000-01", "1899-12", "9998-12", "-1-01", "2026-1",
          "99999999999999999999-01"]
FINE = {ExitCode.ok, ExitCode.bad_args, ExitCode.input_file, ExitCode.not_found}


def _fine(result, what) -> None:
    assert result.code in FINE, (what, result.code, result.stderr)
    assert "Traceback" not in result.stderr, (what, result.stderr)
    if result.code != ExitCode.ok:  # ours is one line; click's usage errors end with theirs
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(("scan-station: error:", "Error:")), (what, result.stderr)


@pytest.fixture
def entry_id(run) -> str:
    return run("register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala",
               "--json").json["id"]


@pytest.mark.parametrize("day", DAYS)
def test_days_on_the_command_line(run, tmp_path, entry_id, day):
    _fine(run("audit", "list", "--since", day, "--json"), "audit --since")
    _fine(run("audit", "list", "--until", day, "--json"), "audit --until")
    _fine(run("audit", "list", "--since", day, "--until", day, "--json"), "audit both")
    _fine(run("export", tmp_path / "a", "--from", day), "export --from")
    _fine(run("export", tmp_path / "b", "--to", day), "export --to")
    _fine(run("export", tmp_path / "c", "--entry", entry_id, "--from", day, "--to", day), "export both")
    _fine(run("register", "add", "--title", "T", "--unit", "U", "--category", "berkala", "--created", day),
          "register add --created")
    csv = tmp_path / "dip.csv"
    csv.write_text("Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi,"
                   f"Waktu Pembuatan Informasi\nLaporan,Umum,berkala,{day}\n")
    _fine(run("register", "import", csv), "register import")


@pytest.mark.parametrize("month", MONTHS)
def test_months_on_the_command_line(run, month):
    _fine(run("report", "--month", month, "--json"), "report")
    _fine(run("berita-acara", "--month", month), "berita-acara")


def test_the_last_day_is_a_day_like_any_other(run, entry_id):
    until = run("audit", "list", "--until", "9999-12-31", "--json")
    assert until.code == 0 and any(r["action"] == "register.add" for r in until.json)
    assert run("audit", "list", "--since", "0001-01-01", "--json").code == 0


def test_dates_in_the_kiosk_as_every_role(home, caplog):
    caplog.set_level(logging.ERROR)
    app = make_app(home, LOGIN_RATE_LIMIT="10000 per minute", PROPAGATE_EXCEPTIONS=False, TESTING=False)
    for username in ROLES:
        client = login(app.test_client(), username)
        csrf = token(client, "/search")
        for day in DAYS:
            for url in (f"/audit/?since={day}", f"/audit/?until={day}", f"/audit/?since={day}&until={day}",
                        f"/audit/audit.csv?until={day}"):
                assert client.get(url).status_code < 500, (username, url)
            form = {"title": "Laporan", "unit": "Umum", "category": "berkala", "created_date": day, "csrf_token": csrf}
            assert client.post("/register/new", data=form).status_code < 500, (username, day)
        for month in MONTHS:
            assert client.get(f"/report/?month={month}").status_code < 500, (username, month)
            assert client.get(f"/report/report.csv?month={month}").status_code < 500, (username, month)
            made = client.post("/report/berita-acara", data={"month": month, "csrf_token": csrf})
            assert made.status_code < 500, (username, month)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("day", ["２０２５-01-31", "2025-٠١-31", "31/01/２０２５"])
def test_digits_of_other_scripts_are_no_date(run, day):
    """Dates are written in ASCII digits: others are refused, not read as numbers."""
    refused = run("register", "add", "--title", "T", "--unit", "U", "--category", "berkala", "--created", day)
    assert refused.code == ExitCode.bad_args and "is not a date" in refused.stderr


def test_the_command_line_is_named_in_the_audit_log(run, tmp_path):
    from test_softcopy import text_pdf

    entry = run("register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala",
                "--json").json["id"]
    assert run("submit", text_pdf(tmp_path / "a.pdf", ["Isi laporan"]), "--entry", entry).code == 0
    records = run("audit", "list", "--json").json
    assert {r["action"] for r in records} >= {"register.add", "document.filed"}
    assert all(r["actor"].startswith("cli:") for r in records), records
