"""The register as CSV: the column headers of an office's DIP spreadsheet, export (also as Excel
opens it, and as a workbook: `spreadsheet`), and import of either separator.

An import is all or nothing, and quick: every row is read and checked first, with nothing
written; then the entries are written in one short transaction (bulk inserts and updates, new ids
allocated in one go), so the database's write lock is held for a moment, not for the whole file.
A file may hold at most `MAX_IMPORT_ROWS` rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .. import search
from ..accounts.roles import EXEMPT
from ..audit import log as audit
from ..core.config import Settings
from ..core.csv_cells import unprotect
from ..core.errors import CsvImportError, RegisterError
from ..core.spreadsheet import Column, Sheet, export
from ..db.database import Document, Entry, utcnow
from . import FIELD_NAMES, FIELDS, allocate_ids, check_exempt_change, clean_fields, entry_dict, signed_papers_follow
from .lookup import categories_of, existing_ids

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

#: Rows one import may hold; a bigger register is imported in parts.
MAX_IMPORT_ROWS = 50_000
#: Ids asked about in one query (well below every database's limit of bound parameters).
_QUERY_CHUNK = 500


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_HEADER_TO_FIELD = {_norm(f.header): f.name for f in FIELDS} | {_norm(f.name): f.name for f in FIELDS}


#: Column widths in the workbook, in characters (others: 20).
_WIDTHS = {"id": 20, "title": 50, "summary": 60, "unit": 30, "responsible": 30, "created_date": 14, "format": 14,
           "category": 16, "classification": 14, "number": 28}
#: The register's sheet in a workbook.
SHEET_TITLE = "Daftar Informasi Publik"


def register_sheet(entries: Iterable[Entry]) -> Sheet:
    """The register as a table: a DIP spreadsheet's columns, one row per entry."""
    columns = tuple(Column(f.header, _WIDTHS.get(f.name, 20), "date" if f.name == "created_date" else "text")
                    for f in FIELDS)
    rows = (["" if row[f.name] is None else row[f.name] for f in FIELDS] for row in map(entry_dict, entries))
    return Sheet(SHEET_TITLE, columns, rows)


def export_register(entries: Iterable[Entry], kind: str) -> str | bytes:
    """The register as `kind`, one of `spreadsheet.FORMATS` (csv, excel-csv, xlsx)."""
    return export([register_sheet(entries)], kind)


def export_csv(entries: Iterable[Entry], *, excel: bool = False) -> str:
    """The register as CSV (`,`; with `excel`, `;` after a BOM); text that a spreadsheet would run
    as a formula is quoted (`csv_cells`)."""
    return cast(str, export_register(entries, "excel-csv" if excel else "csv"))  # the CSVs are text


# -- reading -------------------------------------------------------------------------------------


#: The separators a register's CSV may use: `,`, `;` (Excel in the Indonesian locale) and tab.
_SEPARATORS = (",", ";", "\t")


def _known_columns(line: str, separator: str) -> int:
    try:
        cells = next(csv.reader([line], delimiter=separator), [])
    except csv.Error:
        return 0
    return sum(_norm(cell) in _HEADER_TO_FIELD for cell in cells)


def _separator(first_line: str) -> str:
    """The separator that splits the header line into the most known column names; for a line
    without any, the sniffer's guess."""
    best = max(_SEPARATORS, key=lambda separator: _known_columns(first_line, separator))
    if _known_columns(first_line, best):
        return best
    try:
        return csv.Sniffer().sniff(first_line, delimiters="".join(_SEPARATORS)).delimiter
    except csv.Error:
        return ","


def _reader(text: str) -> CsvReader:
    """A reader for any line ends (CR LF, LF, or the CR of old Mac Excel) and separator."""
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    # Only the separator is taken from the header: quoting is always Excel's (a doubled `""`
    # inside quotes), which the sniffer cannot see in a header line without quotes.
    return csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_separator(first_line))


def _row(text: str, code: str, **params: object) -> RegisterError:
    """A row's problem: its message, and a code and parameters the kiosk translates."""
    return RegisterError(text, code=code, **params)


