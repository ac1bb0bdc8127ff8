"""Spreadsheets as offices open them: the register, the monthly report and the audit log as CSV for
programs (`,`), as CSV for Excel in Indonesian (`;` after a BOM) and as XLSX; each export opens, holds
what the kiosk shows, keeps hostile cells as text, and a register CSV of either separator, as Excel
saves it back, imports again."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from helpers.kiosk import add, login, make_app
from openpyxl import load_workbook

from scan_station.audit.sheet import export_audit
from scan_station.core.config import load_settings
from scan_station.core.entry_fields import FIELDS
from scan_station.db.database import Batch, Database, Document, DocumentEvent
from scan_station.records import report
from scan_station.register import add_entry, entry_dict, list_entries
from scan_station.register.csv_io import export_register, import_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = {
    "title": '=HYPERLINK("http://contoh.invalid/?a=1","Klik di sini")',
    "summary": 'Ringkasan "berkutip"; titik koma, koma\nbaris kedua\n=1+1 di baris ketiga',
    "unit": "=cmd|' /C calc'!A0",
    "responsible": "+62 21 5555",
    "place": "@SUM(A1:A9)",
    "retention": "5 tahun; lalu dinilai, lalu -musnah",
    "number": "-2+3",
    "classification": "#N/A",
    "hardcopy_location": "Lemari \"A\", rak 2; map 'biru'",
    "created_date": "2025-01-20",
}
MONTH = (2026, 3)
FILED_AT = dt.datetime(2026, 3, 10, 8, 30, tzinfo=dt.UTC)


def _csv_rows(text: str, *, excel: bool) -> list[list[str]]:
    if excel:
        assert text.startswith("\ufeff"), "Excel reads a CSV as UTF-8 only after a BOM"
        text = text[1:]
    else:
        assert not text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))


def _workbook(data: bytes):
    """The workbook, after checking that none of its cells is a formula (in the XML itself)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    return load_workbook(io.BytesIO(data))


def _values(ws) -> list[list[object]]:
    rows = []
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
        rows.append([cell.value for cell in row])
    return rows


def _register_rows(entries) -> list[list[object]]:
    return [["" if e[f.name] is None else e[f.name] for f in FIELDS] for e in entries]


# -- the register --------------------------------------------------------------------------------


@pytest.fixture
def register(db, settings):
    """Entries with every kind of hostile cell, one of them dikecualikan; their fields."""
    with db.session() as s:
        add_entry(s, settings, category="berkala", **HOSTILE)
        add_entry(s, settings, title="Laporan; keuangan, 2025", unit="Umum", category="dikecualikan")
        add_entry(s, settings, title="#REF!", unit="Sekretariat", category="setiap-saat", summary="")
        return [entry_dict(e) for e in list_entries(s)]


@pytest.mark.parametrize("excel", [False, True], ids=["comma", "excel"])
def test_the_register_as_csv_opens_with_its_separator_and_holds_every_entry(db, register, excel):
    from scan_station.core.csv_cells import unprotect

    with db.session() as s:
        text = export_register(list_entries(s), "excel-csv" if excel else "csv")
    rows = _csv_rows(text, excel=excel)
    assert rows[0] == [f.header for f in FIELDS]
    assert [[unprotect(c) for c in row] for row in rows[1:]] == _register_rows(register)
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][3].startswith("'=cmd")  # quoted: text in a spreadsheet


def test_the_register_as_xlsx_is_a_sheet_whose_cells_are_text_dates_and_never_formulas(db, register):
    with db.session() as s:
        wb = _workbook(export_register(list_entries(s), "xlsx"))
    assert wb.sheetnames == ["Daftar Informasi Publik"]
    ws = wb["Daftar Informasi Publik"]
    assert ws.freeze_panes == "A2" and all(cell.font.b for cell in ws[1])
    assert ws.column_dimensions["B"].width == 50 and ws.column_dimensions["C"].width == 60
    rows = _values(ws)
    assert rows[0] == [f.header for f in FIELDS]
    date_column = [f.name for f in FIELDS].index("created_date")
    expected = _register_rows(register)
    for row, want in zip(rows[1:], expected, strict=True):
        dates = row[date_column], want[date_column]
        assert [c for i, c in enumerate(row) if i != date_column] == \
            [c or None for i, c in enumerate(want) if i != date_column]
        assert dates[0] == (dt.datetime.fromisoformat(dates[1]) if dates[1] else None)
    date_cell = ws.cell(row=2, column=date_column + 1)
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy"
    title, unit, classification = ws["B2"], ws["D2"], ws["K2"]
    assert title.value == HOSTILE["title"] and title.data_type == "s" and title.quotePrefix
    assert unit.value == HOSTILE["unit"] and unit.data_type == "s"
    assert classification.value == "#N/A" and classification.data_type == "s"  # not Excel's error value
    assert ws["B4"].value == "#REF!" and ws["B4"].data_type == "s"


