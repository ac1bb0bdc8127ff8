"""The register: adding entries, generated ids, validation, CSV import and export."""

import datetime as dt
import re

import pytest

from scan_station.config import load_settings
from scan_station.errors import CsvImportError, RegisterError
from scan_station.register import FIELDS, add_entry, export_csv, import_csv, list_entries

GOOD = dict(title="Laporan Keuangan", unit="Subbagian Keuangan", category="berkala")


def test_ids_follow_the_default_pattern_per_year(db, settings):
    with db.session() as s:
        first = add_entry(s, settings, **GOOD)
        second = add_entry(s, settings, **GOOD)
    year = dt.date.today().year
    assert first.id == f"PPID-{year}-000001"
    assert second.id == f"PPID-{year}-000002"


def test_id_pattern_is_configurable(home):
    settings = load_settings(home, id_pattern="KPU/{year}/{seq:04d}")
    from scan_station.db import Database

    db = Database(settings)
    with db.session() as s:
        assert add_entry(s, settings, **GOOD).id == f"KPU/{dt.date.today().year}/0001"


def test_every_field_is_kept(db, settings):
    with db.session() as s:
        e = add_entry(
            s, settings, **GOOD, summary="Ringkasan", responsible="Sekretaris", created_date="31/01/2025",
            place="Tangerang", format="keduanya", retention="10 tahun", classification="KU.02",
            number="19/PP.07-SOP/HM/I/2025", hardcopy_location="Lemari 3",
        )
    assert e.created_date == dt.date(2025, 1, 31)
    assert e.format == "both"
    assert e.number == "19/PP.07-SOP/HM/I/2025"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"category": "rahasia"}, "category 'rahasia' is not one of berkala"),
        ({"title": " "}, "title (Judul Informasi) is required"),
        ({"created_date": "kemarin"}, "is not a date"),
        ({"format": "film"}, "format 'film' is not one of"),
        ({"id": "bad id!"}, "may use only"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(db, settings, change, message):
    with pytest.raises(RegisterError, match=re.escape(message)), db.session() as s:
        add_entry(s, settings, **(GOOD | change))


CSV_OK = (
    "Judul Informasi;Pejabat/Unit yang Menguasai Informasi;Kategori Informasi;Waktu Pembuatan Informasi;Nomor Naskah\n"
    "SOP Pendokumentasian;Subbagian Hukum;Setiap Saat;20/01/2025;19/PP.07-SOP/HM/I/2025\n"
    "Laporan Anggaran;Subbagian Keuangan;berkala;2025-07-01;\n"
)


def test_csv_import_with_indonesian_headers_and_semicolons(db, settings):
    with db.session() as s:
        result = import_csv(s, settings, CSV_OK)
    assert len(result["created"]) == 2
    with db.session() as s:
        entries = list_entries(s)
    assert entries[0].category == "setiap-saat"
    assert entries[0].number == "19/PP.07-SOP/HM/I/2025"


def test_csv_bad_rows_are_reported_by_line_and_nothing_is_written(db, settings):
    bad = CSV_OK + "Tanpa unit;;berkala;;\nSalah kategori;Unit;rahasia;;\n"
    with pytest.raises(CsvImportError) as info, db.session() as s:
        import_csv(s, settings, bad)
    assert [line for line, _ in info.value.problems] == [4, 5]
    assert "line 4: unit" in str(info.value)
    with db.session() as s:
        assert list_entries(s) == []


def test_csv_unknown_column_is_named(db, settings):
    with pytest.raises(CsvImportError, match="unknown column 'Warna'"), db.session() as s:
        import_csv(s, settings, "Judul Informasi,Warna\nx,y\n")


def test_csv_export_then_import_round_trips_and_updates(db, settings):
    with db.session() as s:
        import_csv(s, settings, CSV_OK)
        exported = export_csv(list_entries(s))
    assert exported.splitlines()[0].split(",")[0] == FIELDS[0].header
    changed = exported.replace("Laporan Anggaran", "Laporan Realisasi Anggaran")
    with db.session() as s:
        result = import_csv(s, settings, changed)
        assert len(result["updated"]) == 2 and result["created"] == []
        assert {e.title for e in list_entries(s)} >= {"Laporan Realisasi Anggaran"}


def test_cli_register_round_trip(run, tmp_path):
    added = run("register", "add", "--title", "Keputusan", "--unit", "Teknis", "--category", "serta-merta",
                "--created", "2025-02-18", "--number", "07/PL.02.6-Pu/3671/2025", "--json")
    assert added.code == 0, added.stderr
    entry_id = added.json["id"]
    listed = run("register", "list", "--json").json
    assert [e["id"] for e in listed] == [entry_id]
    csv_text = run("register", "export").stdout
    assert "Kategori Informasi" in csv_text.splitlines()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text("Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\nA,B,salah\n")
    failed = run("register", "import", bad, "--json")
    assert failed.code != 0 and failed.stdout == ""
    assert "line 2" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