def _column_names(header: list[str] | None) -> list[str | None]:
    if not header:
        raise CsvImportError([(1, _row("the file is empty; the first line must hold column headers", "csv_empty"))])
    names = []
    for column in header:
        name = _HEADER_TO_FIELD.get(_norm(column))
        if name is None and column.strip():
            known = "; ".join(f.header for f in FIELDS)
            raise CsvImportError([(1, _row(f"unknown column {column.strip()[:80]!r}; known columns: {known}",
                                           "csv_unknown_column", column=column.strip()[:80], known=known))])
        if name is not None and name in names:
            header_of = next(f.header for f in FIELDS if f.name == name)
            raise CsvImportError([(1, _row(f"column {header_of!r} appears twice; keep one of them",
                                           "csv_column_twice", column=header_of))])
        names.append(name)
    missing = [f.header for f in FIELDS if f.required and f.name not in names]
    if missing:
        raise CsvImportError([(1, _row(f"missing column(s): {', '.join(missing)}", "csv_missing_columns",
                                       columns=", ".join(missing)))])
    return names


def _csv_problem(exc: csv.Error) -> RegisterError:
    if "field limit" in str(exc):
        return _row(f"a cell is longer than {csv.field_size_limit():,} characters, far more than any "
                    "register field may hold", "csv_cell_too_long", limit=csv.field_size_limit())
    return _row(f"not readable as CSV ({exc}); save the spreadsheet as 'CSV UTF-8'", "csv_unreadable")


def _too_many_rows(line: int) -> CsvImportError:
    return CsvImportError([(line, _row(f"the file has more than {MAX_IMPORT_ROWS:,} rows; split it into files "
                                       f"of at most {MAX_IMPORT_ROWS:,} rows and import them one after another",
                                       "csv_too_many_rows", limit=MAX_IMPORT_ROWS))])


def _read_rows(text: str) -> tuple[list[tuple[int, dict[str, str]]], set[str]]:
    """(line number, cells by field name) of each row that is not empty; the fields the file has
    columns for."""
    reader = _reader(text)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        names = _column_names(next(reader, None))
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(names):
                raise CsvImportError([(reader.line_num, _row(f"{len(record)} cells but {len(names)} columns",
                                                             "csv_cells", cells=len(record), columns=len(names)))])
            if len(rows) == MAX_IMPORT_ROWS:
                raise _too_many_rows(reader.line_num)
            rows.append((reader.line_num, {n: unprotect(v) for n, v in zip(names, record, strict=False) if n}))
    except csv.Error as exc:
        raise CsvImportError([(max(reader.line_num, 1), _csv_problem(exc))]) from None
    return rows, {n for n in names if n}


def _checked_rows(rows: list[tuple[int, dict[str, str]]]) -> list[dict[str, object]]:
    """Every row's cleaned fields; CsvImportError with every bad line if any row is wrong."""
    problems: list[tuple[int, object]] = []  # as CsvImportError takes them
    cleaned: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            values = clean_fields(row)
        except RegisterError as exc:
            problems.append((line, exc))
            continue
        entry_id = values.get("id")
        if entry_id in seen:
            problems.append((line, _row(f"id {entry_id} already on line {seen[entry_id]}", "csv_id_twice",
                                        entry=entry_id, first=seen[entry_id])))
            continue
        if entry_id:
            seen[str(entry_id)] = line
        cleaned.append(values)
    if problems:
        raise CsvImportError(problems)
    return cleaned


# -- writing -------------------------------------------------------------------------------------