def _excel_resave(text: str, *, excel: bool, quote_all: bool) -> str:
    """The export as a spreadsheet saves it back: read, then written with its own quoting."""
    out = io.StringIO()
    if excel:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if excel else ",",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(_csv_rows(text, excel=excel))
    return out.getvalue()


@pytest.mark.parametrize("quote_all", [False, True], ids=["as-exported", "every-cell-quoted"])
@pytest.mark.parametrize("excel", [False, True], ids=["comma", "excel"])
def test_a_register_exported_and_saved_back_imports_again_as_it_was(db, settings, register, tmp_path, excel,
                                                                    quote_all):
    with db.session() as s:
        text = _excel_resave(export_register(list_entries(s), "excel-csv" if excel else "csv"), excel=excel,
                             quote_all=quote_all)
    other_settings = load_settings(tmp_path / "other")
    other = Database(other_settings)
    try:
        with other.session() as s:
            result = import_csv(s, other_settings, text)
            assert len(result["created"]) == len(register) and not result["updated"]
        with other.session() as s:
            assert [entry_dict(e) for e in list_entries(s)] == register
        with other.session() as s:  # and again: every entry is there as it is, nothing changes
            again = import_csv(s, other_settings, text)
            assert sorted(again["updated"]) == sorted(e["id"] for e in register)
            assert [entry_dict(e) for e in list_entries(s)] == register
    finally:
        other.close()


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_header_line_tells_the_separator_whatever_the_cells_hold(db, settings, separator):
    header = separator.join(["Judul Informasi", "Pejabat/Unit yang Menguasai Informasi", "Kategori Informasi"])
    row = separator.join(['"Laporan, tahunan; 2025"', "Umum", "berkala"])
    with db.session() as s:
        import_csv(s, settings, f"\ufeff{header}\r\n{row}\r\n")
        (entry,) = list_entries(s)
        assert (entry.title, entry.unit, entry.category) == ("Laporan, tahunan; 2025", "Umum", "berkala")


# -- the monthly report --------------------------------------------------------------------------


def _file(s, entry_id: str, *, pages: int, status: str, reason: str = "") -> None:
    """A document filed in MONTH for `entry_id` with `status` (no PDF: the report reads the database)."""
    batch = f"b-{entry_id}"
    s.add(Batch(id=batch, received_at=FILED_AT, source_name="x", raw_dir=batch, manifest_sha256="0" * 64,
                page_count=pages))
    document = Document(register_id=entry_id, version=1, batch_id=batch, batch_pages=list(range(1, pages + 1)),
                        page_count=pages, path=f"{batch}.pdf", sha256="0" * 64, sidecar_path=f"{batch}.json",
                        sidecar_sha256="0" * 64, status=status, filed_at=FILED_AT)
    s.add(document)
    s.flush()
    if status != "submitted":
        s.add(DocumentEvent(document_id=document.id, action=status, actor="ppid", reason=reason,
                            at=FILED_AT + dt.timedelta(days=1)))


def _filed_month(session_factory, make_entry) -> None:
    accepted = make_entry(title="Laporan", unit="Umum", category="berkala")
    returned = make_entry(title=HOSTILE["title"], unit=HOSTILE["unit"], category="berkala")
    exempt = make_entry(title="Rahasia", unit="Pengamanan", category="dikecualikan")
    with session_factory() as s:
        _file(s, accepted, pages=3, status="accepted")
        _file(s, returned, pages=2, status="returned", reason="=1+1; halaman 2 terpotong")
        _file(s, exempt, pages=5, status="submitted")


def _report_rows(data: dict) -> list[list[object]]:
    return [[r[c] for c in report.COLUMNS] for r in [*data["units"], {"unit": "Jumlah", **data["total"]}]]


