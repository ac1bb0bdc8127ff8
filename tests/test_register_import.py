"""Big register CSV imports: quick, in one short write, with ids in sequence, capped in size, and
never in the way of the kiosk (logins write to the database while an import runs)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time

import pytest
from helpers.kiosk import PASSWORD, make_app, token

from scan_station import search
from scan_station.accounts.users import add_user, open_session
from scan_station.core.errors import CsvImportError
from scan_station.db import database as db_module
from scan_station.db import engine as db_engine
from scan_station.db.database import Batch, Document, DocumentPage, Entry
from scan_station.register import add_entry, list_entries, next_id
from scan_station.register.csv_io import MAX_IMPORT_ROWS, export_csv, import_csv

HEADER = "Nomor Register,Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\n"
YEAR = dt.date.today().year


def _rows(count: int, *, start: int = 0) -> str:
    return "".join(f",Laporan nomor {i},Subbagian {i % 7},berkala\n" for i in range(start, start + count))


def _ppid(seq: int) -> str:
    return f"PPID-{YEAR}-{seq:06d}"


def test_twenty_thousand_rows_import_in_seconds_with_ids_in_sequence(db, settings):
    started = time.perf_counter()
    with db.session() as s:
        result = import_csv(s, settings, HEADER + _rows(20_000))
    seconds = time.perf_counter() - started
    assert seconds < 20, f"20,000 rows took {seconds:.1f} s"  # about 2 s here; per-row writes took minutes
    assert result["created"] == [_ppid(n) for n in range(1, 20_001)] and result["updated"] == []
    with db.session() as s:
        assert s.query(Entry).count() == 20_000
        assert s.get(Entry, _ppid(20_000)).title == "Laporan nomor 19999"
        assert add_entry(s, settings, title="Sesudahnya", unit="Umum", category="berkala").id == _ppid(20_001)


def test_new_ids_skip_ids_in_the_register_and_in_the_file(db, settings):
    with db.session() as s:
        add_entry(s, settings, id=_ppid(2), title="Sudah ada", unit="Umum", category="berkala")
    text = HEADER + _rows(2) + f"{_ppid(3)},Dengan nomor,Umum,berkala\n" + _rows(1, start=2) + \
        f"{_ppid(2)},Sudah ada (diubah),Umum,berkala\n"
    with db.session() as s:
        result = import_csv(s, settings, text)
    assert result == {"created": [_ppid(1), _ppid(4), _ppid(3), _ppid(5)], "updated": [_ppid(2)]}
    with db.session() as s:
        assert s.get(Entry, _ppid(2)).title == "Sudah ada (diubah)"
        assert s.get(Entry, _ppid(3)).title == "Dengan nomor"
        assert next_id(s, settings) == _ppid(6)


def test_an_import_that_updates_entries_refreshes_their_search_index(db, settings):
    with db.session() as s:
        entry = add_entry(s, settings, title="Laporan Keuangan", unit="Umum", category="berkala")
        s.add(Batch(id="B1", source_name="b.pdf", raw_dir="raw/B1", manifest_sha256="0" * 64, page_count=1))
        document = Document(register_id=entry.id, version=1, batch_id="B1", batch_pages=[1], page_count=1,
                            path="d.pdf", sha256="0" * 64, sidecar_path="d.json", sidecar_sha256="0" * 64)
        s.add(document)
        s.flush()
        s.add(DocumentPage(document_id=document.id, page=1, batch_page=1, text="isi halaman"))
        search.index_document(s, document, entry, ["isi halaman"])
        exported = export_csv(list_entries(s))
    with db.session() as s:
        result = import_csv(s, settings, exported.replace("Laporan Keuangan", "Laporan Zamrud"))
        assert result == {"created": [], "updated": [entry.id]}
    with db.session() as s:  # the index follows once the import is committed
        assert [h.register_id for h in search.search(s, "zamrud")] == [entry.id]
        assert search.search(s, "keuangan") == []


def test_more_rows_than_the_cap_are_refused_before_anything_is_written(db, settings):
    with pytest.raises(CsvImportError) as info, db.session() as s:
        import_csv(s, settings, HEADER + _rows(MAX_IMPORT_ROWS + 1))
    assert [(line, str(problem)) for line, problem in info.value.problems] == [(MAX_IMPORT_ROWS + 2, (
        f"the file has more than {MAX_IMPORT_ROWS:,} rows; split it into files of at most "
        f"{MAX_IMPORT_ROWS:,} rows and import them one after another"))]
    with db.session() as s:
        assert s.query(Entry).count() == 0


def test_cli_says_how_to_import_a_file_over_the_cap(run, tmp_path):
    path = tmp_path / "dip.csv"
    path.write_text(HEADER + _rows(MAX_IMPORT_ROWS + 5), encoding="utf-8")
    result = run("register", "import", path)
    assert result.code == 3 and result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "more than 50,000 rows; split it into files" in result.stderr


def test_a_concurrent_session_reads_and_writes_while_an_import_runs(db, settings):
    """What a kiosk login does (a session row written) still works, quickly, during an import."""
    with db.session() as s:
        add_user(s, username="petugas", password=PASSWORD, role="dokumentasi")
    outcome: dict[str, object] = {}

    def do_import():
        try:
            with db.session() as s:
                outcome["result"] = import_csv(s, settings, HEADER + _rows(20_000))
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    importer = threading.Thread(target=do_import)
    importer.start()
    waits, errors = [], []
    while importer.is_alive():
        started = time.perf_counter()
        try:
            with db.session() as s:
                open_session(s, "petugas", now=time.time(), idle_seconds=900)
                s.query(Entry).count()
        except Exception as exc:  # noqa: BLE001 - the test's point: none at all
            errors.append(exc)
        waits.append(time.perf_counter() - started)
        time.sleep(0.02)
    importer.join()
    assert "error" not in outcome and len(outcome["result"]["created"]) == 20_000
    assert errors == [] and waits, errors
    assert max(waits) < 15, f"a login-like write waited {max(waits):.1f} s for the import"


# -- a database that another writer keeps locked --------------------------------------------------------


@pytest.fixture
def locked(monkeypatch):
    """Lock a SQLite database as a long write elsewhere would; the busy timeout made short."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_SECONDS", 0.2)  # what the message says
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_SECONDS", 0.2)  # what SQLite is told
    holders = []

    def lock(path):
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        holders.append(connection)

    yield lock
    for connection in holders:
        connection.rollback()
        connection.close()


