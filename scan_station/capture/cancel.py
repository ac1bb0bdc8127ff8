"""Cancelling a scan batch (batal): an officer gives up on a batch that will not be filed — a
wrong stack, a test, a scan that went wrong from the start.

A batch without pages simply goes. A batch with pages is never thrown away: its pages go to PPID
storage as a raw batch, as filing keeps every batch (`filing.keep_raw`), with a manifest marked
"cancelled" and a `Batch` row of status "cancelled"; `verify` checks them and `rebuild` brings the
row back. Then the batch leaves the list of batches in progress. Pages of a "dikecualikan" entry
stay where every raw page is: in storage, seen by no screen.
"""

from __future__ import annotations

from pathlib import Path

from ..audit import log as audit
from ..core import crash_points, storage
from ..core.config import Settings
from ..core.errors import BadArgumentsError
from ..core.model import BatchOutcome
from ..db.database import Batch, Database, utcnow
from .batch_folder import BatchFolder, Status

#: The states a batch may be cancelled from (CANCELLED: a cancel that stopped halfway, finished now).
CANCELLABLE = (Status.NEW, Status.SCANNED, Status.INTERRUPTED, Status.FAILED, Status.CANCELLED)


class CancelError(BadArgumentsError):
    """A batch that cannot be cancelled now (it is being scanned or filed)."""


def cancel_batch(settings: Settings, db: Database, folder: BatchFolder, *, user: str) -> dict:
    """Cancel the batch in `folder`: {"batch", "pages", "kept": raw folder in storage or None}."""
    state = folder.transition(CANCELLABLE, status=Status.CANCELLED)
    if state is None:
        current = folder.read_state()
        raise CancelError(f"batch {current.batch} is {current.status}; wait until it is done, then cancel it",
                          code="batch_busy", batch=current.batch)
    kept = _keep(settings, db, folder, state, user=user) if state.pages else None
    with db.session() as session:
        audit.record(session, user, "scan.cancel", state.batch, pages=state.pages, kept=str(kept or ""))
    crash_points.point("cancel.recorded")
    folder.remove()
    return {"batch": state.batch, "pages": state.pages, "kept": str(kept) if kept else None}


def _keep(settings: Settings, db: Database, folder: BatchFolder, state, *, user: str) -> Path:
    """The batch's pages in storage, with a manifest that says it was cancelled, and its row."""
    from ..filing.store import keep_file, manifest_name

    with db.session() as session:
        row = session.get(Batch, state.batch)
        relpath = Path(row.raw_dir) if row is not None and row.raw_dir else storage.batch_relpath(
            year=utcnow().year, batch_id=state.batch)
    dest = settings.storage_dir / relpath
    pages = [folder.page_path(n) for n in range(1, state.pages + 1)]
    storage.check_free_space(settings.storage_dir, sum(p.stat().st_size for p in pages) + 1_000_000)
    files = [keep_file(page, dest) for page in pages]
    manifest = {"batch": state.batch, "received_at": utcnow().isoformat(), "source": f"scan:{state.device}",
                "files": files, "pages": [{"page": n, "file": f["name"]} for n, f in enumerate(files, start=1)],
                "submitted_by": user, "removed_pages": list(range(1, state.pages + 1)), "blank_pages": [],
                "held": [], "cancelled": True, "audit_head": audit.head(db).as_dict()}
    name, previous = manifest_name(dest)
    if previous:
        manifest["previous_manifest"] = previous
    sha = storage.atomic_write_json(dest / name, manifest)
    crash_points.point("cancel.kept")
    with db.session() as session:
        row = session.get(Batch, state.batch) or Batch(id=state.batch, received_at=utcnow())
        row.source_name, row.raw_dir, row.manifest_name, row.manifest_sha256 = (f"scan:{state.device}", str(relpath),
                                                                               name, sha)
        row.page_count, row.status, row.error, row.submitted_by = state.pages, BatchOutcome.CANCELLED, "", user
        row.blank_pages = []
        session.add(row)
    return relpath
