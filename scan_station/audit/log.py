"""The audit log: append-only, each record carrying the SHA-256 of the one before.

What is recorded (`action`): register changes with their old and new values, cover sheets
printed, scans started, reviews confirmed, documents filed, handover decisions, berita acara
made, logins and failed logins, user administration, and views and downloads of "dikecualikan"
documents. A record's `hash` is the SHA-256 of its own content and the hash before it, so that
`verify` finds any record edited, deleted, inserted or moved, and says which.

The chain's head (sequence number and hash) lives in a one-row table that every writer updates
first, so that writers queue there and the chain never forks (PostgreSQL locks the row; SQLite
takes its write lock). The head as it stood is also written into each batch manifest in storage
and each berita acara (`head`); `verify` checks those anchors, so cutting off the log's tail
(and the head row with it) is found too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from ..core.errors import StorageError
from ..db.database import AuditHead, AuditRecord, Database, utcnow
from . import anchor as audit_anchor

GENESIS = "0" * 64
#: A text value in a record's details is cut to this many characters (a register summary, say).
MAX_DETAIL_CHARS = 2000


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash}


def digest(*, seq: int, at: str, actor: str, action: str, subject: str, details: dict, prev: str) -> str:
    """The record's SHA-256: of its content, in a canonical JSON form, and the hash before it."""
    body = json.dumps({"seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
                       "details": details, "prev": prev}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()


def record(session: Session, actor: str, action: str, subject: str = "", **details: object) -> Head:
    """Append one record in the caller's transaction: it is kept if and only if the work it
    describes is committed. The new head."""
    new_head = record_many(session, actor, action, [(subject, details)])
    assert new_head is not None  # one item: one record appended
    return new_head


def record_many(session: Session, actor: str, action: str, items: Iterable[tuple[str, dict]]) -> Head | None:
    """Append one record per (subject, details), chained in order, with one wait for the head."""
    items = list(items)
    if not items:
        return None
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))  # queue for the head
    seq, prev = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    now, actor, rows = utcnow(), (actor or "-")[:64], []
    for subject, details in items:
        seq += 1
        row: dict[str, Any] = {"seq": seq, "at": now, "actor": actor, "action": action, "subject": str(subject)[:200],
               "details": _plain(details), "prev_hash": prev}
        row["hash"] = prev = digest(seq=seq, at=_stamp(now), actor=actor, action=action, subject=row["subject"],
                                    details=row["details"], prev=row["prev_hash"])
        rows.append(row)
    for start in range(0, len(rows), 5000):
        session.execute(insert(AuditRecord), rows[start:start + 5000])
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    audit_anchor.noted(session, seq, prev)  # anchored outside the database once committed, when due
    return Head(seq, prev)


def _plain(value: object) -> object:
    """Details as JSON holds them (dates as text), long texts cut: what is hashed is what is stored."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return str(value)[:MAX_DETAIL_CHARS]


def head(db: Database) -> Head:
    """The chain's head as committed now (for the anchors in storage)."""
    with db.session() as session:
        row = session.get(AuditHead, 1)
        assert row is not None  # the head's one row is made with the table (migration 0015)
        return Head(row.seq, row.hash)


# -- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str

    def __str__(self) -> str:  # seq 0: a finding about the log as a whole (an anchor line, say)
        return f"record {self.seq}: {self.what}" if self.seq else self.what


def verify(session: Session, anchors: Iterable[tuple[str, dict]] = ()) -> list[Problem]:
    """Every way the log in the database differs from an unbroken chain (`check_chain`), and
    records not stored as they were written (`stored_forms`)."""
    stored = session.get(AuditHead, 1)
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
    try:
        chain = check_chain(rows, Head(stored.seq, stored.hash) if stored else None, anchors)
    except (TypeError, ValueError):  # a value the database cannot even give back as its type
        chain = [Problem(0, "a record cannot be read back (a value of another type put in its place: edited)")]
    return [*chain, *stored_forms(session)]


#: How SQLite holds a record's time as it was written (SQLAlchemy's form).
_STORED_AT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")


