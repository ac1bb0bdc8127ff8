"""What the scan and review screens share: a batch folder or 404, the batches in progress, and
which pages belong to which entry — so that pages of a "dikecualikan" entry stay hidden from
everyone but the PPID roles, in thumbnails as in results and downloads."""

from __future__ import annotations

import functools
import json
import re

from flask import abort
from sqlalchemy import select

from scan_station.db import Entry
from scan_station.errors import ScanStationError
from scan_station.review import Review
from scan_station.scanning import (
    META,
    REVIEW_FILE,
    STATE_FILE,
    UNREADABLE_COVER,
    batch_folder,
    physical_owner,
    read_state,
)

from .auth import hidden_categories
from .extensions import service

BATCH_ID = re.compile(r"[A-Za-z0-9-]{1,64}")  # as `ingest.new_batch_id` makes them


def batch_or_404(batch: str):
    settings, _db = service()
    if not BATCH_ID.fullmatch(batch):
        abort(404)
    try:
        return batch_folder(settings, batch)
    except ScanStationError:
        abort(404)


def in_progress(settings) -> list[dict]:
    """Batches not filed yet, newest first: scanning, waiting for review, queued, filing, failed."""
    found = []
    for state_file in settings.scans_dir.glob(f"*/{STATE_FILE}"):
        try:
            state = read_state(state_file.parent)
        except (ScanStationError, ValueError):
            continue
        found.append({k: state.get(k) for k in ("batch", "status", "pages", "user", "started_at", "fault",
                                                "error", "progress")})
    return sorted(found, key=lambda b: b["batch"], reverse=True)


def page_owners(folder, pages: int) -> dict[int, str | None]:
    """Batch page -> the register id it is shown with: as reviewed, else the cover it came in under."""
    return {n: shown for n, (_physical, shown) in _owners(*_cache_key(folder, pages)).items()}


def _cache_key(folder, pages: int) -> tuple:
    """What the owners depend on: pages, their classifications, the review. Worked out again only
    when one changes: a review screen asks once per thumbnail."""
    review_file = folder / REVIEW_FILE
    classified = sum(1 for _ in (folder / META).glob("page-*.json"))
    review_time = review_file.stat().st_mtime_ns if review_file.is_file() else None
    return folder, pages, classified, review_time


@functools.lru_cache(maxsize=32)
def _owners(folder, pages: int, _classified: int, _review_time: int | None) -> dict[int, tuple[tuple, str | None]]:
    """Batch page -> (every owner it has or had a claim from, the owner it is shown with)."""
    owners = {}
    for n in range(1, pages + 1):
        known, physical = physical_owner(folder, n)
        owners[n] = [UNREADABLE_COVER if not known else physical]
    review_file = folder / REVIEW_FILE
    if review_file.is_file():
        review = Review.from_json(json.loads(review_file.read_text()))
        for group in [*review.documents, *review.held]:
            for n in [*group.batch_pages, *([group.cover_page] if group.cover_page else [])]:
                if n in owners:
                    owners[n].append(group.register_id)
    return {n: (tuple(claims), claims[-1] if claims[-1] != UNREADABLE_COVER else None) for n, claims in owners.items()}


def hidden_pages(db, folder, pages: int) -> tuple[set[int], dict[int, str | None]]:
    """(pages the current user may not see, the owner every page is shown with).

    A page is hidden from roles that may not see "dikecualikan" when the cover sheet it came in
    under is an exempt entry's (what the page *is*: no review correction changes that), when the
    review puts it into an exempt entry's document, and when it is not yet known whose it is —
    not classified yet, or after a cover sheet nobody could read."""
    owners = _owners(*_cache_key(folder, pages))
    shown = {n: s for n, (_claims, s) in owners.items()}
    hide = hidden_categories()
    if not hide:
        return set(), shown
    ids = {i for claims, _s in owners.values() for i in claims if i and i != UNREADABLE_COVER}
    with db.session() as s:
        withheld = set(s.scalars(select(Entry.id).where(Entry.id.in_(ids), Entry.category.in_(hide)))) if ids else set()
    withheld.add(UNREADABLE_COVER)
    return {n for n, (claims, _s) in owners.items() if withheld.intersection(claims)}, shown