def test_a_database_locked_past_the_busy_timeout_is_one_line_exit_5(run, home, locked):
    assert run("register", "list").code == 0
    locked(home / "scan-station.db")
    result = run("register", "add", "--title", "T", "--unit", "U", "--category", "berkala")
    assert result.code == 5 and "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "the database is busy" in result.stderr and "try again" in result.stderr


def test_a_login_while_the_database_is_locked_is_a_page_saying_so_not_a_server_error(home, locked):
    app = make_app(home)
    client = app.test_client()
    csrf = token(client)
    locked(home / "scan-station.db")
    response = client.post("/login", data={"username": "dok", "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 503
    assert "Basis data sedang sibuk" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # reading is never blocked (WAL)


# -- careless files lose nothing ----------------------------------------------------------------------

from scan_station.core.entry_fields import FIELDS  # noqa: E402

FULL = {"title": "Laporan Keuangan", "summary": "Ringkasan\nlaporan", "unit": "Subbagian Umum",
        "responsible": "Sekretaris", "created_date": "2025-03-04", "place": "Tangerang", "format": "Softcopy",
        "retention": "5 tahun", "category": "berkala", "classification": "KU.01", "number": "12/KU.01/2025",
        "hardcopy_location": "Lemari 3"}
OPTIONAL = [f for f in FIELDS if not f.required and f.name != "id"]


def _full_entry(db, settings) -> tuple[str, dict]:
    with db.session() as s:
        entry = add_entry(s, settings, **FULL)
        return entry.id, {f.name: getattr(entry, f.name) for f in FIELDS}


@pytest.mark.parametrize("left_out", [[f] for f in OPTIONAL] + [OPTIONAL], ids=[f.name for f in OPTIONAL] + ["all"])
def test_a_file_without_some_columns_leaves_those_fields_as_they_are(db, settings, left_out):
    entry_id, before = _full_entry(db, settings)
    columns = [f for f in FIELDS if f not in left_out]
    cells = {"id": entry_id, **FULL, "title": "Laporan Keuangan (diubah)"}
    text = ";".join(f.header for f in columns) + "\n" + ";".join(f'"{cells[f.name]}"' for f in columns) + "\n"
    with db.session() as s:
        assert import_csv(s, settings, text) == {"created": [], "updated": [entry_id]}
    with db.session() as s:
        after = {f.name: getattr(s.get(Entry, entry_id), f.name) for f in FIELDS}
    assert after == before | {"title": "Laporan Keuangan (diubah)"}


@pytest.mark.parametrize("second", ["Judul Informasi", "judul informasi", "title", "JUDUL-INFORMASI"])
def test_a_column_twice_is_refused_and_nothing_is_written(db, settings, second):
    entry_id, before = _full_entry(db, settings)
    text = (f"Nomor Register,Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi,{second}\n"
            f"{entry_id},Judul pertama,Umum,berkala,Judul kedua\n,Baru,Umum,berkala,Baru juga\n")
    with db.session() as s, pytest.raises(CsvImportError) as info:
        import_csv(s, settings, text)
    assert "appears twice" in str(info.value)
    with db.session() as s:
        assert s.query(Entry).count() == 1 and s.get(Entry, entry_id).title == before["title"]
