"""The audit log as a spreadsheet: the columns of `audit.as_csv`, as Excel opens a CSV in Indonesian
and as a workbook (`spreadsheet`), with each record's time as a date and time (UTC)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..core.spreadsheet import Column, Sheet, export
from ..db.database import AuditRecord
from . import log as audit

#: (header, width) of each column, as `audit.as_csv` names them.
_COLUMNS = (("seq", 8), ("at", 20), ("actor", 16), ("action", 20), ("subject", 30), ("details", 60),
            ("prev_hash", 20), ("hash", 20))
SHEET_TITLE = "Log Audit"


def audit_sheet(records: Iterable[AuditRecord]) -> Sheet:
    """The records as a table; read them inside `audit.readable()`."""
    kinds = {"seq": "number", "at": "datetime"}
    columns = tuple(Column(name, width, kinds.get(name, "text")) for name, width in _COLUMNS)
    return Sheet(SHEET_TITLE, columns, (_row(audit.as_dict(record)) for record in records))


def _row(d: dict) -> list[object]:
    details = json.dumps(d["details"], ensure_ascii=False, sort_keys=True)
    return [d["seq"], d["at"], d["actor"], d["action"], d["subject"], details, d["prev_hash"], d["hash"]]


def export_audit(records: Iterable[AuditRecord], kind: str) -> str | bytes:
    """The records as `kind`, one of `spreadsheet.FORMATS`."""
    return export([audit_sheet(records)], kind)
