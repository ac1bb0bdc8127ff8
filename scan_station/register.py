"""The register of public information (Daftar Informasi Publik, DIP).

Entries are validated here, whichever way they arrive (command line, CSV, later the kiosk). New
ids come from `Settings.id_pattern` with a per-year sequence. CSV files use the column headers of
an office's DIP spreadsheet; an import is all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import search
from .config import Settings
from .db import Entry, IdSequence, utcnow
from .errors import CsvImportError, RegisterError, UnknownEntryError

CATEGORIES = ("berkala", "serta-merta", "setiap-saat", "dikecualikan")
FORMATS = ("hardcopy", "softcopy", "both")
_FORMAT_ALIASES = {"keduanya": "both", "hardcopy dan softcopy": "both", "hardcopy & softcopy": "both"}
#: Characters a register id may use (they travel inside the cover-sheet barcode).
ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{0,47}$")


@dataclass(frozen=True)
class Field:
    name: str  # attribute of Entry and CLI/JSON key
    header: str  # CSV column header, as in a DIP spreadsheet
    required: bool = False


FIELDS = (
    Field("id", "Nomor Register"),
    Field("title", "Judul Informasi", required=True),
    Field("summary", "Ringkasan Isi Informasi"),
    Field("unit", "Pejabat/Unit yang Menguasai Informasi", required=True),
    Field("responsible", "Penanggung Jawab Pembuatan/Penerbitan Informasi"),
    Field("created_date", "Waktu Pembuatan Informasi"),
    Field("place", "Tempat Pembuatan Informasi"),
    Field("format", "Bentuk Informasi yang Tersedia"),
    Field("retention", "Jangka Waktu Penyimpanan atau Retensi Arsip"),
    Field("category", "Kategori Informasi", required=True),
    Field("classification", "Kode Klasifikasi"),
    Field("number", "Nomor Naskah"),
    Field("hardcopy_location", "Lokasi Penyimpanan Hardcopy"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def parse_date(value: str) -> dt.date:
    """ISO `2025-01-31`, or the Indonesian way `31/01/2025` or `31-01-2025`."""
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise RegisterError(f"date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31")


def clean_fields(raw: Mapping[str, object]) -> dict[str, object]:
    """Validated, normalised entry fields from strings; raises RegisterError naming the field."""
    values: dict[str, object] = {}
    for f in FIELDS:
        value = raw.get(f.name)
        text = "" if value is None else str(value).strip()
        if f.required and not text:
            raise RegisterError(f"{f.name} ({f.header}) is required")
        if f.name == "category" and text:
            text = text.lower().replace(" ", "-")
            if text not in CATEGORIES:
                raise RegisterError(
                    f"category {value!r} is not one of {', '.join(CATEGORIES)}"
                )
        elif f.name == "format":
            text = _FORMAT_ALIASES.get(text.lower(), text.lower()) or "hardcopy"
            if text not in FORMATS:
                raise RegisterError(f"format {value!r} is not one of {', '.join(FORMATS)}")
        elif f.name == "id" and text:
            text = text.upper()
            if not ID_RE.match(text):
                raise RegisterError(
                    f"id {value!r} may use only A-Z, 0-9, '-', '.', '/' (at most 48 characters)"
                )
        if f.name == "created_date":
            values[f.name] = parse_date(text) if text else None
        elif text or f.name != "id":
            values[f.name] = text
    return values


def next_id(session: Session, settings: Settings, year: int | None = None) -> str:
    """The next free id from the configured pattern; the per-year sequence lives in the database."""
    year = year or dt.date.today().year
    seq_row = session.get(IdSequence, year, with_for_update=True)
    if seq_row is None:
        seq_row = IdSequence(year=year, last=0)
        session.add(seq_row)
    while True:
        seq_row.last += 1
        try:
            candidate = settings.id_pattern.format(year=year, seq=seq_row.last).upper()
        except (KeyError, IndexError, ValueError) as exc:
            raise RegisterError(
                f"id_pattern {settings.id_pattern!r} is not usable ({exc}); "
                "use {year} and {seq}, e.g. PPID-{year}-{seq:06d}"
            ) from None
        if not ID_RE.match(candidate):
            raise RegisterError(f"id_pattern makes {candidate!r}, which is not a valid id")
        if session.get(Entry, candidate) is None:
            return candidate


def add_entry(session: Session, settings: Settings, **raw: object) -> Entry:
    values = clean_fields(raw)
    entry_id = values.pop("id", None) or next_id(session, settings)
    if session.get(Entry, entry_id) is not None:
        raise RegisterError(f"register id {entry_id} exists already")
    entry = Entry(id=entry_id, **values)
    session.add(entry)
    session.flush()
    return entry


def update_entry(session: Session, entry_id: str, **raw: object) -> Entry:
    """Change an entry's fields (not its id); the search index follows."""
    entry = get_entry(session, entry_id)
    values = clean_fields({**raw, "id": entry.id})
    values.pop("id", None)
    for name, value in values.items():
        setattr(entry, name, value)
    entry.updated_at = utcnow()
    session.flush()
    if entry.documents:
        search.reindex_entry(session, entry)
    return entry


