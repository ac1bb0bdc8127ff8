"""What the scan and review screens share: a batch folder or 404, the batches in progress, and
which pages belong to which entry — so that pages of a "dikecualikan" entry stay hidden from
everyone but the PPID roles, in thumbnails as in results and downloads."""

from __future__ import annotations

import functools
import json

from flask import abort
from sqlalchemy import select

from scan_station.classify import COVER
from scan_station.db import Entry
from scan_station.errors import ScanStationError
from scan_station.review import REVIEW_FILE, Review
from scan_station.scanning import META, STATE_FILE, batch_folder, page_class, read_state

from . import service
from .auth import hidden_categories


def batch_or_404(batch: str):
    settings, _db = service()
    if not batch.replace("-", "").isalnum():
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
    """Batch page -> the register id it belongs to: as its cover sheets say, then as reviewed
    (a page the review left out keeps the owner its cover gave it). Worked out again only when
    pages, classifications or the review change: a review screen asks once per thumbnail."""
    review_file = folder / REVIEW_FILE
    classified = sum(1 for _ in (folder / META).glob("page-*.json"))
    review_time = review_file.stat().st_mtime_ns if review_file.is_file() else None
    return dict(_owners(folder, pages, classified, review_time))


@functools.lru_cache(maxsize=32)
def _owners(folder, pages: int, _classified: int, _review_time: int | None) -> tuple[tuple[int, str | None], ...]:
    owners, current = {}, None
    for n in range(1, pages + 1):
        page = page_class(folder, n)
        if page is not None and page.kind == COVER:
            current = page.register_id
        owners[n] = current
    review_file = folder / REVIEW_FILE
    if review_file.is_file():
        review = Review.from_json(json.loads(review_file.read_text()))
        owners |= {n: g.register_id for g in [*review.documents, *review.held] for n in g.batch_pages}
        owners |= {d.cover_page: d.register_id for d in review.documents}
    return tuple(owners.items())


def hidden_pages(db, folder, pages: int) -> tuple[set[int], dict[int, str | None]]:
    """(pages the current user may not see, every page's owner)."""
    owners = page_owners(folder, pages)
    hide = hidden_categories()
    if not hide:
        return set(), owners
    ids = {i for i in owners.values() if i}
    with db.session() as s:
        withheld = set(s.scalars(select(Entry.id).where(Entry.id.in_(ids), Entry.category.in_(hide)))) if ids else set()
    return {n for n, owner in owners.items() if owner in withheld}, owners
