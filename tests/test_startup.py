"""Short commands stay short (bench/README.md, "Command-line start-up"): `scan-station --help` and
`register list` import no database, OCR, image, PDF, search or web library, and `register list`,
reading SQLite without SQLAlchemy, prints what the SQLAlchemy way prints, byte for byte. Nothing
here is timed: what is imported is what took the time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from scan_station.core.config import load_settings
from scan_station.db import sqlite_read

#: Libraries neither command needs (top-level module names).
HEAVY = {
    "sqlalchemy", "alembic", "pikepdf", "PIL", "numpy", "scipy", "ocrmypdf", "img2pdf", "pypdfium2", "zxingcpp",
    "pyzbar", "reportlab", "pyhanko", "tantivy", "sane", "huey", "redis", "psycopg", "argon2", "flask", "werkzeug",
    "waitress", "bagit", "stdnum", "Sastrawi",
}


def _imports(*args: object) -> tuple[set[str], str]:
    """The top-level modules `python -m scan_station ARGS` imports, and what it prints."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "scan_station", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}, done.stdout


def _register(run) -> None:
    for args in (
        ["--title", 'Laporan Keuangan — 2025 "final"', "--unit", "Subbagian Umum dan Kepegawaian Sekretariat",
         "--category", "Serta Merta", "--summary", "baris satu\nbaris dua", "--created", "31/01/2025",
         "--format", "keduanya", "--number", "19/PP.07-SOP/HM/I/2025", "--location", "Lemari 3"],
        ["--title", "Daftar Aset ✓", "--unit", "Ünit", "--category", "dikecualikan"],
        ["--title", "SOP", "--unit", "Humas", "--category", "berkala", "--created", "2024-02-29"],
    ):
        assert run("register", "add", *args).code == 0


def test_help_imports_no_heavy_library(home):
    imported, shown = _imports("--help")
    assert not imported & HEAVY, sorted(imported & HEAVY)
    assert "serve" in shown  # the kiosk's command (an entry point) is still listed


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_register_list_imports_no_heavy_library_nor_the_kiosk(run, home, as_json):
    _register(run)
    imported, shown = _imports("--home", home, "register", "list", *(["--json"] if as_json else []))
    assert not imported & (HEAVY | {"web"}), sorted(imported & (HEAVY | {"web"}))
    assert shown == run("register", "list", *(["--json"] if as_json else [])).stdout


def test_register_list_without_sqlalchemy_prints_what_sqlalchemy_prints(run, monkeypatch):
    assert run("register", "list").stdout == "(the register is empty)\n"  # no database yet: SQLAlchemy makes it
    _register(run)
    quick = [run("register", "list").stdout, run("register", "list", "--json").stdout]
    monkeypatch.setattr(sqlite_read, "register_entries", lambda _settings: None)
    assert [run("register", "list").stdout, run("register", "list", "--json").stdout] == quick
    assert "2025-01-31" in quick[1] and "null" in quick[1]


@pytest.mark.parametrize("url, path", [
    ("sqlite:////srv/ppid/scan-station.db", Path("/srv/ppid/scan-station.db")),
    ("sqlite:///relative.db", Path("relative.db")),
    ("sqlite:////srv/ppid/scan-station.db?timeout=5", None),
    ("sqlite:////srv/ppid%20baru/scan-station.db", None),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("postgresql+psycopg://ppid:rahasia@db.example/ppid", None),
])
def test_only_a_plain_sqlite_file_is_read_without_sqlalchemy(url, path):
    assert sqlite_read.sqlite_file(url) == path


def test_a_database_not_at_the_newest_migration_is_left_to_sqlalchemy(home, tmp_path):
    older = tmp_path / "older.db"
    with sqlite3.connect(older) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    connection.close()
    settings = load_settings(home, database_url=f"sqlite:///{older}")
    assert sqlite_read.register_entries(settings) is None
    assert sqlite_read.register_entries(load_settings(home, database_url=f"sqlite:///{tmp_path / 'none.db'}")) is None
    assert not (tmp_path / "none.db").exists()
