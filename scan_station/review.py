"""Review before filing: an officer's corrections to how a scanned batch splits.

The review starts as the split the cover sheets give (`split.split`) and is kept in the batch
folder (`.review.json`) until it is confirmed; nothing is filed before. Every correction is one
function here, on page numbers of the batch:

- `assign`  — held pages (before the first cover, after an unreadable or unknown cover) become
              the document of a register entry (joining it when the entry has one already);
- `move`    — the first page of a document to the end of the one before, or its last page to
              the start of the one after: a boundary moves;
- `remove` / `restore` — a page leaves every document (it stays in the raw batch) / comes back
              as held, to be assigned;
- `rotate`  — a page turns a quarter clockwise;
- `rescan`  — the next pages scanned into the batch replace this page.

Pages scanned into the batch after the review began (a resumed feeder) are placed when the review
is next loaded: after the document that was being scanned, or split at their own cover sheets.
`confirm` checks the review and marks the batch queued; `jobs` files it in the background.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select

from . import storage
from .classify import BLANK, COVER, PageClass
from .config import Settings
from .db import Database, Entry
from .errors import ExitCode, ScanStationError
from .scanning import REVIEW_FILE, page_classes, read_state, write_state
from .split import HeldGroup, PlannedDocument, SplitResult, split

RESTORED = "restored at review: assign it to an entry"


class ReviewError(ScanStationError):
    """A correction that cannot be made; the message says why, in terms the officer knows."""

    exit_code = ExitCode.bad_args


@dataclass
class Review:
    documents: list[PlannedDocument]
    held: list[HeldGroup]
    blank_pages: list[int]
    removed: list[int] = field(default_factory=list)
    turns: dict[int, int] = field(default_factory=dict)  # batch page -> extra clockwise degrees
    pages_seen: int = 0  # batch pages this review has placed
    rescan_of: int | None = None  # the page that the next pages scanned replace

    # -- where a page is -------------------------------------------------------------------------

    def group_of(self, page: int) -> PlannedDocument | HeldGroup | None:
        for group in [*self.documents, *self.held]:
            if page in group.batch_pages:
                return group
        return None

    def document_for(self, register_id: str) -> PlannedDocument | None:
        return next((d for d in self.documents if d.register_id == register_id), None)

    def problems(self) -> list[str]:
        """What stops the batch from being confirmed."""
        found = [f"{d.register_id}: no pages left in the document" for d in self.documents if not d.batch_pages]
        if self.rescan_of is not None:
            found.append(f"page {self.rescan_of} waits to be scanned again (or cancel the rescan)")
        return found

    def as_split(self) -> SplitResult:
        documents = [
            PlannedDocument(d.register_id, d.cover_page, list(d.batch_pages), d.rotate,
                            {p: self.turns[p] for p in d.batch_pages if self.turns.get(p)})
            for d in self.documents
        ]
        return SplitResult(documents, [HeldGroup(**asdict(g)) for g in self.held if g.batch_pages], list(self.blank_pages))

    # -- JSON ------------------------------------------------------------------------------------

    def to_json(self) -> dict:
        data = asdict(self)
        data["turns"] = {str(k): v for k, v in self.turns.items()}
        for d in data["documents"]:
            d.pop("turns")
        return data

    @classmethod
    def from_json(cls, data: dict) -> Review:
        return cls(
            documents=[PlannedDocument(**d) for d in data["documents"]],
            held=[HeldGroup(**g) for g in data["held"]],
            blank_pages=data["blank_pages"], removed=data["removed"],
            turns={int(k): v for k, v in data["turns"].items()},
            pages_seen=data["pages_seen"], rescan_of=data["rescan_of"],
        )


# -- loading, placing new pages, saving ----------------------------------------------------------


def _known(db: Database, pages: list[PageClass]) -> set[str]:
    ids = {p.register_id for p in pages if p.register_id}
    with db.session() as session:
        return set(session.scalars(select(Entry.id).where(Entry.id.in_(ids)))) if ids else set()


def load(settings: Settings, db: Database, folder: Path) -> tuple[Review, list[PageClass]]:
    """The batch's review (made from its cover sheets the first time), with pages scanned since
    placed; and every page's classification."""
    pages = page_classes(settings, folder)
    path = folder / REVIEW_FILE
    if not path.is_file():
        plan = split(pages, _known(db, pages))
        review = Review(plan.documents, plan.held, plan.blank_pages, pages_seen=len(pages))
        save(folder, review)
        return review, pages
    review = Review.from_json(json.loads(path.read_text()))
    if len(pages) > review.pages_seen:
        new = pages[review.pages_seen:]
        if review.rescan_of is not None:
            _replace(review, review.rescan_of, new)
        else:
            _extend(review, new, _known(db, pages))
        review.pages_seen = len(pages)
        save(folder, review)
    return review, pages


def save(folder: Path, review: Review) -> None:
    storage.replace_json(folder / REVIEW_FILE, review.to_json())


def _last_group(review: Review) -> PlannedDocument | HeldGroup | None:
    placed = [(max(g.batch_pages), i, g) for i, g in enumerate([*review.documents, *review.held]) if g.batch_pages]
    return max(placed, key=lambda t: (t[0], t[1]))[2] if placed else None


