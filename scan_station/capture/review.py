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
- `rotate`  — a page turns a quarter clockwise from the way it is shown, and is filed so;
- `rescan`  — the next pages scanned into the batch replace this page.

Pages scanned into the batch after the review began (a resumed feeder) are placed when the review
is next loaded: after the document that was being scanned, or split at their own cover sheets.
`confirm` checks the review and marks the batch queued; `jobs` files it in the background.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..accounts.roles import hidden_categories
from ..audit import log as audit
from ..core import crash_points
from ..core.config import Settings
from ..core.errors import BadArgumentsError
from ..core.model import BLANK, COVER, PageClass
from ..db.database import Database, Entry
from ..pages.split import HeldGroup, PlannedDocument, SplitResult, split
from ..register.lookup import categories_of, existing_ids
from .batch_folder import UNREADABLE_COVER, BatchFolder, Status
from .scanning import page_classes

RESTORED = "restored at review: assign it to an entry"


class ReviewError(BadArgumentsError):
    """A correction that cannot be made; the message says why, in terms the officer knows."""


@dataclass
class Review:
    documents: list[PlannedDocument]
    held: list[HeldGroup]
    blank_pages: list[int]
    removed: list[int] = field(default_factory=list)
    #: Pages the officer turned: batch page -> clockwise degrees from the way its cover lies. A page
    #: here is filed as the officer turned it (0 included); any other as its reading finds it upright.
    turns: dict[int, int] = field(default_factory=dict)
    pages_seen: int = 0  # batch pages this review has placed
    rescan_of: int | None = None  # the page that the next pages scanned replace

    # -- where a page is -------------------------------------------------------------------------

    def group_of(self, page: int) -> PlannedDocument | HeldGroup | None:
        groups: list[PlannedDocument | HeldGroup] = [*self.documents, *self.held]
        for group in groups:
            if page in group.batch_pages:
                return group
        return None

    def document_for(self, register_id: str) -> PlannedDocument | None:
        return next((d for d in self.documents if d.register_id == register_id), None)

    def problems(self) -> list[ReviewError]:
        """What stops the batch from being confirmed."""
        found = [ReviewError(f"{d.register_id}: no pages left in the document", code="empty_document",
                             register_id=d.register_id) for d in self.documents if not d.batch_pages]
        if self.rescan_of is not None:
            found.append(ReviewError(f"page {self.rescan_of} waits to be scanned again (or cancel the rescan)",
                                     code="rescan_waiting", page=self.rescan_of))
        return found

    def as_split(self) -> SplitResult:
        documents = [
            PlannedDocument(d.register_id, d.cover_page, list(d.batch_pages), d.rotate,
                            {p: self.turns[p] for p in d.batch_pages if p in self.turns})
            for d in self.documents
        ]
        return SplitResult(
            documents, [HeldGroup(**asdict(g)) for g in self.held if g.batch_pages], list(self.blank_pages)
        )

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
            blank_pages=data["blank_pages"],
            removed=data["removed"],
            turns={int(k): v for k, v in data["turns"].items()},
            pages_seen=data["pages_seen"],
            rescan_of=data["rescan_of"],
        )


# -- loading, placing new pages, saving ----------------------------------------------------------


def _known(db: Database, pages: list[PageClass]) -> set[str]:
    ids = {p.register_id for p in pages if p.register_id}
    with db.session() as session:
        return existing_ids(session, ids)


def load(settings: Settings, db: Database, folder: BatchFolder) -> tuple[Review, list[PageClass]]:
    """The batch's review (made from its cover sheets the first time), with pages scanned since
    placed; and every page's classification."""
    pages = page_classes(settings, folder)
    data = folder.read_review()
    if data is None:
        plan = split(pages, _known(db, pages))
        review = Review(plan.documents, plan.held, plan.blank_pages, pages_seen=len(pages))
        save(folder, review)
        return review, pages
    review = Review.from_json(data)
    if len(pages) > review.pages_seen:
        new = pages[review.pages_seen :]
        if review.rescan_of is not None:
            _replace(review, review.rescan_of, new)
        else:
            _extend(review, new, _known(db, pages))
        review.pages_seen = len(pages)
        save(folder, review)
    return review, pages


def save(folder: BatchFolder, review: Review) -> None:
    folder.write_review(review.to_json())
    crash_points.point("review.saved")