def _chunks(items: list, size: int = _QUERY_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _reindex(session: Session, updated: list[str]) -> None:
    """The search index follows the register fields of updated entries that have documents."""
    with_documents: set[str] = set()
    for chunk in _chunks(updated):
        with_documents.update(session.scalars(select(Document.register_id).where(Document.register_id.in_(chunk))))
    for entry_id in sorted(with_documents):
        entry = session.get(Entry, entry_id, populate_existing=True)
        assert entry is not None  # a document's entry
        search.reindex_entry(session, entry)


def _write(session: Session, settings: Settings, rows: list[dict[str, object]], existing: set[str]
           ) -> dict[str, list[str]]:
    """Create or update every row in bulk; a row whose id is in `existing` updates that entry."""
    given = [str(v["id"]) for v in rows if v.get("id")]
    new_rows = [v for v in rows if v.get("id") not in existing]
    unnamed = [v for v in new_rows if not v.get("id")]
    for values, entry_id in zip(unnamed, allocate_ids(session, settings, len(unnamed), taken=given), strict=True):
        values["id"] = entry_id
    now = utcnow()
    updates = [{**v, "updated_at": now} for v in rows if v.get("id") in existing]
    for chunk in _chunks(new_rows, 5000):
        session.execute(insert(Entry), [{**v, "registered_at": now, "updated_at": now} for v in chunk])
    for chunk in _chunks(updates, 5000):
        session.execute(update(Entry), chunk)
    _reindex(session, [str(v["id"]) for v in updates])
    return {"created": [str(v["id"]) for v in new_rows], "updated": [str(v["id"]) for v in updates]}


def import_csv(session: Session, settings: Settings, text: str, *, may_change_exempt: bool = True,
               actor: str = "-") -> dict[str, list[str]]:
    """Create or update entries from CSV text. All rows are checked first; any bad row raises
    CsvImportError with every bad line, and nothing is written. Without `may_change_exempt` (a
    role that may not see "dikecualikan"), no row may move an entry into or out of it."""
    read, columns = _read_rows(text.lstrip("\ufeff"))
    rows = _checked_rows(read)
    existing = existing_ids(session, [str(v["id"]) for v in rows if v.get("id")])
    rows = _only_given(rows, columns, existing)
    if not may_change_exempt:
        _check_exempt_changes(session, [line for line, _row in read], rows)
    before = _current(session, [str(v["id"]) for v in rows if v.get("id")])
    result = _write(session, settings, rows, existing)
    _audit(session, actor, rows, before)
    now_exempt = [str(v["id"]) for v in rows if v.get("category") == EXEMPT
                  and before.get(str(v["id"]), {}).get("category", EXEMPT) != EXEMPT]
    if now_exempt:  # the signed papers of berita acara that list them follow (`register.signed_papers_follow`)
        signed_papers_follow(session, now_exempt, actor=actor)
    return result


def _only_given(rows: list[dict[str, object]], columns: set[str], existing: set[str]) -> list[dict[str, object]]:
    """A row that updates an entry changes only the fields the file has columns for: a sheet
    without, say, the summary column leaves every summary as it is."""
    return [{k: x for k, x in v.items() if k in columns or k == "id"} if v.get("id") in existing else v
            for v in rows]


def _current(session: Session, ids: list[str]) -> dict[str, dict]:
    found = {}
    for chunk in _chunks(ids):
        found.update({e.id: entry_dict(e) for e in session.scalars(select(Entry).where(Entry.id.in_(chunk)))})
    return found


def _audit(session: Session, actor: str, rows: list[dict[str, object]], before: dict[str, dict]) -> None:
    """One audit record per entry made or changed, with the old and new values of what changed."""
    added, changed = [], []
    for values in rows:
        new = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items() if k in FIELD_NAMES}
        old = before.get(str(values["id"]))
        if old is None:
            added.append((str(values["id"]), {"new": new, "via": "csv"}))
            continue
        keys = [k for k in new if k != "id" and new[k] != old.get(k)]
        if keys:
            changed.append((str(values["id"]), {"old": {k: old.get(k) for k in keys}, "new": {k: new[k] for k in keys},
                                                "via": "csv"}))
    audit.record_many(session, actor, "register.add", added)
    audit.record_many(session, actor, "register.change", changed)


def _check_exempt_changes(session: Session, lines: list[int], rows: list[dict[str, object]]) -> None:
    ids = [str(v["id"]) for v in rows if v.get("id")]
    before = categories_of(session, ids)
    problems: list[tuple[int, object]] = []  # as CsvImportError takes them
    for line, values in zip(lines, rows, strict=True):
        old = before.get(str(values.get("id")))
        if old is not None:
            try:
                check_exempt_change(old, str(values.get("category", old)))
            except RegisterError as exc:
                problems.append((line, exc))
    if problems:
        raise CsvImportError(problems)
