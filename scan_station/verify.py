"""Verifying PPID storage against the database: re-hash every file, find missing files and orphans."""

from __future__ import annotations

import json

from sqlalchemy import select

from . import safe_files, storage, stored_shapes
from .config import Settings
from .db import Batch, BeritaAcara, Database, Document, DocumentEvent
from .search_rebuild import check


def verify(db: Database, settings: Settings) -> dict:
    root = settings.storage_dir
    expected: dict[str, str] = {}  # relative path -> sha256
    with db.session() as session:
        for doc in session.scalars(select(Document)):
            expected[doc.path] = doc.sha256
            expected[doc.sidecar_path] = doc.sidecar_sha256
        for event in session.scalars(select(DocumentEvent).where(DocumentEvent.path.is_not(None))):
            expected[event.path] = event.sha256
        batches = list(session.scalars(select(Batch)))
        for record in session.scalars(select(BeritaAcara)):
            expected[record.path] = record.sha256
    problems: list[dict] = []
    for batch in batches:
        expected.update(_raw_batch_files(root, batch.raw_dir, batch.manifest_name, batch.manifest_sha256))
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
            note = (
                "an interrupted write"
                if rel.rsplit("/", 1)[-1].startswith(storage.TMP_PREFIX)
                else "not in the database"
            )
            problems.append({"kind": "orphan", "path": rel, "note": note})
    problems += check(settings, db)
    return {"ok": not problems, "checked": checked, "problems": problems}


def _raw_batch_files(root, raw_dir: str, name: str, sha256: str) -> dict[str, str]:
    """A raw batch's manifest, the files it lists, and the manifests of earlier attempts to file
    the batch it names in turn (`previous_manifest`), each with its SHA-256."""
    expected: dict[str, str] = {}
    while name and f"{raw_dir}/{name}" not in expected:
        expected[f"{raw_dir}/{name}"] = sha256
        try:
            manifest = json.loads(safe_files.read_bytes(root / raw_dir / name, limit=256 << 20))
        except (OSError, ValueError, RecursionError):
            break  # reported as missing or mismatched
        if stored_shapes.problem(manifest, stored_shapes.MANIFEST):
            break  # not a manifest (`rebuild` names it unreadable); what it would list shows as orphans
        for item in manifest.get("files", []):
            expected.setdefault(f"{raw_dir}/{item['name']}", item["sha256"])
        previous = manifest.get("previous_manifest") or {}
        name, sha256 = previous.get("name", ""), previous.get("sha256", "")
    return expected
