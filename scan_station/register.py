"""The register of public information (Daftar Informasi Publik, DIP).

Entries are validated here, whichever way they arrive (command line, CSV, the kiosk): each field
has a length limit by its meaning, control characters are taken out, and ids are checked. New
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

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from . import search
from .config import Settings
from .csv_cells import protect_row, unprotect
from .db import Entry, IdSequence, utcnow
from .errors import CsvImportError, RegisterError, UnknownEntryError
from .roles import EXEMPT

CATEGORIES = ("berkala", "serta-merta", "setiap-saat", "dikecualikan")
FORMATS = ("hardcopy", "softcopy", "both")
_FORMAT_ALIASES = {"keduanya": "both", "hardcopy dan softcopy": "both", "hardcopy & softcopy": "both"}
#: Characters a register id may use (they travel inside the cover-sheet barcode).
ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{0,47}$")
MAX_ID_LENGTH = 48


@dataclass(frozen=True)
class Field:
    name: str  # attribute of Entry and CLI/JSON key
    header: str  # CSV column header, as in a DIP spreadsheet
    required: bool = False
    max_length: int = 200  # characters, after cleaning
    multiline: bool = False  # keeps its line breaks (only the summary)


FIELDS = (
    Field("id", "Nomor Register", max_length=MAX_ID_LENGTH),
    Field("title", "Judul Informasi", required=True, max_length=500),
    Field("summary", "Ringkasan Isi Informasi", max_length=5000, multiline=True),
    Field("unit", "Pejabat/Unit yang Menguasai Informasi", required=True),
    Field("responsible", "Penanggung Jawab Pembuatan/Penerbitan Informasi"),
    Field("created_date", "Waktu Pembuatan Informasi", max_length=40),
    Field("place", "Tempat Pembuatan Informasi"),
    Field("format", "Bentuk Informasi yang Tersedia", max_length=40),
    Field("retention", "Jangka Waktu Penyimpanan atau Retensi Arsip"),
    Field("category", "Kategori Informasi", required=True, max_length=40),
    Field("classification", "Kode Klasifikasi", max_length=40),
    Field("number", "Nomor Naskah", max_length=120),
    Field("hardcopy_location", "Lokasi Penyimpanan Hardcopy"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)

#: Control characters that are dropped: C0 and C1 controls other than the whitespace ones below,
#: DEL, and the Unicode bidi embeddings, overrides and isolates (they can make text read backwards).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_BREAKS_AND_TABS = re.compile(r"(?:\r\n|[\t\n\r\x0b\x0c\x85\u2028\u2029])+")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Text without control characters, trimmed. A single-line field turns each run of tabs and
    line breaks into one space; a multi-line one keeps its line breaks, as `\\n`."""
    text = _CONTROLS.sub("", "" if value is None else str(value))
    if multiline:
        text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    else:
        text = _BREAKS_AND_TABS.sub(" ", text)
    return text.strip()


def id_problem(entry_id: str) -> str | None:
    """Why `entry_id` (upper case) cannot be a register id, or None when it can."""
    if not ID_RE.match(entry_id):
        return (f"may use only A-Z, 0-9, '-', '.', '/', must begin with a letter or digit "
                f"(at most {MAX_ID_LENGTH} characters)")
    if any(part in ("", ".", "..") for part in entry_id.split("/")):
        return "may not end with '/' nor have an empty, '.' or '..' part between slashes"
    return None


def parse_date(value: str) -> dt.date:
    """ISO `2025-01-31`, or the Indonesian way `31/01/2025` or `31-01-2025`."""
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise RegisterError(f"date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31")


def _clean_field(f: Field, value: object) -> object:
    text = clean_text(value, multiline=f.multiline)
    if f.required and not text:
        raise RegisterError(f"{f.name} ({f.header}) is required")
    if len(text) > f.max_length:
        raise RegisterError(
            f"{f.name} ({f.header}) has {len(text):,} characters; at most {f.max_length:,} are allowed"
        )
    shown = text  # as typed, but cleaned and short enough to repeat in a message
    if f.name == "category" and text:
        text = text.lower().replace(" ", "-")
        if text not in CATEGORIES:
            raise RegisterError(f"category {shown!r} is not one of {', '.join(CATEGORIES)}")
    elif f.name == "format":
        text = _FORMAT_ALIASES.get(text.lower(), text.lower()) or "hardcopy"
        if text not in FORMATS:
            raise RegisterError(f"format {shown!r} is not one of {', '.join(FORMATS)}")
    elif f.name == "id" and text:
        text = text.upper()
        problem = id_problem(text)
        if problem:
            raise RegisterError(f"id {shown!r} {problem}")
    elif f.name == "created_date":
        return parse_date(text) if text else None
    return text


def clean_fields(raw: Mapping[str, object]) -> dict[str, object]:
    """Validated, normalised entry fields from strings; raises RegisterError naming the field."""
    values: dict[str, object] = {}
    for f in FIELDS:
        value = _clean_field(f, raw.get(f.name))
        if value or f.name != "id":
            values[f.name] = value
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
        problem = id_problem(candidate)
        if problem:
            raise RegisterError(f"id_pattern {settings.id_pattern!r} makes {candidate!r}, but an id {problem}")
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


