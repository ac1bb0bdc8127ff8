"""The register of public information (Daftar Informasi Publik, DIP).

Entries are validated here, whichever way they arrive (command line, CSV, the kiosk): each field
has a length limit by its meaning, control characters are taken out, and ids are checked. New
ids come from `Settings.id_pattern` with a per-year sequence. CSV files are `register_csv`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from .. import search
from ..accounts.roles import EXEMPT
from ..audit import log as audit
from ..core.config import Settings
from ..core.entry_fields import FIELD_NAMES, FIELDS, Field
from ..core.entry_ids import GOOD_PATTERN, id_problem
from ..core.errors import RegisterError, UnknownEntryError
from ..core.model import DocumentStatus
from ..db.database import Document, Entry, IdSequence, utcnow
from .lookup import existing_ids

CATEGORIES = ("berkala", "serta-merta", "setiap-saat", "dikecualikan")
FORMATS = ("hardcopy", "softcopy", "both")
_FORMAT_ALIASES = {"keduanya": "both", "hardcopy dan softcopy": "both", "hardcopy & softcopy": "both"}

#: Control characters that are dropped: C0 and C1 controls other than the whitespace ones below,
#: DEL, and the Unicode bidi embeddings, overrides and isolates (they can make text read backwards).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_BREAKS_AND_TABS = re.compile(r"(?:\r\n|[\t\n\r\x0b\x0c\x85\u2028\u2029])+")
#: Lone surrogates: what Python makes of bytes that are not UTF-8 (a command line typed in another
#: encoding); no database or output takes them.
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Text without control characters, trimmed. A single-line field turns each run of tabs and
    line breaks into one space; a multi-line one keeps its line breaks, as `\\n`."""
    text = _CONTROLS.sub("", "" if value is None else str(value))
    if multiline:
        text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    else:
        text = _BREAKS_AND_TABS.sub(" ", text)
    return text.strip()


def parse_date(value: str) -> dt.date:
    """ISO `2025-01-31`, or the Indonesian way `31/01/2025` or `31-01-2025`."""
    value = value.strip()
    if not value.isascii():  # strptime would read other scripts' digits (２０２５) as numbers
        raise RegisterError(f"date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31", code="date",
                            value=value[:40])
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise RegisterError(f"date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31", code="date",
                        value=value[:40])


def _clean_field(f: Field, value: object) -> object:
    text = clean_text(value, multiline=f.multiline)
    if _SURROGATES.search(text):
        raise RegisterError(f"{f.name} ({f.header}) holds bytes that are not UTF-8 text; type it again in UTF-8",
                            code="field_not_utf8", field=f.header)
    if f.required and not text:
        raise RegisterError(f"{f.name} ({f.header}) is required", code="field_required", field=f.header)
    if len(text) > f.max_length:
        raise RegisterError(
            f"{f.name} ({f.header}) has {len(text):,} characters; at most {f.max_length:,} are allowed",
            code="field_too_long", field=f.header, length=len(text), limit=f.max_length)
    shown = text  # as typed, but cleaned and short enough to repeat in a message
    if f.name == "category" and text:
        text = text.lower().replace(" ", "-")
        if text not in CATEGORIES:
            raise RegisterError(f"category {shown!r} is not one of {', '.join(CATEGORIES)}", code="category",
                                value=shown[:60], allowed=", ".join(CATEGORIES))
    elif f.name == "format":
        text = _FORMAT_ALIASES.get(text.lower(), text.lower()) or "hardcopy"
        if text not in FORMATS:
            raise RegisterError(f"format {shown!r} is not one of {', '.join(FORMATS)}", code="format",
                                value=shown[:60], allowed=", ".join(FORMATS))
    elif f.name == "id" and text:
        text = text.upper()
        problem = id_problem(text)
        if problem:
            raise RegisterError(f"id {shown!r} {problem}", code="register_id", value=shown[:60])
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


#: New ids are looked for this many at a time; an id that exists already is skipped.
_ID_CHUNK = 500
#: How many existing ids one allocation may skip before it gives up (the sequence can lag behind
#: ids that were typed or imported in the pattern's form; a register holds about 100,000 entries).
MAX_SKIPPED_IDS = 1_000_000