@pytest.mark.parametrize("hidden", [(), ("dikecualikan",)], ids=["sees-exempt", "exempt-hidden"])
def test_the_monthly_report_exports_hold_its_table_and_its_returns(db, settings, hidden):
    from scan_station.core.csv_cells import unprotect

    def make_entry(**fields):
        with db.session() as s:
            return add_entry(s, settings, **fields).id

    _filed_month(db.session, make_entry)
    with db.session() as s:
        data = report.monthly(s, *MONTH, hidden_categories=hidden)
    assert ("Pengamanan" in [u["unit"] for u in data["units"]]) is not bool(hidden)
    expected = [list(report.HEADERS), *([str(c) for c in row] for row in _report_rows(data))]
    for excel in (False, True):
        rows = _csv_rows(report.export_report(data, "excel-csv" if excel else "csv"), excel=excel)
        assert [[unprotect(c) for c in row] for row in rows] == expected
    wb = _workbook(report.export_report(data, "xlsx"))
    assert wb.sheetnames == ["Laporan", "Dikembalikan"]
    units, returned = wb["Laporan"], wb["Dikembalikan"]
    assert units.freeze_panes == "A2" and all(cell.font.b for cell in units[1])
    assert _values(units) == [list(report.HEADERS), *_report_rows(data)]  # numbers as numbers
    assert units["A2"].value == HOSTILE["unit"] and units["A2"].data_type == "s"
    (back,) = _values(returned)[1:]
    assert back == [data["returned"][0]["register_id"], 1, HOSTILE["title"], "=1+1; halaman 2 terpotong", "ppid",
                    dt.datetime(2026, 3, 11, 8, 30)]
    assert returned["F2"].is_date


# -- the audit log -------------------------------------------------------------------------------


def test_the_audit_log_exports_hold_the_records_of_its_csv(db, settings, register):
    from scan_station.audit import log as audit
    from scan_station.core.csv_cells import unprotect

    with db.session() as s, audit.readable():
        plain = list(csv.reader(io.StringIO(audit.as_csv(s.scalars(audit.records_query(audit.Filter()))))))
        excel = _csv_rows(export_audit(s.scalars(audit.records_query(audit.Filter())), "excel-csv"), excel=True)
        wb = _workbook(export_audit(s.scalars(audit.records_query(audit.Filter())), "xlsx"))
    assert excel == plain and len(plain) == 1 + len(register)
    rows = _values(wb["Log Audit"])
    assert rows[0] == plain[0]
    for got, want in zip(rows[1:], plain[1:], strict=True):
        at = dt.datetime.fromisoformat(want[1]).astimezone(dt.UTC).replace(tzinfo=None)
        assert got[0] == int(want[0]) and abs(got[1] - at) < dt.timedelta(milliseconds=1)  # Excel keeps ms
        assert got[2:] == [unprotect(c) or None for c in want[2:]]
    assert json.loads(rows[1][5])["new"]["title"] in {e["title"] for e in register}


# -- the kiosk -----------------------------------------------------------------------------------

REGISTER_URLS = {"csv": "/register/export.csv", "excel-csv": "/register/export-excel.csv",
                 "xlsx": "/register/export.xlsx"}


