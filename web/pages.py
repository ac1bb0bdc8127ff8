"""What the scan and review screens share: a batch folder or 404, the batches in progress, and
which pages the current user may see — pages of a "dikecualikan" entry stay hidden from everyone
but the PPID roles, in thumbnails as in results and downloads (see `review.page_owners`)."""

from __future__ import annotations

import re

from flask import abort
from sqlalchemy import select

from scan_station.capture.batch_folder import BatchFolder, BatchState
from scan_station.capture.review import page_owners
from scan_station.core.errors import ScanStationError
from scan_station.db.database import Entry

from .auth import hidden_categories
from .extensions import service

BATCH_ID = re.compile(r"[A-Za-z0-9-]{1,64}")  # as `ingest.new_batch_id` makes them


def batch_or_404(batch: str) -> BatchFolder:
    settings, _db = service()
    if not BATCH_ID.fullmatch(batch):
        abort(404)
    try:
        return BatchFolder.open(settings.scans_dir, batch)
    except ScanStationError:
        abort(404)


def in_progress(settings) -> list[BatchState]:
    """Batches not filed yet, newest first: scanning, waiting for review, queued, filing, failed."""
    found = []
    for folder in BatchFolder.all(settings.scans_dir):
        try:
            found.append(folder.read_state())
        except (ScanStationError, ValueError, KeyError, TypeError):
            continue  # a folder that is not (or no longer) a batch
    return found


def hidden_pages(db, folder: BatchFolder, pages: int) -> tuple[set[int], dict[int, str | None]]:
    """(pages the current user may not see, the owner every page is shown with)."""
    owners = page_owners(folder, pages)
    hide = hidden_categories()
    if not hide:
        return set(), owners.shown
    ids = owners.ids
    with db.session() as s:
        withheld = set(s.scalars(select(Entry.id).where(Entry.id.in_(ids), Entry.category.in_(hide)))) if ids else set()
    return owners.hidden(withheld), owners.shown