def _id_for(settings: Settings, year: int, seq: int) -> str:
    try:
        candidate = settings.id_pattern.format(year=year, seq=seq).upper()
    except (KeyError, IndexError, ValueError) as exc:
        raise RegisterError(
            f"id_pattern {settings.id_pattern!r} is not usable ({exc}); use {{year}} and {{seq}}, e.g. {GOOD_PATTERN}"
        ) from None
    problem = id_problem(candidate)
    if problem:
        raise RegisterError(f"id_pattern {settings.id_pattern!r} makes {candidate!r}, but an id {problem}")
    return candidate


def _locked_sequence(session: Session, year: int) -> IdSequence:
    """The year's sequence row, locked until the transaction ends: FOR UPDATE where the database
    has it, and on SQLite a write first (which takes the database's write lock)."""
    session.execute(update(IdSequence).where(IdSequence.year == year).values(last=IdSequence.last))
    seq_row = session.get(IdSequence, year, with_for_update=True, populate_existing=True)
    if seq_row is None:
        seq_row = IdSequence(year=year, last=0)
        session.add(seq_row)
    return seq_row


def allocate_ids(session: Session, settings: Settings, count: int, *, taken: Iterable[str] = (),
                 year: int | None = None) -> list[str]:
    """`count` new ids from the configured pattern, in sequence order, skipping ids that are in the
    register or in `taken`; the per-year sequence lives in the database."""
    year = year or dt.date.today().year
    taken = set(taken)
    seq_row = _locked_sequence(session, year) if count else None
    ids: list[str] = []
    skipped = 0
    while len(ids) < count:
        assert seq_row is not None  # taken when count > 0
        seqs = range(seq_row.last + 1, seq_row.last + 1 + min(max(count - len(ids), 16), _ID_CHUNK))
        candidates = [_id_for(settings, year, seq) for seq in seqs]
        if len(set(candidates)) < len(candidates):
            raise RegisterError(f"id_pattern {settings.id_pattern!r} makes the same id for different "
                                f"numbers; use {{seq}} once, e.g. {GOOD_PATTERN}")
        busy = taken | existing_ids(session, candidates)
        for seq, candidate in zip(seqs, candidates, strict=True):
            seq_row.last = seq
            if candidate in busy:
                skipped += 1
            else:
                ids.append(candidate)
                if len(ids) == count:
                    break
        if skipped > MAX_SKIPPED_IDS:
            raise RegisterError(f"id_pattern {settings.id_pattern!r}: the next {skipped:,} ids it makes are all "
                                "taken already; give the pattern another prefix")
    return ids


def next_id(session: Session, settings: Settings, year: int | None = None) -> str:
    """The next free id from the configured pattern."""
    return allocate_ids(session, settings, 1, year=year)[0]


def add_entry(session: Session, settings: Settings, *, actor: str = "-", **raw: object) -> Entry:
    values = clean_fields(raw)
    entry_id = values.pop("id", None) or next_id(session, settings)
    if session.get(Entry, entry_id) is not None:
        raise RegisterError(f"register id {entry_id} exists already", code="entry_exists", entry=entry_id)
    entry = Entry(id=entry_id, **values)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "register.add", entry.id, new=entry_dict(entry))
    return entry


def update_entry(session: Session, entry_id: str, *, may_change_exempt: bool = True, actor: str = "-",
                 **raw: object) -> Entry:
    """Change an entry's fields (not its id); the search index follows. Into or out of
    "dikecualikan" only `may_change_exempt` (a role that may see such documents)."""
    entry = get_entry(session, entry_id)
    values = clean_fields({**raw, "id": entry.id})
    values.pop("id", None)
    if not may_change_exempt:
        check_exempt_change(entry.category, values.get("category", entry.category))
    before = entry_dict(entry)
    for name, value in values.items():
        setattr(entry, name, value)
    after = entry_dict(entry)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(session, actor, "register.change", entry.id, old={k: before[k] for k in changed},
                     new={k: after[k] for k in changed})
    entry.updated_at = utcnow()
    session.flush()
    if entry.documents:
        search.reindex_entry(session, entry)
    if before["category"] != EXEMPT and entry.category == EXEMPT:
        signed_papers_follow(session, [entry.id], actor=actor)
    return entry


