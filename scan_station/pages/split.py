"""Splitting a classified batch into documents, held pages and blank pages.

The rules, in order of the pages:
- the back of a cover sheet is blank, not a second cover (`resolve`): the page right after a
  cover that shows only that cover's payload or mark, mirrored or much fainter (`BACK`) than the
  cover itself; a real second sheet of the same id is as dark as the first, and is held;
- a cover sheet starts a document for its register id; the cover itself is not part of it; a
  cover read upside down or sideways turns its document's pages the same way (the stack went
  through the feeder together; OCR's orientation check still corrects single pages);
- blank pages are dropped, and listed;
- content pages before the first cover, after a cover that cannot be trusted (misread, two ids,
  an id not in the register), or after a cover whose id appears twice in the batch, are held
  with the reason: never filed into the wrong document, never merged silently.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from ..core.model import BLANK, COVER, FAINT, UNREADABLE, PageClass

#: Right after a cover, a page whose cover symbols are less than this share of the cover's own
#: darkness is that cover's back.
BACK = 0.5
#: zbar's symbol orientation (where the symbol's top points) -> clockwise degrees to upright.
TURN_UPRIGHT: dict[str | None, int] = {"UP": 0, "RIGHT": 270, "DOWN": 180, "LEFT": 90}


@dataclass
class PlannedDocument:
    register_id: str
    cover_page: int
    batch_pages: list[int] = field(default_factory=list)
    #: Clockwise turn that makes the cover upright; its pages went through the feeder with it.
    rotate: int = 0
    #: Pages an officer turned at review: batch page -> clockwise degrees beyond `rotate` (0
    #: included); such a page is filed as turned, any other as its reading finds it upright.
    turns: dict[int, int] = field(default_factory=dict)

    def turn(self, page: int) -> int:
        return (self.rotate + self.turns.get(page, 0)) % 360


@dataclass
class HeldGroup:
    batch_pages: list[int]
    reason: str  # for the record (manifests, `ingest --json`)
    cover_page: int | None = None
    register_id: str | None = None
    #: The reason as a code and parameters a screen translates: before_first_cover,
    #: cover_unreadable, not_registered, cover_twice, cover_empty (split), restored, rescanned (review).
    code: str = ""
    params: dict = field(default_factory=dict)


@dataclass
class SplitResult:
    documents: list[PlannedDocument]
    held: list[HeldGroup]
    blank_pages: list[int]


def _back(page: PageClass, cover: PageClass, what: str) -> PageClass:
    return dataclasses.replace(page, kind=BLANK, register_id=None, problem=None, shadow_of=cover.register_id,
                               reason=f"back of the cover sheet on page {cover.number}: {what} shows through")


def resolve(page: PageClass, previous: PageClass | None) -> PageClass:
    """`page` as it is after `previous`: the back of a cover sheet is blank, not another cover."""
    if previous is None or previous.kind != COVER or page.kind != COVER:
        return page
    own = previous.register_id or previous.shadow_of
    if page.register_id and page.register_id == own and page.contrast < BACK * previous.contrast:
        return _back(page, previous, "its barcode, much fainter")
    if not page.register_id and page.shadow_of and page.shadow_of == own:
        return _back(page, previous, "its barcode, mirrored or faint")
    if not page.register_id and not page.shadow_of and (page.problem or "").startswith(UNREADABLE) \
            and page.mark < FAINT:
        return _back(page, previous, "its cover mark, faintly")
    return page


def resolve_all(pages: list[PageClass]) -> list[PageClass]:
    """Every page resolved after the one before it, and a cover's shadow right before the cover
    itself (the sheet fed the other way round in duplex) blank too."""
    out: list[PageClass] = []
    for page in pages:
        out.append(resolve(page, out[-1] if out else None))
    for n in range(len(out) - 1):
        page, after = out[n], out[n + 1]
        if page.kind == COVER and not page.register_id and after.kind == COVER and after.register_id and (
                page.shadow_of == after.register_id or (not page.shadow_of and 0 < page.mark < FAINT)):
            out[n] = _back(page, after, "its barcode or mark, from the other side")
    return out


def split(pages: Sequence[PageClass], known_ids: Container[str]) -> SplitResult:
    pages = resolve_all(list(pages))  # the backs of cover sheets are blank, not covers
    counts: Counter[str | None] = Counter(p.register_id for p in pages if p.kind == COVER and p.register_id)
    groups: list[tuple[PageClass | None, list[int]]] = [(None, [])]
    blank_pages = []
    for page in pages:
        if page.kind == COVER:
            groups.append((page, []))
        elif page.kind == BLANK:
            blank_pages.append(page.number)
        else:
            groups[-1][1].append(page.number)

    documents, held = [], []
    for cover, content in groups:
        if cover is None:
            if content:
                held.append(HeldGroup(content, "pages before the first cover sheet", code="before_first_cover"))
            continue
        reason, code, params = None, "", {"page": cover.number, "register_id": cover.register_id or ""}
        if cover.problem:
            reason, code = cover.problem, "cover_unreadable"
        elif cover.register_id not in known_ids:
            reason, code = f"register id {cover.register_id} is not in the register", "not_registered"
        elif counts[cover.register_id] > 1:
            others = ", ".join(str(p.number) for p in pages if p.register_id == cover.register_id)
            reason, code = (f"register id {cover.register_id} has {counts[cover.register_id]} cover sheets in "
                            f"this batch (pages {others})"), "cover_twice"
            params |= {"count": counts[cover.register_id], "pages": others}
        elif not content:
            reason, code = f"cover sheet for {cover.register_id} has no pages after it", "cover_empty"
        if reason:
            held.append(HeldGroup(content, reason, cover.number, cover.register_id, code=code, params=params))
        else:
            assert cover.register_id is not None  # in known_ids
            documents.append(
                PlannedDocument(cover.register_id, cover.number, content, TURN_UPRIGHT.get(cover.orientation, 0))
            )
    return SplitResult(documents, held, blank_pages)