def stored_forms(session: Session) -> list[Problem]:
    """On SQLite, a value can be stored in another form that reads back the same — a time as
    `20261207T033957`, a name as bytes — so that the hash still holds while the filters (which
    compare what is stored) no longer find the record. Every record must be stored as written."""
    if session.get_bind().dialect.name != "sqlite":
        return []  # PostgreSQL holds times and texts in one form each
    rows = session.execute(sql_text(
        "SELECT seq, typeof(at), at, typeof(actor), typeof(action), typeof(subject), typeof(details), "
        "typeof(prev_hash), typeof(hash) FROM audit_record ORDER BY seq"))
    return [Problem(seq, "is not stored as it was written (a time or a text put in another form: edited)")
            for seq, at_type, at, *types in rows
            if at_type != "text" or not _STORED_AT.fullmatch(at) or any(t != "text" for t in types)]


def check_chain(rows: Iterable, head: Head | None, anchors: Iterable[tuple[str, dict]] = ()) -> list[Problem]:
    """Every way `rows` (in the order of their sequence numbers) differ from an unbroken chain:
    edited, missing, inserted or moved records, a `head` that does not match the last, and
    anchors (where, head) that the chain no longer holds."""
    problems: list[Problem] = []
    hashes: dict[int, str] = {}
    expected_seq, prev = 1, GENESIS
    for row in rows:
        if row.seq != expected_seq:
            what = (f"records {expected_seq}–{row.seq - 1} are missing (deleted)" if row.seq > expected_seq
                    else "appears twice (inserted)")
            problems.append(Problem(row.seq, what))
        if row.prev_hash != prev:
            problems.append(Problem(row.seq, "does not follow the record before it (inserted, deleted or moved)"))
        try:
            own = digest(seq=row.seq, at=_stamp(row.at), actor=row.actor, action=row.action, subject=row.subject,
                         details=row.details, prev=row.prev_hash)
        except (TypeError, ValueError, AttributeError):  # a value of another type put in its place
            own = None
        if own != row.hash:
            problems.append(Problem(row.seq, "its content was changed after it was written (edited)"))
        hashes[row.seq] = row.hash
        expected_seq, prev = row.seq + 1, row.hash
    last = expected_seq - 1
    if head is None or (head.seq, head.hash) != (last, prev):
        problems.append(Problem(last, f"the log ends here but its head says record {head.seq if head else '?'} "
                                      "(records cut off at the end, or the head changed)"))
    for where, anchor in anchors:
        seq, value = int(anchor.get("seq", -1)), anchor.get("hash")
        if seq > 0 and hashes.get(seq) != value:
            problems.append(Problem(seq, f"{where} recorded this record as the head, and the log no longer holds it"
                                         " (the log's tail was cut, or the record changed)"))
    return problems


def storage_anchors(storage_dir: Path) -> Iterator[tuple[str, dict]]:
    """The heads written into batch manifests in storage (regular files only: a link or a named
    pipe is neither followed nor opened)."""
    from ..core.safe_files import read_bytes, walk

    batches = storage_dir / "batches"
    for item in sorted(walk(batches) if batches.is_dir() else [], key=lambda i: i.rel):
        if not item.usable or len(item.rel.parts) != 3 or not fnmatch(item.rel.name, "batch*.json"):
            continue
        try:
            anchor = json.loads(read_bytes(batches / item.rel, limit=64 << 20)).get("audit_head")
        except (OSError, ValueError, AttributeError, RecursionError):
            continue
        if isinstance(anchor, dict):
            yield str(Path("batches") / item.rel), anchor


def foreign_anchors(session: Session) -> set[tuple[object, object, object]]:
    """(manifest, seq, hash) of the heads in batch manifests that came with a bag: another
    installation's log wrote them. Each `import-bag` record names those its bag brought; being in
    this log's chain, these records cannot be changed unnoticed."""
    found: set[tuple[object, object, object]] = set()  # as the records hold them (JSON)
    for details in session.scalars(select(AuditRecord.details).where(AuditRecord.action == "import-bag")):
        for anchor in (details.get("anchors") or []) if isinstance(details, dict) else []:
            if isinstance(anchor, dict):
                found.add((anchor.get("path"), anchor.get("seq"), anchor.get("hash")))
    return found


