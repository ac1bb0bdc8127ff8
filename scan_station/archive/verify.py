"""Verifying PPID storage against the database: re-hash every file, find missing files and orphans."""

from __future__ import annotations

from sqlalchemy import select

from ..core import safe_files, storage, stored_shapes
from ..core.config import Settings
from ..db.database import Batch, BeritaAcara, Database, Document, DocumentEvent
from ..search.rebuild import check


def verify(db: Database, settings: Settings) -> dict:
    root = settings.storage_dir
    expected: dict[str, str | None] = {}  # relative path -> sha256
    with db.session() as session:
        for doc in session.scalars(select(Document)):
            expected[doc.path] = doc.sha256
            expected[doc.sidecar_path] = doc.sidecar_sha256
        for event in session.scalars(select(DocumentEvent).where(DocumentEvent.path.is_not(None))):
            assert event.path is not None  # the query selects events with a path
            expected[event.path] = event.sha256
        batches = list(session.scalars(select(Batch)))
        for record in session.scalars(select(BeritaAcara)):
            expected[record.path] = record.sha256
    problems: list[dict] = []
    for batch in batches:
        expected.update(stored_shapes.raw_batch_files(root, batch.raw_dir, batch.manifest_name, batch.manifest_sha256))
    checked = 0
    for rel, sha in sorted(expected.items()):
        try:  # a link is not followed, a named pipe not waited on: neither is the file recorded
            actual = safe_files.sha256(root / rel)
        except OSError as exc:
            note = {} if isinstance(exc, FileNotFoundError) else {"note": safe_files.reason(exc)}
            problems.append({"kind": "missing", "path": rel} | note)
            continue
        checked += 1
        if actual != sha:
            problems.append({"kind": "mismatch", "path": rel, "expected": sha, "actual": actual})
    for rel in sorted(map(str, storage.stored_files(root))):
        if rel not in expected:
            orphan_note = (
                "an interrupted write"
                if rel.rsplit("/", 1)[-1].startswith(storage.TMP_PREFIX)
                else "not in the database"
            )
            problems.append({"kind": "orphan", "path": rel, "note": orphan_note})
    problems += check(settings, db)
    return {"ok": not problems, "checked": checked, "problems": problems}
