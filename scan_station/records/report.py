"""The monthly report for the Atasan PPID: what was filed, accepted and returned, per unit.

A month counts documents filed in it (by filing time) with their status today, the handover
decisions taken in it, and the pages held back in the batches received in it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import RegisterError
from ..core.model import DocumentStatus
from ..core.spreadsheet import Column, Sheet, export
from ..db.database import Batch, Document, DocumentEvent, Entry, HeldPages

COLUMNS = ("unit", "filed", "pages", "accepted", "returned", "waiting")
#: Years a report may ask for; the month after the last must still be a date.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def parse_month(text: str | None, *, today: dt.date | None = None) -> tuple[int, int]:
    """`YYYY-MM` (default: this month) as (year, month); a clear error otherwise."""
    if not text:
        today = today or dt.date.today()
        return today.year, today.month
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise RegisterError(f"month {text!r}: write it as YYYY-MM, e.g. 2026-11", code="month", value=text[:20])
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise RegisterError(f"month {text!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}", code="month_year",
                            value=text[:20], first=FIRST_YEAR, last=LAST_YEAR)
    return year, int(match.group(2))


def _bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=calendar.monthrange(year, month)[1])
    return start, end


def monthly(session: Session, year: int, month: int, *, hidden_categories: tuple[str, ...] = ()) -> dict:
    start, end = _bounds(year, month)
    documents = session.scalars(
        select(Document).join(Entry).where(Document.filed_at >= start, Document.filed_at < end,
                                           Entry.category.not_in(hidden_categories))
    ).all()
    units: dict[str, dict] = defaultdict(lambda: dict.fromkeys(COLUMNS[1:], 0))
    for d in documents:
        row = units[d.entry.unit]
        row["filed"] += 1
        row["pages"] += d.page_count
        row[d.status if d.status in (DocumentStatus.ACCEPTED, DocumentStatus.RETURNED) else "waiting"] += 1
    events = session.execute(
        select(DocumentEvent, Document, Entry).join(Document, DocumentEvent.document_id == Document.id).join(Entry)
        .where(DocumentEvent.at >= start, DocumentEvent.at < end, Entry.category.not_in(hidden_categories))
        .order_by(DocumentEvent.at)
    ).all()
    held = session.scalars(
        select(HeldPages).join(Batch).where(Batch.received_at >= start, Batch.received_at < end)
    ).all()
    rows = [{"unit": unit, **counts} for unit, counts in sorted(units.items())]
    return {
        "month": f"{year:04d}-{month:02d}",
        "units": rows,
        "total": {c: sum(r[c] for r in rows) for c in COLUMNS[1:]},
        "returned": [
            {
                "register_id": d.register_id,
                "version": d.version,
                "title": en.title,
                "reason": e.reason,
                "by": e.actor,
                "at": e.at.isoformat(),
            }
            for e, d, en in events
            if e.action == DocumentStatus.RETURNED
        ],
        "decisions": {
            a: sum(1 for e, _d, _en in events if e.action == a) for a in DocumentStatus
        },
        "held_pages": sum(len(h.batch_pages) for h in held),
    }


#: The per-unit table's column headers, as the kiosk's report shows them (in Indonesian).
HEADERS = ("Unit", "Disimpan", "Halaman", "Diterima", "Dikembalikan", "Menunggu")
#: The returned documents' table in a workbook: (key in the report, header, width, kind).
_RETURNED = (("register_id", "Nomor Register", 20, "text"), ("version", "Versi", 8, "number"),
             ("title", "Judul Informasi", 50, "text"), ("reason", "Alasan", 50, "text"),
             ("by", "Oleh", 16, "text"), ("at", "Waktu (UTC)", 20, "datetime"))


def sheets(report: dict) -> list[Sheet]:
    """The report as tables: "Laporan", per unit with its total ("Jumlah"), then "Dikembalikan",
    the documents returned in the month with the reason."""
    units = Sheet("Laporan", (Column(HEADERS[0], 40), *(Column(h, 14, "number") for h in HEADERS[1:])),
                  [[row[c] for c in COLUMNS] for row in [*report["units"], {"unit": "Jumlah", **report["total"]}]])
    returned = Sheet("Dikembalikan", tuple(Column(header, width, kind) for _k, header, width, kind in _RETURNED),
                     [[r[key] for key, *_rest in _RETURNED] for r in report.get("returned", ())])
    return [units, returned]


def export_report(report: dict, kind: str) -> str | bytes:
    """The report as `kind` (`spreadsheet.FORMATS`); the CSVs hold the per-unit table."""
    return export(sheets(report), kind)


def as_csv(report: dict, *, excel: bool = False) -> str:
    """The per-unit table as CSV (with `excel`, as Excel in Indonesian opens it); a unit name a
    spreadsheet would run as a formula is quoted."""
    return cast(str, export_report(report, "excel-csv" if excel else "csv"))  # the CSVs are text