def foreign_records(session: Session) -> list[dict]:
    """The audit records of other installations that imported bags carried, each as that
    installation wrote it (its own `seq`, `hash`, `prev_hash`), with `source` (where the bag said it
    came from) and `imported` (the `import-bag` record of this log that keeps it)."""
    rows = session.scalars(select(AuditRecord).where(AuditRecord.action == "import-bag").order_by(AuditRecord.seq))
    return [record | {"source": row.details.get("source"), "imported": row.seq}
            for row in rows if isinstance(row.details, dict)
            for record in row.details.get("foreign_records") or [] if isinstance(record, dict)]


def berita_acara_anchors(session: Session) -> Iterator[tuple[str, dict]]:
    from ..db.database import BeritaAcara

    for record_ in session.scalars(select(BeritaAcara).where(BeritaAcara.audit_seq.is_not(None))):
        yield f"berita acara {record_.number}", {"seq": record_.audit_seq, "hash": record_.audit_hash}


# -- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    action: str = ""  # a prefix: "register" finds register.add and register.change
    actor: str = ""
    subject: str = ""  # a part of it
    since: dt.date | None = None
    until: dt.date | None = None


class UnreadableLogError(StorageError):
    """A record the database cannot give back as its type: the log was edited by hand."""


@contextmanager
def readable() -> Iterator[None]:
    """Reading records: one that cannot be read back is UnreadableLogError, which says what to do."""
    try:
        yield
    except (TypeError, ValueError):
        raise UnreadableLogError("the audit log holds a record that cannot be read back (a value of another type "
                                 "put in its place: edited); run `scan-station audit verify`",
                                 code="audit_unreadable") from None


def records_query(f: Filter):
    query = select(AuditRecord).order_by(AuditRecord.seq.desc())
    if f.action:
        query = query.where(AuditRecord.action.startswith(f.action, autoescape=True))
    if f.actor:
        query = query.where(AuditRecord.actor == f.actor)
    if f.subject:
        query = query.where(AuditRecord.subject.contains(f.subject, autoescape=True))
    if f.since:
        query = query.where(AuditRecord.at >= dt.datetime.combine(f.since, dt.time(), dt.UTC))
    if f.until:
        query = query.where(AuditRecord.at <= dt.datetime.combine(f.until, dt.time.max, dt.UTC))  # 9999-12-31 too
    return query


def as_dict(row: AuditRecord) -> dict:
    """The record as text (a value put in as bytes by hand is shown, not believed: `verify` names it)."""
    return {"seq": row.seq, "at": _stamp(row.at), "actor": _shown(row.actor), "action": _shown(row.action),
            "subject": _shown(row.subject), "details": row.details, "prev_hash": _shown(row.prev_hash),
            "hash": _shown(row.hash)}


def _shown(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def as_csv(rows: Iterable[AuditRecord]) -> str:
    """The records as CSV (cells that a spreadsheet would run as formulas are made plain text)."""
    import csv
    import io

    from ..core.csv_cells import protect_row

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"])
    for row in rows:
        d = as_dict(row)
        writer.writerow(protect_row([str(d["seq"]), d["at"], d["actor"], d["action"], d["subject"],
                                     json.dumps(d["details"], ensure_ascii=False, sort_keys=True), d["prev_hash"],
                                     d["hash"]]))
    return out.getvalue()


def verify_all(settings, db: Database) -> list[Problem]:
    """`verify` with every anchor there is: the batch manifests in storage (but those an imported bag
    brought: `foreign_anchors`) and the berita acara."""
    with db.session() as session:
        foreign = foreign_anchors(session)
        anchors = [(where, anchor) for where, anchor in storage_anchors(settings.storage_dir)
                   if (where, anchor.get("seq"), anchor.get("hash")) not in foreign]
        anchors += berita_acara_anchors(session)
        anchors += audit_anchor.anchors(settings)
        return [*verify(session, anchors), *(Problem(0, fault) for fault in audit_anchor.faults(settings))]