def update_entry(session: Session, entry_id: str, *, may_change_exempt: bool = True, **raw: object) -> Entry:
    """Change an entry's fields (not its id); the search index follows. Into or out of
    "dikecualikan" only `may_change_exempt` (a role that may see such documents)."""
    entry = get_entry(session, entry_id)
    values = clean_fields({**raw, "id": entry.id})
    values.pop("id", None)
    if not may_change_exempt:
        check_exempt_change(entry.category, values.get("category", entry.category))
    for name, value in values.items():
        setattr(entry, name, value)
    entry.updated_at = utcnow()
    session.flush()
    if entry.documents:
        search.reindex_entry(session, entry)
    return entry


def check_exempt_change(old: str, new: str) -> None:
    """For a role that may not see "dikecualikan": it may not move an entry into or out of it."""
    if old != new and EXEMPT in (old, new):
        raise RegisterError(f"only a Petugas PPID or the Atasan PPID may change the category from {old!r} to "
                            f"{new!r} (category 'dikecualikan' decides who may see the documents)")


def get_entry(session: Session, entry_id: str) -> Entry:
    entry = session.get(Entry, entry_id.strip().upper())
    if entry is None:
        raise UnknownEntryError(f"register id {entry_id} is not in the register")
    return entry


def list_entries(session: Session) -> list[Entry]:
    return list(session.scalars(select(Entry).order_by(Entry.id)))


#: What the register's own search box looks through.
_SEARCHED = (Entry.id, Entry.title, Entry.summary, Entry.unit, Entry.responsible, Entry.number,
             Entry.classification, Entry.place, Entry.category)


def entries_query(*, q: str = "", unit: str = "", category: str = "", year: int | None = None) -> Select:
    """Entries filtered in the database (a register grows to 100,000 rows), in id order."""
    query = select(Entry).order_by(Entry.id)
    if q:
        needle = q.lower()
        query = query.where(or_(*(func.lower(c).contains(needle, autoescape=True) for c in _SEARCHED)))
    if unit:
        query = query.where(Entry.unit == unit)
    if category:
        query = query.where(Entry.category == category)
    if year:
        query = query.where(Entry.created_date >= dt.date(year, 1, 1), Entry.created_date <= dt.date(year, 12, 31))
    return query


def units(session: Session) -> list[str]:
    return list(session.scalars(select(Entry.unit).distinct().order_by(Entry.unit)))


def entry_dict(entry: Entry) -> dict[str, object]:
    data = {name: getattr(entry, name) for name in FIELD_NAMES}
    data["created_date"] = entry.created_date.isoformat() if entry.created_date else None
    return data


# -- CSV -----------------------------------------------------------------------------------------

_HEADER_TO_FIELD = {_norm(f.header): f.name for f in FIELDS} | {_norm(f.name): f.name for f in FIELDS}


def export_csv(entries: Iterable[Entry]) -> str:
    """The register as CSV; text that a spreadsheet would run as a formula is quoted (`csv_cells`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.header for f in FIELDS])
    for entry in entries:
        row = entry_dict(entry)
        writer.writerow(protect_row("" if row[f.name] is None else row[f.name] for f in FIELDS))
    return out.getvalue()


def _reader(text: str) -> csv.reader:
    """A reader for any line ends (CR LF, LF, or the CR of old Mac Excel) and separator."""
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # Only the separator is taken from the sniffer: quoting is always Excel's (a doubled `""`
    # inside quotes), which the sniffer cannot see in a header line without quotes.
    return csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)


def _column_names(header: list[str] | None) -> list[str | None]:
    if not header:
        raise CsvImportError([(1, "the file is empty; the first line must hold column headers")])
    names = []
    for column in header:
        name = _HEADER_TO_FIELD.get(_norm(column))
        if name is None and column.strip():
            known = "; ".join(f.header for f in FIELDS)
            raise CsvImportError([(1, f"unknown column {column.strip()[:80]!r}; known columns: {known}")])
        names.append(name)
    missing = [f.header for f in FIELDS if f.required and f.name not in names]
    if missing:
        raise CsvImportError([(1, f"missing column(s): {', '.join(missing)}")])
    return names


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (f"a cell is longer than {csv.field_size_limit():,} characters, far more than any "
                "register field may hold")
    return f"not readable as CSV ({exc}); save the spreadsheet as 'CSV UTF-8'"


def _read_rows(text: str) -> tuple[list[str | None], list[tuple[int, dict[str, str]]]]:
    reader = _reader(text)
    rows = []
    try:
        names = _column_names(next(reader, None))
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(names):
                raise CsvImportError([(reader.line_num, f"{len(record)} cells but {len(names)} columns")])
            rows.append((reader.line_num, {n: unprotect(v) for n, v in zip(names, record, strict=False) if n}))
    except csv.Error as exc:
        raise CsvImportError([(max(reader.line_num, 1), _csv_problem(exc))]) from None
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