def signed_papers_follow(session: Session, register_ids: list[str], *, actor: str = "-") -> list[str]:
    """Entries made exempt take with them the entries of the signed papers of every berita acara
    that lists one of their documents (that paper names them); the ids of those made exempt."""
    from ..db.database import BeritaAcara, Document

    documents = set(session.scalars(select(Document.id).where(Document.register_id.in_(register_ids))))
    papers = [b.register_id for b in session.scalars(select(BeritaAcara).where(BeritaAcara.register_id.is_not(None)))
              if documents & set(b.document_ids or [])]
    followed = []
    for paper in session.scalars(select(Entry).where(Entry.id.in_(papers), Entry.category != EXEMPT)):
        old, paper.category, paper.updated_at = paper.category, EXEMPT, utcnow()
        audit.record(session, actor, "register.change", paper.id, old={"category": old}, new={"category": EXEMPT},
                     reason=f"a berita acara its paper holds lists {', '.join(register_ids[:5])}")
        followed.append(paper.id)
    session.flush()
    for paper_id in followed:
        paper_entry = session.get(Entry, paper_id)
        assert paper_entry is not None  # changed just above
        search.reindex_entry(session, paper_entry)
    return followed


def check_exempt_change(old: str, new: object) -> None:
    """For a role that may not see "dikecualikan": it may not move an entry into or out of it."""
    if old != new and EXEMPT in (old, new):
        raise RegisterError(f"only a Petugas PPID or the Atasan PPID may change the category from {old!r} to "
                            f"{new!r} (category 'dikecualikan' decides who may see the documents)",
                            code="exempt_change", old=old, new=new)


def get_entry(session: Session, entry_id: str) -> Entry:
    entry = session.get(Entry, entry_id.strip().upper())
    if entry is None:
        raise UnknownEntryError(f"register id {entry_id} is not in the register", code="no_entry", entry=entry_id)
    return entry


def list_entries(session: Session) -> list[Entry]:
    return list(session.scalars(select(Entry).order_by(Entry.id)))


#: What the register's own search box looks through.
_SEARCHED = (Entry.id, Entry.title, Entry.summary, Entry.unit, Entry.responsible, Entry.number,
             Entry.classification, Entry.place, Entry.category)


#: What became of an entry, from its newest version: not scanned (no version yet), submitted
#: (waiting for the PPID), accepted, returned.
ENTRY_STATES = ("not_scanned", *DocumentStatus)


def _newest_versions():
    """Each entry's newest version and its status, as a subquery (register_id, status)."""
    newest = (select(Document.register_id, func.max(Document.version).label("version"))
              .group_by(Document.register_id).subquery())
    return (select(Document.register_id, Document.status)
            .join(newest, and_(Document.register_id == newest.c.register_id, Document.version == newest.c.version))
            .subquery())


def entries_query(*, q: str = "", unit: str = "", category: str = "", year: int | None = None, state: str = "",
                  hidden_categories: Iterable[str] = ()) -> Select:
    """Entries filtered in the database (a register grows to 100,000 rows), in id order. `state`
    (one of ENTRY_STATES) leaves out entries of `hidden_categories`, whose documents the reader
    may not see: a filter by state would tell what became of them."""
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
    if state in ENTRY_STATES:
        newest = _newest_versions()
        query = query.outerjoin(newest, newest.c.register_id == Entry.id)
        query = query.where(newest.c.register_id.is_(None) if state == "not_scanned" else newest.c.status == state)
        if hidden := list(hidden_categories):
            query = query.where(Entry.category.not_in(hidden))
    return query


def entry_states(session: Session, ids: list[str]) -> dict[str, str]:
    """The state (ENTRY_STATES) of each of the entries `ids`."""
    newest = _newest_versions()
    rows = session.execute(select(newest.c.register_id, newest.c.status).where(newest.c.register_id.in_(ids)))
    found = {register_id: status for register_id, status in rows}
    return {i: found.get(i, "not_scanned") for i in ids}


def units(session: Session) -> list[str]:
    return list(session.scalars(select(Entry.unit).distinct().order_by(Entry.unit)))


def entry_dict(entry: Entry) -> dict[str, object]:
    data = {name: getattr(entry, name) for name in FIELD_NAMES}
    data["created_date"] = entry.created_date.isoformat() if entry.created_date else None
    return data
