"""`scan-station export` and `import-bag`: chosen register entries, or a period of filing, as a
BagIt bag (RFC 8493, the `bagit` library, SHA-256 manifests) for transfer to another
installation or an archive.

    BAG/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    BAG/data/metadata.json           register fields, documents and versions, handover history,
                                     batches, berita acara (machine-readable; `bag_contents`)
    BAG/data/storage/...             as in the storage folder: the PDFs and their sidecars, the
                                     handover decision files, the raw batches they came from (every
                                     file and manifest), the berita acara PDFs that list them

A bag is foreign input: anyone can edit one and make its checksums again. An import checks the
folder (no link, pipe or device; `bag_checks.check_folder`) before `bagit` validates it, then
everything the bag says (`bag_checks.check_content`) and whether it fits this installation
(`bag_fit.plan`: nothing here is ever changed), and refuses with exit 3, writing nothing, at the
first problem. Then it copies the new files into storage and records them as `rebuild` does from
storage, in one transaction; a failure on the way removes the files copied. Importing the same
bag twice changes nothing. The audit records of the other installation that the bag carries,
and the audit heads its batch manifests hold (anchors of that installation's log, not this
one's), are kept in the `import-bag` audit record (`audit.foreign_records`, `audit.verify_all`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from .. import __version__
from ..audit import log as audit
from ..core import storage
from ..core.config import Settings
from ..core.errors import BadArgumentsError, NotFoundError
from ..db.database import BeritaAcara, Database, Document
from ..records.handover import history
from ..register import entry_dict
from ..register.lookup import existing_ids
from .bag_checks import METADATA, TamperedBagError


def _chosen(session, entry_ids: list[str], start: dt.date | None, end: dt.date | None) -> list[Document]:
    query = select(Document).order_by(Document.register_id, Document.version)
    if entry_ids:
        missing = sorted(set(entry_ids) - existing_ids(session, entry_ids))
        if missing:
            raise NotFoundError(f"not in the register: {', '.join(missing)}")
        query = query.where(Document.register_id.in_(entry_ids))
    if start:
        query = query.where(Document.filed_at >= dt.datetime.combine(start, dt.time(), dt.UTC))
    if end:
        query = query.where(Document.filed_at <= dt.datetime.combine(end, dt.time.max, dt.UTC))  # 9999-12-31 too
    return list(session.scalars(query))


def _document(session, d: Document) -> dict:
    return {"register_id": d.register_id, "version": d.version, "status": d.status, "path": d.path,
            "sha256": d.sha256, "sidecar_path": d.sidecar_path, "sidecar_sha256": d.sidecar_sha256,
            "batch": d.batch_id, "batch_pages": d.batch_pages, "page_count": d.page_count,
            "filed_at": d.filed_at.isoformat(), "origin": d.origin,
            "history": [{"action": e.action, "actor": e.actor, "reason": e.reason, "at": e.at.isoformat(),
                         "path": e.path, "sha256": e.sha256} for e in history(session, d.id)]}


def export(settings: Settings, db: Database, dest: Path, *, entry_ids: Sequence[str] = (), start: dt.date | None = None,
           end: dt.date | None = None, actor: str = "-") -> dict:
    """Write the bag into the new folder `dest`; what it holds (`bag_contents`) and where."""
    import bagit

    if not (entry_ids or start or end):
        raise BadArgumentsError("choose what to export: --entry ID ..., or --from/--to dates")
    if dest.exists():
        raise BadArgumentsError(f"{dest} exists already; give a new folder for the bag")
    with db.session() as session:
        documents = _chosen(session, [i.upper() for i in entry_ids], start, end)
        if not documents:
            raise NotFoundError("no filed document matches; nothing was exported")
        ids = {d.id for d in documents}
        notes = [b for b in session.scalars(select(BeritaAcara)) if ids & set(b.document_ids)]
        keys = {d.id: [d.register_id, d.version] for d in session.scalars(select(Document))}
        files = _files(session, settings.storage_dir, documents, notes)
        metadata = {
            "scan_station": __version__, "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            "entries": [entry_dict(e) for e in {d.register_id: d.entry for d in documents}.values()],
            "documents": [_document(session, d) for d in documents],
            "batches": sorted({d.batch_id for d in documents}),
            "berita_acara": [{"number": b.number, "year": b.year, "created_at": b.created_at.isoformat(),
                              "created_by": b.created_by, "scope": b.scope, "path": b.path, "sha256": b.sha256,
                              "replaces": b.replaces, "documents": [keys[i] for i in b.document_ids if i in keys]}
                             for b in notes],
            "audit": _audit_records(session, {d.register_id for d in documents}),
        }
    work = dest.with_name(f"{storage.TMP_PREFIX}{dest.name}")
    shutil.rmtree(work, ignore_errors=True)
    for rel in files:
        storage.atomic_copy(settings.storage_dir / rel, work / "storage" / rel)
    storage.atomic_write_json(work / METADATA, metadata)
    bagit.make_bag(str(work), {"Source-Organization": settings.berita_acara_place,
                               "External-Description": f"Scan Station {__version__}: {len(documents)} document(s)"},
                   checksums=["sha256"])
    work.rename(dest)
    with db.session() as session:
        audit.record(session, actor, "export", dest.name, documents=[[d["register_id"], d["version"]]
                                                                     for d in bag_contents(dest)])
    return {"bag": str(dest), "documents": len(documents), "files": len(files), "contents": bag_contents(dest)}


def _audit_records(session, register_ids: set[str]) -> list[dict]:
    """The audit records that concern these entries (subject "ID", or "ID vN" for a version of
    theirs), oldest first."""
    from ..db.database import AuditRecord

    versions = session.execute(select(Document.register_id, Document.version)
                               .where(Document.register_id.in_(register_ids)))
    subjects = set(register_ids) | {f"{rid} v{version}" for rid, version in versions}
    rows = session.scalars(select(AuditRecord).where(AuditRecord.subject.in_(subjects)).order_by(AuditRecord.seq))
    return [audit.as_dict(r) for r in rows]


def _files(session, root: Path, documents: list[Document], notes: list[BeritaAcara]) -> list[str]:
    """The stored files a bag of `documents` carries, relative to the storage folder."""
    files = {d.path for d in documents} | {d.sidecar_path for d in documents} | {b.path for b in notes}
    for d in documents:
        files |= {e.path for e in history(session, d.id) if e.path}
        raw = root / d.batch.raw_dir
        files |= {str((raw / p.name).relative_to(root)) for p in raw.iterdir()
                  if p.is_file() and not p.name.startswith(storage.TMP_PREFIX)}
    return sorted(files)


def bag_contents(bag: Path) -> list[dict]:
    """The documents a bag holds (register id, version, SHA-256, title), from its metadata: for
    whatever records that they were exported or imported."""
    return _contents(_metadata(bag))


def _contents(metadata: dict) -> list[dict]:
    titles = {e["id"]: e["title"] for e in metadata["entries"]}
    return [{"register_id": d["register_id"], "version": d["version"], "sha256": d["sha256"],
             "title": titles.get(d["register_id"], "")} for d in metadata["documents"]]


def _metadata(bag: Path) -> dict:
    try:
        return json.loads((bag / "data" / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TamperedBagError(f"{bag}: not a Scan Station bag ({exc})") from None


def check_bag(bag: Path) -> dict[str, str]:
    """Refuse a bag that `bagit` does not find complete and unaltered, saying what is wrong; the
    SHA-256 of each file of its storage folder, from its manifest. Only for a folder that
    `bag_checks.check_folder` passed: bagit opens and follows whatever the bag holds."""
    import bagit

    try:
        checked = bagit.Bag(str(bag))
        checked.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = "; ".join(str(d) for d in exc.details[:5]) or str(exc)
        raise TamperedBagError(f"{bag}: the bag is not as it was made, nothing was imported: {details}") from None
    except (bagit.BagError, OSError, ValueError) as exc:
        raise TamperedBagError(f"{bag}: not a BagIt bag ({exc}); nothing was imported") from None
    prefix = "data/storage/"
    return {path[len(prefix):]: sums["sha256"] for path, sums in checked.entries.items()
            if path.startswith(prefix) and "sha256" in sums}


def import_bag(settings: Settings, db: Database, bag: Path, *, actor: str = "-") -> dict:
    """Check the bag, on its own and against this installation (`bag_checks`, `bag_fit`), put its new
    files into storage and record what they hold; twice is the same as once. All or nothing: on
    any failure, the files copied are removed again and the database is left as it was."""
    from .bag_checks import check_content, check_folder, read_bag
    from .bag_fit import plan
    from .rebuild import record
    from .verify import verify

    files = check_folder(bag)
    checked = read_bag(bag, files, check_bag(bag))
    check_content(checked)
    todo = plan(settings, db, checked)
    contents = _contents(checked.metadata)
    copied = _copy(settings, checked.storage, todo.copy)
    try:
        with db.session() as session:
            entries, batches, documents = record(session, settings, todo.found, keep_ids=False, entries=todo.entries)
            session.flush()
            _berita_acara(session, todo.notes)
            audit.record(session, actor, "import-bag", bag.name, documents=[[d["register_id"], d["version"]]
                                                                            for d in contents],
                         source=_source(bag, checked.metadata), anchors=todo.anchors,
                         foreign_records=checked.metadata["audit"])
    except BaseException:
        _remove(settings.storage_dir, copied)
        raise
    return {"bag": str(bag), "entries": len(entries), "documents": documents, "batches": len(batches),
            "unchanged": todo.unchanged, "files": len(copied), "contents": contents, "verify": verify(db, settings)}


def _source(bag: Path, metadata: dict) -> dict:
    """Where the bag says it comes from: its bag-info's organisation, the version, when it was made."""
    import bagit

    info = bagit.Bag(str(bag)).info
    organisation = info.get("Source-Organization", "")
    return {"organization": organisation if isinstance(organisation, str) else "; ".join(map(str, organisation)),
            "scan_station": metadata.get("scan_station", ""), "exported_at": metadata.get("exported_at")}