def _last_group(review: Review) -> PlannedDocument | HeldGroup | None:
    groups: list[PlannedDocument | HeldGroup] = [*review.documents, *review.held]
    placed = [(max(g.batch_pages), i, g) for i, g in enumerate(groups) if g.batch_pages]
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
            review.held.append(
                HeldGroup(
                    document.batch_pages,
                    f"register id {document.register_id} has another cover sheet in this batch",
                    document.cover_page,
                    document.register_id,
                    code="cover_twice",
                    params={"page": document.cover_page, "register_id": document.register_id, "count": 2,
                            "pages": ""},
                )
            )
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
        group.batch_pages[at : at + 1] = fresh
        review.removed.append(page)
    elif fresh:
        review.held.append(HeldGroup(fresh, f"scanned again for page {page}", code="rescanned", params={"page": page}))
    review.rescan_of = None


def page_turn(db: Database, folder: BatchFolder, number: int) -> tuple[int, bool] | None:
    """How batch page `number` would be filed now: (its clockwise turn, whether an officer turned
    it) — by the review once there is one, else by the cover sheets classified so far; None when
    the page would not be filed (a cover, blank, removed, or not classified yet)."""
    data = folder.read_review()
    review = Review.from_json(data) if data is not None else None
    if review is None or review.group_of(number) is None:
        pages = []
        for n in range(1, number + 1):
            page = folder.page_class(n)
            if page is None:
                return None
            pages.append(page)
        plan = split(pages, _known(db, pages))
        review = Review(plan.documents, plan.held, plan.blank_pages, turns=review.turns if review else {})
    group = review.group_of(number)
    if group is None or number in review.removed:
        return None
    rotate = group.rotate if isinstance(group, PlannedDocument) else 0
    return (rotate + review.turns.get(number, 0)) % 360, number in review.turns


# -- corrections ---------------------------------------------------------------------------------


def _entry_exists(db: Database, register_id: str) -> bool:
    with db.session() as session:
        return session.get(Entry, register_id) is not None


def assign(review: Review, db: Database, held_index: int, register_id: str) -> None:
    register_id = register_id.strip()
    if not 0 <= held_index < len(review.held):
        raise ReviewError("those held pages are not in this batch any more; reload the page", code="held_gone")
    if not _entry_exists(db, register_id):
        raise ReviewError(f"{register_id or '(empty)'} is not in the register; pick an entry from the list",
                          code="pick_entry", register_id=register_id or "")
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
        raise ReviewError(f"page {page} is not in a document", code="page_not_in_document", page=page)
    index = review.documents.index(document)
    if direction == "prev" and index > 0 and document.batch_pages[0] == page:
        document.batch_pages.pop(0)
        review.documents[index - 1].batch_pages.append(page)
    elif direction == "next" and index + 1 < len(review.documents) and document.batch_pages[-1] == page:
        document.batch_pages.pop()
        review.documents[index + 1].batch_pages.insert(0, page)
    else:
        raise ReviewError(f"page {page} is not at a boundary in that direction", code="not_at_boundary", page=page)


def remove(review: Review, page: int) -> None:
    group = review.group_of(page)
    if group is None:
        raise ReviewError(f"page {page} is in no document and no held group", code="page_nowhere", page=page)
    group.batch_pages.remove(page)
    review.held = [g for g in review.held if g.batch_pages or g.cover_page]
    review.removed.append(page)


def restore(review: Review, page: int) -> None:
    """A removed page, or one taken for blank, comes back as held pages to assign."""
    for pages in (review.removed, review.blank_pages):
        if page in pages:
            pages.remove(page)
            review.held.append(HeldGroup([page], RESTORED, code="restored"))
            return
    raise ReviewError(f"page {page} was neither removed nor taken for blank", code="page_not_removed", page=page)


def rotate(review: Review, page: int, *, shown: int | None = None) -> None:
    """Turn a page a quarter clockwise from the way it is `shown` (as its reading found it upright;
    else as its cover lies, with the officer's turns): from then on it is filed as the officer
    turned it, without an orientation check."""
    group = review.group_of(page)
    if group is None:
        raise ReviewError(f"page {page} is in no document and no held group", code="page_nowhere", page=page)
    cover = group.rotate if isinstance(group, PlannedDocument) else 0
    current = shown if shown in (0, 90, 180, 270) else (cover + review.turns.get(page, 0)) % 360
    review.turns[page] = (current + 90 - cover) % 360


def rescan(review: Review, page: int | None) -> None:
    """The next pages scanned into the batch replace `page` (None: cancel a rescan)."""
    if page is not None and review.group_of(page) is None:
        raise ReviewError(f"page {page} is in no document and no held group", code="page_nowhere", page=page)
    review.rescan_of = page


