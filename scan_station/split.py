"""Splitting a classified batch into documents, held pages and blank pages.

The rules, in order of the pages:
- a cover sheet starts a document for its register id; the cover itself is not part of it; a
  cover read upside down or sideways turns its document's pages the same way (the stack went
  through the feeder together; OCR's orientation check still corrects single pages);
- blank pages are dropped, and listed;
- content pages before the first cover, after a cover that cannot be trusted (misread, two ids,
  an id not in the register), or after a cover whose id appears twice in the batch, are held
  with the reason: never filed into the wrong document, never merged silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass, field

from .classify import BLANK, COVER, PageClass, resolve_all


#: zbar's symbol orientation (where the symbol's top points) -> clockwise degrees to upright.
TURN_UPRIGHT = {"UP": 0, "RIGHT": 270, "DOWN": 180, "LEFT": 90}


@dataclass
class PlannedDocument:
    register_id: str
    cover_page: int
    batch_pages: list[int] = field(default_factory=list)
    #: Clockwise turn that makes the cover upright; its pages went through the feeder with it.
    rotate: int = 0
    #: Further clockwise turns of single pages (batch page -> degrees), set at review.
    turns: dict[int, int] = field(default_factory=dict)

    def turn(self, page: int) -> int:
        return (self.rotate + self.turns.get(page, 0)) % 360


@dataclass
class HeldGroup:
    batch_pages: list[int]
    reason: str
    cover_page: int | None = None
    register_id: str | None = None


@dataclass
class SplitResult:
    documents: list[PlannedDocument]
    held: list[HeldGroup]
    blank_pages: list[int]


def split(pages: Sequence[PageClass], known_ids: Container[str]) -> SplitResult:
    pages = resolve_all(list(pages))  # the backs of cover sheets are blank, not covers
    counts = Counter(p.register_id for p in pages if p.kind == COVER and p.register_id)
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
                held.append(HeldGroup(content, "pages before the first cover sheet"))
            continue
        reason = None
        if cover.problem:
            reason = cover.problem
        elif cover.register_id not in known_ids:
            reason = f"register id {cover.register_id} is not in the register"
        elif counts[cover.register_id] > 1:
            others = [p.number for p in pages if p.register_id == cover.register_id]
            reason = (
                f"register id {cover.register_id} has {counts[cover.register_id]} cover sheets in "
                f"this batch (pages {', '.join(map(str, others))})"
            )
        elif not content:
            reason = f"cover sheet for {cover.register_id} has no pages after it"
        if reason:
            held.append(HeldGroup(content, reason, cover.number, cover.register_id))
        else:
            documents.append(
                PlannedDocument(cover.register_id, cover.number, content, TURN_UPRIGHT.get(cover.orientation, 0))
            )
    return SplitResult(documents, held, blank_pages)