def _copy(settings: Settings, source: Path, files: list[str]) -> list[str]:
    """Copy each file (regular files only) into storage; on any failure, remove what was copied."""
    from ..core.safe_files import copy, reason
    from .bag_checks import TamperedBagError

    copied: list[str] = []
    try:
        for rel in files:
            copy(source / rel, settings.storage_dir / rel)
            copied.append(rel)
    except OSError as exc:
        _remove(settings.storage_dir, copied)
        raise TamperedBagError(f"{source / rel}: {reason(exc)}; nothing was imported") from None
    except BaseException:
        _remove(settings.storage_dir, copied)
        raise
    return copied


def _remove(root: Path, copied: list[str]) -> None:
    """Remove the files an import copied, and the folders that are left empty by it."""
    for rel in copied:
        (root / rel).unlink(missing_ok=True)
    for folder in sorted({p for rel in copied for p in Path(rel).parents if p != Path()}, key=lambda p: -len(p.parts)):
        try:
            (root / folder).rmdir()
        except OSError:
            continue  # not empty: it holds more than the import put there


def _berita_acara(session, notes: list[dict]) -> None:
    """Each new berita acara of the bag, pointing at this installation's documents."""
    ids = {(d.register_id, d.version): d.id for d in session.scalars(select(Document))}
    for b in notes:
        session.add(BeritaAcara(number=b["number"], year=b["year"], created_at=dt.datetime.fromisoformat(
            b["created_at"]), created_by=b["created_by"], scope=b["scope"], path=b["path"], sha256=b["sha256"],
            replaces=b["replaces"], document_ids=[ids[tuple(k)] for k in b["documents"] if tuple(k) in ids]))