def confirm(settings: Settings, db: Database, folder: BatchFolder, *, user: str, role: str | None = None) -> Review:
    """Check the review and mark the batch queued for filing (the caller queues the job). `role`:
    the confirming officer's, when it matters who confirms (the kiosk); a role that may not see
    "dikecualikan" may not file such pages into a document others can see."""
    review, _pages = load(settings, db, folder)
    problems = review.problems()
    if problems:
        raise problems[0]
    if not review.documents:
        raise ReviewError("no document to file: assign the held pages to an entry first", code="nothing_to_file")
    if role is not None:
        _check_exempt_pages(db, folder, review, hidden_categories(role))
    queued = folder.transition((Status.NEW, Status.SCANNED, Status.INTERRUPTED, Status.FAILED),
                               status=Status.QUEUED, user=user or folder.read_state().user, error=None)
    crash_points.point("review.confirmed")
    if queued is None:
        state = folder.read_state()
        raise ReviewError(f"batch {state.batch} is {state.status}; wait until it is done", code="batch_busy",
                          batch=state.batch)
    with db.session() as session:
        audit.record(session, user, "review.confirm", folder.id, documents=[
            {"register_id": d.register_id, "batch_pages": d.batch_pages} for d in review.documents],
            held=[g.batch_pages for g in review.held])
    return review


def _check_exempt_pages(db: Database, folder: BatchFolder, review: Review, hidden: tuple[str, ...]) -> None:
    """Refuse to file a page that came in under a hidden entry (or a cover nobody could read) into
    a document of another entry that is not hidden itself: only an officer who may see the page
    can judge where it belongs."""
    if not hidden:
        return
    owners = page_owners(folder, folder.read_state().pages)
    categories = _categories(db, owners.ids | {d.register_id for d in review.documents})
    withheld = {i for i in owners.ids if categories.get(i) in hidden} | {UNREADABLE_COVER}
    for document in review.documents:
        if categories.get(document.register_id) in hidden:
            continue
        for n in document.batch_pages:
            first = owners.claims.get(n, (UNREADABLE_COVER,))[0]
            if first in withheld and first != document.register_id:
                raise ReviewError(
                    f"page {n} came in under a 'dikecualikan' entry or a cover that could not be read, and "
                    f"would be filed in {document.register_id}: perlu dikonfirmasi Petugas PPID "
                    "(a Petugas PPID must confirm this batch)", code="needs_ppid", page=n,
                    register_id=document.register_id)


def _categories(db: Database, register_ids: set[str]) -> dict[str, str]:
    with db.session() as s:
        return categories_of(s, register_ids)


# -- whose each page is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageOwners:
    """Batch page -> every register id it belongs to or once did (the cover it came in under,
    recorded when it was classified, then the groups the review puts it in), and the one it is
    shown with. A page not classified yet, or after a cover nobody could read, has the claim
    `UNREADABLE_COVER`: it may be anyone's."""

    claims: dict[int, tuple[str | None, ...]]
    shown: dict[int, str | None]

    def hidden(self, withheld: set[str]) -> set[int]:
        """Pages with a claim from one of `withheld`, or whose owner is not known yet."""
        withheld = withheld | {UNREADABLE_COVER}
        return {n for n, claims in self.claims.items() if withheld.intersection(claims)}

    @property
    def ids(self) -> set[str]:
        return {i for claims in self.claims.values() for i in claims if i and i != UNREADABLE_COVER}


def page_owners(folder: BatchFolder, pages: int) -> PageOwners:
    """Whose each page is; worked out again only when the pages, their classifications or the
    review change (a review screen asks once per thumbnail)."""
    return _page_owners(folder.path, pages, folder.classified_count(), folder.review_version())


@functools.lru_cache(maxsize=32)
def _page_owners(path: Path, pages: int, _classified: int, _review_version: int | None) -> PageOwners:
    folder = BatchFolder(path)
    claims: dict[int, list[str | None]] = {}
    for n in range(1, pages + 1):
        known, physical = folder.physical_owner(n)
        claims[n] = [physical if known else UNREADABLE_COVER]
    data = folder.read_review()
    if data is not None:
        review = Review.from_json(data)
        groups: list[PlannedDocument | HeldGroup] = [*review.documents, *review.held]
        for group in groups:
            for n in [*group.batch_pages, *([group.cover_page] if group.cover_page else [])]:
                if n in claims:
                    claims[n].append(group.register_id)
    return PageOwners(
        {n: tuple(c) for n, c in claims.items()},
        {n: c[-1] if c[-1] != UNREADABLE_COVER else None for n, c in claims.items()},
    )
