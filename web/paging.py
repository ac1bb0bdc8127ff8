"""Pages of long lists: every list that grows (register, batches, handover, users) is cut into
pages on the server, counted with one query, and shown with links to the pages around it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 50
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    number: int  # 1-based
    per_page: int
    arg: str  # the query argument that holds the page number

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)

    def around(self, width: int = 3) -> list[int]:
        return list(range(max(1, self.number - width), min(self.pages, self.number + width) + 1))


def whole_number(text: str | None, *, low: int, high: int) -> int | None:
    """`text` as a whole number from `low` to `high`, else None: ASCII digits only ("²" and "٣"
    are digits to `str.isdigit`, but not numbers a form sends), and no more of them than fit."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def page_number(arg: str = "page") -> int:
    """The page asked for in the query string; anything that is not a page number is page 1."""
    raw = request.args.get(arg, "1")
    if raw.isascii() and raw.isdigit() and len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return whole_number(raw, low=1, high=MAX_PAGE) or 1


def link_args(*leave_out: str) -> dict[str, str]:
    """The query string's arguments, to carry into a link to this screen (`url_for(..., **args)`):
    not `leave_out`, not the view's own arguments, and not url_for's own keyword arguments
    (`endpoint`, `_method`, `_external`, `_scheme`, `_anchor`), which in a typed URL would make
    the link fail (a 500) or lead elsewhere."""
    skip = {*leave_out, *(request.view_args or {}), "endpoint"}
    return {k: v for k, v in request.args.items() if k not in skip and not k.startswith("_")}


def paginate(session: Session, query: Select, *, row: Callable[[Any], Any] = lambda r: r, arg: str = "page",
             per_page: int = PER_PAGE) -> Page:
    """One page of a SELECT (ordered by the caller), its rows made into what templates show."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    number = min(page_number(arg), max(1, -(-total // per_page)))
    rows = session.scalars(query.limit(per_page).offset((number - 1) * per_page)).all()
    return Page([row(r) for r in rows], total, number, per_page, arg)


def paginate_list(items: Sequence, *, arg: str = "page", per_page: int = PER_PAGE) -> Page:
    """The same for a list already in memory (e.g. batch folders on disk)."""
    number = min(page_number(arg), max(1, -(-len(items) // per_page)))
    return Page(list(items[(number - 1) * per_page:number * per_page]), len(items), number, per_page, arg)
