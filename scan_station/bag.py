"""`scan-station export` and `import-bag`: chosen register entries, or a period of filing, as a
BagIt bag (RFC 8493, the `bagit` library, SHA-256 manifests) for transfer to another
installation or an archive.

    BAG/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    BAG/data/metadata.json           register fields, documents and versions, handover history,
                                     batches, berita acara (machine-readable; `bag_contents`)
    BAG/data/storage/...             as in the storage folder: the PDFs and their sidecars, the
                                     handover decision files, the raw batches they came from (every
                                     file and manifest), the berita acara PDFs that list them

An import checks the bag first (a bag that fails `bagit`'s validation is refused, nothing is
written), copies the files into storage (a file there already must have the same SHA-256), and
records them as `rebuild` does from storage: importing the same bag twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from sqlalchemy import select

from . import __version__, audit, storage
from .config import Settings
from .db import BeritaAcara, Database, Document, Entry
from .errors import BadArgumentsError, InputFileError, NotFoundError, StorageError
from .handover import history
from .register import entry_dict

METADATA = "metadata.json"


class TamperedBagError(InputFileError):
    """A bag that is not a valid BagIt bag: a file altered, missing or added, or no bag at all."""


def _chosen(session, entry_ids: list[str], start: dt.date | None, end: dt.date | None) -> list[Document]:
    query = select(Document).order_by(Document.register_id, Document.version)
    if entry_ids:
        missing = sorted(set(entry_ids) - set(session.scalars(select(Entry.id).where(Entry.id.in_(entry_ids)))))
        if missing:
            raise NotFoundError(f"not in the register: {', '.join(missing)}")
        query = query.where(Document.register_id.in_(entry_ids))
    if start:
        query = query.where(Document.filed_at >= dt.datetime.combine(start, dt.time(), dt.UTC))
    if end:
        query = query.where(Document.filed_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC))
    return list(session.scalars(query))


def _document(session, d: Document) -> dict:
    return {"register_id": d.register_id, "version": d.version, "status": d.status, "path": d.path,
            "sha256": d.sha256, "sidecar_path": d.sidecar_path, "sidecar_sha256": d.sidecar_sha256,
            "batch": d.batch_id, "batch_pages": d.batch_pages, "page_count": d.page_count,
            "filed_at": d.filed_at.isoformat(), "origin": d.origin,
            "history": [{"action": e.action, "actor": e.actor, "reason": e.reason, "at": e.at.isoformat(),
                         "path": e.path, "sha256": e.sha256} for e in history(session, d.id)]}


def export(settings: Settings, db: Database, dest: Path, *, entry_ids: list[str] = (), start: dt.date | None = None,
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
    from .db import AuditRecord

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
    metadata = _metadata(bag)
    titles = {e["id"]: e["title"] for e in metadata["entries"]}
    return [{"register_id": d["register_id"], "version": d["version"], "sha256": d["sha256"],
             "title": titles.get(d["register_id"], "")} for d in metadata["documents"]]


def _metadata(bag: Path) -> dict:
    try:
        return json.loads((bag / "data" / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TamperedBagError(f"{bag}: not a Scan Station bag ({exc})") from None


def check_bag(bag: Path) -> None:
    """Refuse a bag that `bagit` does not find complete and unaltered, saying what is wrong."""
    import bagit

    try:
        bagit.Bag(str(bag)).validate(processes=1)
    except bagit.BagValidationError as exc:
        details = "; ".join(str(d) for d in exc.details[:5]) or str(exc)
        raise TamperedBagError(f"{bag}: the bag is not as it was made, nothing was imported: {details}") from None
    except bagit.BagError as exc:
        raise TamperedBagError(f"{bag}: not a BagIt bag ({exc}); nothing was imported") from None


def import_bag(settings: Settings, db: Database, bag: Path, *, actor: str = "-") -> dict:
    """Check the bag, put its files into storage and record what they hold; twice is the same as once."""
    from .rebuild import read_storage, record
    from .verify import verify

    check_bag(bag)
    metadata = _metadata(bag)
    source = bag / "data" / "storage"
    files = [str(rel) for rel in storage.stored_files(source)]
    _check_conflicts(settings, db, metadata, source, files)
    for rel in files:
        if not (settings.storage_dir / rel).exists():
            storage.atomic_copy(source / rel, settings.storage_dir / rel)
    with db.session() as session:
        entries, batches, documents = record(session, settings, read_storage(source), keep_ids=False)
        session.flush()
        _berita_acara(session, metadata)
        audit.record(session, actor, "import-bag", bag.name, documents=[[d["register_id"], d["version"]]
                                                                        for d in bag_contents(bag)])
    return {"bag": str(bag), "entries": len(entries), "documents": documents, "batches": len(batches),
            "contents": bag_contents(bag), "verify": verify(db, settings)}


def _check_conflicts(settings: Settings, db: Database, metadata: dict, source: Path, files: list[str]) -> None:
    """Nothing is written when the bag and this installation disagree: a stored file with other
    bytes, or a register id that names another entry here."""
    clashes = [rel for rel in files if (settings.storage_dir / rel).exists()
               and storage.sha256_file(settings.storage_dir / rel) != storage.sha256_file(source / rel)]
    with db.session() as session:
        for entry in metadata["entries"]:
            here = session.get(Entry, entry["id"])
            if here is not None and here.title != entry["title"]:
                clashes.append(f"register id {entry['id']} is {here.title!r} here, {entry['title']!r} in the bag")
    if clashes:
        raise StorageError(f"the bag does not fit this installation, nothing was imported: {'; '.join(clashes[:5])}")


def _berita_acara(session, metadata: dict) -> None:
    """Each berita acara of the bag, once, pointing at this installation's documents."""
    ids = {(d.register_id, d.version): d.id for d in session.scalars(select(Document))}
    for b in metadata["berita_acara"]:
        if session.scalar(select(BeritaAcara).where(BeritaAcara.number == b["number"])) is not None:
            continue
        session.add(BeritaAcara(number=b["number"], year=b["year"], created_at=dt.datetime.fromisoformat(
            b["created_at"]), created_by=b["created_by"], scope=b["scope"], path=b["path"], sha256=b["sha256"],
            replaces=b["replaces"], document_ids=[ids[tuple(k)] for k in b["documents"] if tuple(k) in ids]))