def _download(client, url: str, kind: str, filename: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == (XLSX if kind == "xlsx" else "text/csv"), url
    assert response.headers["Content-Disposition"] == f"attachment; filename={filename}", url
    if kind == "xlsx":
        return _values(_workbook(response.data).worksheets[0])
    return _csv_rows(response.get_data(as_text=True), excel=kind == "excel-csv")


def _as_csv_cells(rows: list[list[object]]) -> list[list[str]]:
    """Workbook rows as their CSV cells say them (protected; dates as YYYY-MM-DD, numbers as digits)."""
    from scan_station.core.csv_cells import protect

    def cell(value):
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        return "" if value is None else str(protect(value))
    return [[cell(v) for v in row] for row in rows]


@pytest.mark.parametrize("username", ["dok", "ppid", "atasan", "admin"])
def test_the_kiosk_exports_the_register_to_every_role_as_its_csv_does(home, username):
    app = make_app(home)
    ids = [add(app, **HOSTILE), add(app, title="Rahasia negara", unit="Umum", category="dikecualikan")]
    client = login(app.test_client(), username)
    plain = _download(client, REGISTER_URLS["csv"], "csv", "daftar-informasi-publik.csv")
    assert [row[0] for row in plain[1:]] == ids  # the register's fields, exempt entries' too, as before
    assert _download(client, REGISTER_URLS["excel-csv"], "excel-csv", "daftar-informasi-publik-excel.csv") == plain
    assert _as_csv_cells(_download(client, REGISTER_URLS["xlsx"], "xlsx", "daftar-informasi-publik.xlsx")) == plain
    page = client.get("/register/").get_data(as_text=True)
    assert all(url in page for url in REGISTER_URLS.values()) and "Ekspor Excel (.xlsx)" in page


@pytest.mark.parametrize("username, sees_exempt", [("ppid", True), ("atasan", True), ("admin", False)])
def test_the_kiosk_exports_the_report_as_each_role_may_see_it(home, username, sees_exempt):
    app = make_app(home)
    db = app.extensions["scan_station"]["db"]
    _filed_month(db.session, lambda **fields: add(app, **fields))
    client = login(app.test_client(), username)
    month = f"{MONTH[0]:04d}-{MONTH[1]:02d}"
    name = f"laporan-ppid-{month}"
    plain = _download(client, f"/report/report.csv?month={month}", "csv", f"{name}.csv")
    assert ("Pengamanan" in [row[0] for row in plain]) is sees_exempt
    assert plain[-1] == ["Jumlah", "3" if sees_exempt else "2", "10" if sees_exempt else "5", "1", "1",
                         "1" if sees_exempt else "0"]
    assert _download(client, f"/report/report-excel.csv?month={month}", "excel-csv", f"{name}-excel.csv") == plain
    assert _as_csv_cells(_download(client, f"/report/report.xlsx?month={month}", "xlsx", f"{name}.xlsx")) == plain
    page = client.get(f"/report/?month={month}").get_data(as_text=True)
    assert "/report/report.xlsx?month=2026-03" in page and "Unduh CSV (Excel)" in page


def test_the_kiosk_exports_the_audit_log_to_the_ppid_roles_only(home):
    app = make_app(home)
    add(app, **HOSTILE)
    client = login(app.test_client(), "atasan")
    url = "/audit/{}?action=register"
    plain = _download(client, url.format("audit.csv"), "csv", "log-audit.csv")
    assert len(plain) == 2 and plain[1][3] == "register.add"
    assert _download(client, url.format("audit-excel.csv"), "excel-csv", "log-audit-excel.csv") == plain
    rows = _download(client, url.format("audit.xlsx"), "xlsx", "log-audit.xlsx")
    assert rows[1][0] == int(plain[1][0]) and rows[1][3:5] == plain[1][3:5]
    assert "Unduh Excel (.xlsx)" in client.get("/audit/").get_data(as_text=True)
    dok = login(app.test_client(), "dok")
    for page in ("audit.csv", "audit-excel.csv", "audit.xlsx"):
        assert dok.get(f"/audit/{page}").status_code == 403


@pytest.mark.parametrize("excel", [False, True], ids=["comma", "excel"])
def test_the_kiosk_imports_what_it_exported_with_either_separator(home, tmp_path, excel):
    app = make_app(home)
    add(app, **HOSTILE)
    add(app, title="Notulen, rapat; pleno", unit="Umum", category="berkala", summary='a "b"\nc;d,e')
    client = login(app.test_client(), "ppid")
    body = client.get(REGISTER_URLS["excel-csv" if excel else "csv"]).data
    other = make_app(tmp_path / "other")
    other_client = login(other.test_client(), "ppid")
    from helpers.kiosk import token

    page = other_client.post("/register/import", data={"file": (io.BytesIO(body), "dip.csv"),
                                                       "csrf_token": token(other_client, "/register/")},
                             content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "2 dibuat" in page, page
    assert other_client.get(REGISTER_URLS["csv"]).data == client.get(REGISTER_URLS["csv"]).data


# -- the command line ----------------------------------------------------------------------------


def test_the_commands_write_each_format_and_never_a_workbook_to_the_terminal(run, home, tmp_path):
    assert run("register", "add", "--title", HOSTILE["title"], "--unit", "Umum", "--category", "berkala").code == 0
    plain = run("register", "export")
    assert plain.code == 0 and plain.stdout.startswith("Nomor Register,")
    excel = run("register", "export", "--format", "excel-csv")
    assert excel.stdout.startswith("\ufeffNomor Register;") and _csv_rows(excel.stdout, excel=True)[1:] == \
        _csv_rows(plain.stdout, excel=False)[1:]
    refused = run("register", "export", "--format", "xlsx")
    assert refused.code == 2 and refused.stdout == "" and "--output" in refused.stderr
    out = tmp_path / "dip.xlsx"
    written = run("register", "export", "-o", out, "--json")  # the format from the name
    assert written.code == 0 and written.json == {"path": str(out), "format": "xlsx", "rows": 1}
    assert _values(_workbook(out.read_bytes())["Daftar Informasi Publik"])[1][1] == HOSTILE["title"]
    again = run("register", "export", "--output", out)
    assert again.code == 5 and "exists already" in again.stderr  # never overwritten
    csv_out = tmp_path / "dip.csv"
    assert run("register", "export", "--format", "excel-csv", "--output", csv_out).code == 0
    assert csv_out.read_bytes().decode("utf-8") == excel.stdout

    assert run("report", "--format", "xlsx").code == 2
    assert run("report", "--csv", "--format", "xlsx", "-o", tmp_path / "r.xlsx").code == 2
    assert run("report", "--format", "excel-csv").stdout.startswith("\ufeffUnit;Disimpan;")
    assert run("report", "--month", "2026-03", "--format", "xlsx", "-o", tmp_path / "r.xlsx").code == 0
    wb = _workbook((tmp_path / "r.xlsx").read_bytes())
    assert wb.sheetnames == ["Laporan", "Dikembalikan"] and _values(wb["Laporan"])[1] == ["Jumlah", 0, 0, 0, 0, 0]