def get_entry(session: Session, entry_id: str) -> Entry:
    entry = session.get(Entry, entry_id.strip().upper())
    if entry is None:
        raise UnknownEntryError(f"register id {entry_id} is not in the register")
    return entry


def list_entries(session: Session) -> list[Entry]:
    return list(session.scalars(select(Entry).order_by(Entry.id)))


def entry_dict(entry: Entry) -> dict[str, object]:
    data = {name: getattr(entry, name) for name in FIELD_NAMES}
    data["created_date"] = entry.created_date.isoformat() if entry.created_date else None
    return data


# -- CSV -----------------------------------------------------------------------------------------

_HEADER_TO_FIELD = {_norm(f.header): f.name for f in FIELDS} | {_norm(f.name): f.name for f in FIELDS}


def export_csv(entries: Iterable[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.header for f in FIELDS])
    for entry in entries:
        row = entry_dict(entry)
        writer.writerow(["" if row[f.name] is None else row[f.name] for f in FIELDS])
    return out.getvalue()


def _read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise CsvImportError([(1, "the file is empty; the first line must hold column headers")])
    names = []
    for column in header:
        name = _HEADER_TO_FIELD.get(_norm(column))
        if name is None and column.strip():
            known = "; ".join(f.header for f in FIELDS)
            raise CsvImportError([(1, f"unknown column {column.strip()!r}; known columns: {known}")])
        names.append(name)
    missing = [f.header for f in FIELDS if f.required and f.name not in names]
    if missing:
        raise CsvImportError([(1, f"missing column(s): {', '.join(missing)}")])
    rows = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(names):
            raise CsvImportError([(reader.line_num, f"{len(record)} cells but {len(names)} columns")])
        rows.append((reader.line_num, {n: v for n, v in zip(names, record) if n}))
    return names, rows


def import_csv(session: Session, settings: Settings, text: str) -> dict[str, list[str]]:
    """Create or update entries from CSV text. All rows are checked first; any bad row raises
    CsvImportError with every bad line, and nothing is written."""
    _, rows = _read_rows(text.lstrip("\ufeff"))
    problems: list[tuple[int, str]] = []
    cleaned: list[tuple[int, dict[str, object]]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            values = clean_fields(row)
        except RegisterError as exc:
            problems.append((line, str(exc)))
            continue
        entry_id = values.get("id")
        if entry_id in seen:
            problems.append((line, f"id {entry_id} already on line {seen[entry_id]}"))
            continue
        if entry_id:
            seen[str(entry_id)] = line
        cleaned.append((line, values))
    if problems:
        raise CsvImportError(problems)
    created, updated = [], []
    for _line, values in cleaned:
        entry_id = values.pop("id", None)
        if entry_id and session.get(Entry, entry_id) is not None:
            updated.append(update_entry(session, entry_id, **values).id)
        else:
            created.append(add_entry(session, settings, id=entry_id, **values).id)
    session.flush()
    return {"created": created, "updated": updated}
