"""Reconciling a batch against what was printed for it: cover sheets printed that never came
through the scanner are documents someone may have left out of the stack, and ids found that
nobody expected are documents that may belong to another batch.

The kiosk records every print of cover sheets (`record_print`). The review of a batch lists the
covers printed by its officer from the day before the batch began that appear neither in it nor
in any batch filed since they were printed (`printed_but_missing`). `ingest --expect` compares with
a list given on the command line (`against`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import log as audit
from ..db.database import Batch, CoversheetPrint, Document, utcnow

#: How far back a batch's print jobs go: covers printed for a batch are printed the same day.
PRINT_WINDOW = dt.timedelta(hours=24)


def record_print(session: Session, register_ids: Iterable[str], *, printed_by: str = "") -> CoversheetPrint:
    job = CoversheetPrint(printed_at=utcnow(), printed_by=printed_by, register_ids=list(register_ids))
    session.add(job)
    session.flush()
    audit.record(session, printed_by, "coversheet.print", ", ".join(job.register_ids)[:200], ids=job.register_ids)
    return job


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def printed_but_missing(session: Session, *, printed_by: str, since: dt.datetime, seen: set[str]) -> list[str]:
    """Ids of the covers `printed_by` printed since `since` that are not in `seen` (the batch)
    and were not filed in any batch received after they were printed, in the order printed."""
    jobs = session.scalars(select(CoversheetPrint).where(
        CoversheetPrint.printed_by == printed_by, CoversheetPrint.printed_at >= since).order_by(CoversheetPrint.id))
    missing: dict[str, None] = {}
    for job in jobs:
        filed_since = set(session.scalars(
            select(Document.register_id).join(Batch).where(Document.register_id.in_(job.register_ids),
                                                          Batch.received_at >= _aware(job.printed_at))))
        missing |= dict.fromkeys(i for i in job.register_ids if i not in seen and i not in filed_since)
    return list(missing)


def against(expected: Iterable[str], found: Iterable[str]) -> dict[str, list[str]]:
    """`{"expected_missing": [...], "unexpected": [...]}`, each in the order given."""
    expected, found = list(dict.fromkeys(expected)), list(dict.fromkeys(found))
    return {"expected_missing": [i for i in expected if i not in found],
            "unexpected": [i for i in found if i not in expected]}