def _extend(review: Review, new: list[PageClass], known: set[str]) -> None:
    """Pages scanned after the review began: those before their first cover go on the document
    that was being scanned; the rest split at their covers (an entry already in the batch is held)."""
    plan = split(new, known)
    review.blank_pages += plan.blank_pages
    if plan.held and plan.held[0].cover_page is None:
        lead = plan.held.pop(0)
        target = _last_group(review)
        if target is None:
            review.held.append(lead)
        else:
            target.batch_pages += lead.batch_pages
    for document in plan.documents:
        if review.document_for(document.register_id):
            review.held.append(HeldGroup(document.batch_pages, f"register id {document.register_id} has another "
                                         "cover sheet in this batch", document.cover_page, document.register_id))
        else:
            review.documents.append(document)
    review.held += plan.held


def _replace(review: Review, page: int, new: list[PageClass]) -> None:
    group = review.group_of(page)
    fresh = [p.number for p in new if p.kind not in (BLANK, COVER)]
    review.blank_pages += [p.number for p in new if p.kind == BLANK]
    review.removed += [p.number for p in new if p.kind == COVER]  # a cover in a rescan has no place
    if group is not None and fresh:
        at = group.batch_pages.index(page)
        group.batch_pages[at:at + 1] = fresh
        review.removed.append(page)
    elif fresh:
        review.held.append(HeldGroup(fresh, f"scanned again for page {page}"))
    review.rescan_of = None


# -- corrections ---------------------------------------------------------------------------------


def _entry_exists(db: Database, register_id: str) -> bool:
    with db.session() as session:
        return session.get(Entry, register_id) is not None


def assign(review: Review, db: Database, held_index: int, register_id: str) -> None:
    register_id = register_id.strip()
    if not 0 <= held_index < len(review.held):
        raise ReviewError("those held pages are not in this batch any more; reload the page")
    if not _entry_exists(db, register_id):
        raise ReviewError(f"{register_id or '(empty)'} is not in the register; pick an entry from the list")
    group = review.held.pop(held_index)
    existing = review.document_for(register_id)
    if existing is not None:
        existing.batch_pages = sorted(existing.batch_pages + group.batch_pages)
    else:
        cover = group.cover_page or (min(group.batch_pages) if group.batch_pages else 0)
        review.documents.append(PlannedDocument(register_id, cover, sorted(group.batch_pages)))
        review.documents.sort(key=lambda d: d.cover_page)


def move(review: Review, page: int, direction: str) -> None:
    """Move a boundary: the first page of a document to the one before ("prev"), or its last page
    to the one after ("next")."""
    document = review.group_of(page)
    if not isinstance(document, PlannedDocument):
        raise ReviewError(f"page {page} is not in a document")
    index = review.documents.index(document)
    if direction == "prev" and index > 0 and document.batch_pages[0] == page:
        document.batch_pages.pop(0)
        review.documents[index - 1].batch_pages.append(page)
    elif direction == "next" and index + 1 < len(review.documents) and document.batch_pages[-1] == page:
        document.batch_pages.pop()
        review.documents[index + 1].batch_pages.insert(0, page)
    else:
        raise ReviewError(f"page {page} is not at a boundary in that direction")


def remove(review: Review, page: int) -> None:
    group = review.group_of(page)
    if group is None:
        raise ReviewError(f"page {page} is in no document and no held group")
    group.batch_pages.remove(page)
    review.held = [g for g in review.held if g.batch_pages or g.cover_page]
    review.removed.append(page)


def restore(review: Review, page: int) -> None:
    """A removed page, or one taken for blank, comes back as held pages to assign."""
    for pages in (review.removed, review.blank_pages):
        if page in pages:
            pages.remove(page)
            review.held.append(HeldGroup([page], RESTORED))
            return
    raise ReviewError(f"page {page} was neither removed nor taken for blank")


def rotate(review: Review, page: int) -> None:
    if review.group_of(page) is None:
        raise ReviewError(f"page {page} is in no document and no held group")
    review.turns[page] = (review.turns.get(page, 0) + 90) % 360


def rescan(review: Review, page: int | None) -> None:
    """The next pages scanned into the batch replace `page` (None: cancel a rescan)."""
    if page is not None and review.group_of(page) is None:
        raise ReviewError(f"page {page} is in no document and no held group")
    review.rescan_of = page


def confirm(settings: Settings, db: Database, folder: Path, *, user: str) -> Review:
    """Check the review and mark the batch queued for filing (the caller queues the job)."""
    review, _pages = load(settings, db, folder)
    state = read_state(folder)
    if state["status"] in ("scanning", "queued", "filing"):
        raise ReviewError(f"batch {state['batch']} is {state['status']}; wait until it is done")
    problems = review.problems()
    if problems:
        raise ReviewError("; ".join(problems))
    if not review.documents:
        raise ReviewError("no document to file: assign the held pages to an entry first")
    state.update(status="queued", user=user or state.get("user", ""), error=None)
    write_state(folder, state)
    return review
