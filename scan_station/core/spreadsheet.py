"""Tables as the files offices open: CSV for programs, CSV as Excel in Indonesian opens it, and XLSX.

- `csv`: comma-separated UTF-8 without a byte order mark, for programs and scripts (and every
  existing reader of the exports).
- `excel-csv`: what Excel in the Indonesian locale opens by a double click: its list separator is
  `;` (the decimal separator being `,`), and it reads a CSV as UTF-8 only after a byte order
  mark. Excel saves such a file back the same way, and `register_csv.import_csv` reads it.
- `xlsx`: an Excel workbook: a bold, frozen header row, column widths, dates as dates, numbers as
  numbers, and every text as text, never a formula.

Both CSVs quote text that a spreadsheet would run as a formula (`csv_cells.protect`). In the
workbook a text is stored as a string cell, which no spreadsheet runs, whatever it begins with;
one that begins like a formula also gets the "quote prefix" style, so that editing the cell in
Excel keeps it text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .csv_cells import protect_row

FORMATS = ("csv", "excel-csv", "xlsx")
#: What each format's file name ends with (the two CSVs told apart in a downloads folder).
SUFFIXES = {"csv": ".csv", "excel-csv": "-excel.csv", "xlsx": ".xlsx"}
MIMETYPES = {"csv": "text/csv", "excel-csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
BOM = "\ufeff"
#: Characters a cell of a workbook may hold at most (Excel's limit).
MAX_XLSX_CELL = 32_767
_DATE_FORMAT = "dd/mm/yyyy"  # as Indonesian offices write dates
_DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
#: Characters XML 1.0 cannot carry (control characters but tab and line breaks, lone surrogates).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Texts a spreadsheet would take for a formula or an error value if they were typed in.
_LIKE_FORMULA = re.compile(r"[=+\-@\t\r]")
_ERROR_VALUES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14  # characters
    kind: str = "text"  # text, number, date (a date or YYYY-MM-DD) or datetime (one, or ISO 8601 text)


@dataclass(frozen=True)
class Sheet:
    """A table; the CSV formats hold the first sheet of an export, the workbook all of them."""

    title: str  # at most 31 characters, none of []:*?/\
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[object]]


def export(sheets: Sequence[Sheet], kind: str) -> str | bytes:
    """The sheets in format `kind` (one of FORMATS): text for the CSVs, bytes for the workbook."""
    if kind == "xlsx":
        return as_xlsx(sheets)
    if kind not in FORMATS:
        raise ValueError(f"unknown export format {kind!r}")
    return as_csv(sheets[0], excel=kind == "excel-csv")


def as_csv(sheet: Sheet, *, excel: bool = False) -> str:
    """The sheet as CSV: `,` without a BOM, or with `excel` `;` after a BOM."""
    out = io.StringIO()
    if excel:
        out.write(BOM)
    writer = csv.writer(out, delimiter=";" if excel else ",")
    writer.writerow([c.header for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow(protect_row(row))
    return out.getvalue()


def as_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one workbook, written as it streams (a register of 100,000 rows included)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold, wrapped = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.title)
        ws.freeze_panes = "A2"
        for number, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(number)].width = column.width
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=_text(column.header))
            cell.font, cell.alignment = bold, wrapped
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_cell(ws, WriteOnlyCell, column.kind, value)
                       for column, value in zip(sheet.columns, row, strict=True)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(ws, make_cell, kind: str, value: object) -> object:
    """What the workbook's row holds for `value`: a plain value, or a cell that says how to show it."""
    if value is None or value == "":
        return None
    if kind in ("date", "datetime"):
        moment = _moment(value, kind)
        if moment is not None:
            cell = make_cell(ws, value=moment)
            cell.number_format = _DATE_FORMAT if kind == "date" else _DATETIME_FORMAT
            return cell
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = _text(value)
    if _LIKE_FORMULA.match(text) or text in _ERROR_VALUES:
        cell = make_cell(ws, value=text)
        cell.data_type = "s"  # stored as text: openpyxl would write `=...` as a formula
        cell.quotePrefix = True
        return cell
    return text


def _moment(value: object, kind: str) -> dt.date | dt.datetime | None:
    """A date, or a date and time in UTC without its zone (workbooks have none); None if `value`
    is neither."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value) if kind == "date" else dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.date() if kind == "date" else value
    return value if isinstance(value, dt.date) else None


def _text(value: str) -> str:
    """Text a workbook can hold: characters XML cannot carry become U+FFFD; at most MAX_XLSX_CELL."""
    text = _NOT_IN_XML.sub("\ufffd", value)
    return text if len(text) <= MAX_XLSX_CELL else text[:MAX_XLSX_CELL - 1] + "…"
