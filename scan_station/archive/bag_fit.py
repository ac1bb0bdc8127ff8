"""Whether a checked bag (`bag_checks`) fits this installation, and what of it is new here.

An import never changes what is here: an entry here must be exactly as the bag has it (its
category above all: a bag cannot move a *dikecualikan* entry out of it), a version here must be
the same files with no handover decision this installation lacks, a batch or a berita acara here
the same folder or file, a stored file here the same bytes; a new document, batch or berita acara
may not name a file that a record here names, and no path may pass through a link in storage.
Anything else is refused (`BagConflictError`, exit 3), and nothing is written. What is left is the
`Plan`: the new entries, documents, batches and berita acara, and the files to copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import safe_files
from ..core.config import Settings
from ..core.sidecar import Sidecar
from ..db.database import Batch, BeritaAcara, Database, Document, DocumentEvent, Entry
from ..register import FIELD_NAMES, clean_fields, entry_dict
from .bag_checks import Bag, TamperedBagError, refuse
from .rebuild import Found


class BagConflictError(TamperedBagError):
    """A bag that would change what this installation holds: refused, nothing is written."""


@dataclass
class Plan:
    found: Found = field(default_factory=Found)  # only what is new here
    entries: dict[str, dict] = field(default_factory=dict)  # new entries, id -> fields
    notes: list[dict] = field(default_factory=list)  # new berita acara
    copy: list[str] = field(default_factory=list)  # files of the bag not in storage yet
    anchors: list[dict] = field(default_factory=list)  # audit heads of the other installation, in new manifests
    unchanged: int = 0  # documents of the bag recorded here already, as they are


def plan(settings: Settings, db: Database, bag: Bag) -> Plan:
    """What of `bag` is new here; BagConflictError, naming the first problems, if any of it would
    change what is here."""
    result = Plan()
    problems = _storage_problems(settings, bag, result)
    with db.session() as session:
        recorded = _recorded_paths(session)
        problems += _entry_problems(session, bag, result)
        problems += _document_problems(session, bag, result, recorded)
        problems += _batch_problems(session, bag, result)
        problems += _note_problems(session, bag, result, recorded)
    refuse(bag.path, problems, BagConflictError, "the bag does not fit this installation")
    return result


def _storage_problems(settings: Settings, bag: Bag, result: Plan) -> list[str]:
    """Every file of the bag lands inside storage, through no link, on nothing or on the same bytes."""
    problems = []
    for rel in bag.files:
        problem = safe_files.link_on_the_way(settings.storage_dir, rel)
        target = settings.storage_dir / rel
        if problem:
            problems.append(f"in storage here, {problem}")
        elif not target.exists():
            result.copy.append(rel)
        elif safe_files.sha256(target) != bag.named[rel]:
            problems.append(f"{rel}: stored here with other bytes")
    return problems


def _recorded_paths(session: Session) -> set[str]:
    paths = set(session.scalars(select(Document.path))) | set(session.scalars(select(Document.sidecar_path)))
    paths |= set(session.scalars(select(DocumentEvent.path).where(DocumentEvent.path.is_not(None))))
    return paths | set(session.scalars(select(BeritaAcara.path)))


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _entry_problems(session: Session, bag: Bag, result: Plan) -> list[str]:
    """An entry here is as the bag has it, field by field; one that is not here is new."""
    newest: dict[str, Sidecar] = {}
    for _path, sidecar, _sha in bag.found.sidecars:
        if sidecar.register_id not in newest or sidecar.version > newest[sidecar.register_id].version:
            newest[sidecar.register_id] = sidecar
    problems = []
    for entry_id, values in bag.entries.items():
        here = session.get(Entry, entry_id)
        if here is None:
            times = {name: dt.datetime.fromisoformat(value) for name in ("registered_at", "updated_at")
                     if (value := getattr(newest[entry_id], name))}
            result.entries[entry_id] = {k: v for k, v in values.items() if k != "id"} | times
            continue
        ours = entry_dict(here)
        theirs = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}
        changed = [name for name in FIELD_NAMES if name != "id" and ours[name] != theirs.get(name)]
        if changed:
            problems.append(f"register id {entry_id} is another entry here, or changed: " + ", ".join(
                f"{name} {_shown(ours[name])} here, {_shown(theirs.get(name))} in the bag" for name in changed[:3]))
    return problems


def _document_problems(session: Session, bag: Bag, result: Plan, recorded: set[str]) -> list[str]:
    """A version here is the same files, with no decision this installation lacks; a new one names
    no file a record here names, and keeps the category of its entry here."""
    problems = []
    for path, sidecar, sha in bag.found.sidecars:
        name, pdf = f"{sidecar.register_id} v{sidecar.version}", str(PurePosixPath(path).with_name(sidecar.file))
        events = {event_path: event_sha for _n, event_path, _data, event_sha in bag.found.events.get(path, [])}
        here = session.scalar(select(Document).where(Document.register_id == sidecar.register_id,
                                                     Document.version == sidecar.version))
        if here is None:
            entry = session.get(Entry, sidecar.register_id)
            taken = [p for p in (path, pdf, *events) if p in recorded]
            if taken:
                problems.append(f"{name}: {taken[0]} is another record's file here")
            elif entry is not None and entry.category != clean_fields(sidecar.register)["category"]:
                problems.append(f"{name}: its sidecar says category {_shown(sidecar.register['category'])}, "
                                f"{entry.category!r} here")
            else:
                result.found.sidecars.append((path, sidecar, sha))
                result.found.events[path] = bag.found.events.get(path, [])
            continue
        ours = dict(session.execute(select(DocumentEvent.path, DocumentEvent.sha256).where(
            DocumentEvent.document_id == here.id, DocumentEvent.path.is_not(None))).all())
        if (here.path, here.sha256, here.sidecar_path, here.sidecar_sha256) != (pdf, sidecar.sha256, path, sha):
            problems.append(f"{name} is here with other files or checksums ({here.path}, {here.sha256[:12]}...)")
        elif not events.items() <= ours.items():
            problems.append(f"{name}: the bag has handover decisions this installation does not (its status here "
                            "would change)")
        else:
            result.unchanged += 1
    return problems


def _batch_problems(session: Session, bag: Bag, result: Plan) -> list[str]:
    """A batch here is in the same folder; a new one in a folder no batch here has."""
    problems = []
    for raw_dir, manifests in sorted(bag.found.manifests.items()):
        batch_id = next(iter(manifests.values()))[0]["batch"]
        here = session.get(Batch, batch_id)
        if here is not None and here.raw_dir != raw_dir:
            problems.append(f"batch {batch_id!r} is in {here.raw_dir} here, in {raw_dir} in the bag")
        elif here is None and session.scalar(select(Batch.id).where(Batch.raw_dir == raw_dir)) is not None:
            problems.append(f"{raw_dir} is another batch's folder here")
        elif here is None:
            result.found.manifests[raw_dir] = manifests
            result.anchors += [{"path": f"{raw_dir}/{name}", **data["audit_head"]}
                               for name, (data, _sha) in sorted(manifests.items()) if data.get("audit_head")]
    return problems


def _note_problems(session: Session, bag: Bag, result: Plan, recorded: set[str]) -> list[str]:
    """A berita acara here is the same file; a new one's file is no record's here."""
    problems = []
    for note in bag.metadata["berita_acara"]:
        here = session.scalar(select(BeritaAcara).where(BeritaAcara.number == note["number"]))
        if here is not None and (here.path, here.sha256) != (note["path"], note["sha256"]):
            problems.append(f"berita acara {note['number']!r} is another one here ({here.path})")
        elif here is None and note["path"] in recorded:
            problems.append(f"berita acara {note['number']!r}: {note['path']} is another record's file here")
        elif here is None:
            result.notes.append(note)
    return problems
