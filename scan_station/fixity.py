"""Fixity on a schedule: the worker re-hashes everything in storage (`verify`) and checks the
audit chain every `fixity_interval_hours`, records the outcome in the audit log, and keeps the
last result for the kiosk's Administrasi page. A mismatch is reported and audited, never
"repaired": nothing in storage is rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from . import audit, storage
from .config import Settings
from .db import Database, utcnow

log = logging.getLogger(__name__)
RESULT_FILE = "fixity.json"


def last_result(settings: Settings) -> dict | None:
    """The last check's outcome: when, how many files, and every problem found."""
    try:
        return json.loads((settings.home / RESULT_FILE).read_text())
    except (OSError, ValueError):
        return None


def due(settings: Settings, now: dt.datetime | None = None) -> bool:
    if settings.fixity_interval_hours <= 0:
        return False
    last = last_result(settings)
    try:
        at = dt.datetime.fromisoformat(last["at"]) if last else None
    except (KeyError, TypeError, ValueError):
        at = None
    return at is None or (now or utcnow()) - at >= dt.timedelta(hours=settings.fixity_interval_hours)


def check(settings: Settings, db: Database) -> dict:
    """Verify storage and the audit chain now; the outcome is audited and kept."""
    from .verify import verify

    files = verify(db, settings)
    chain = audit.verify_all(settings, db)
    result = {"at": utcnow().isoformat(), "ok": files["ok"] and not chain, "checked": files["checked"],
              "problems": [f"{p['kind']}: {p['path']}" for p in files["problems"]] + [str(p) for p in chain]}
    with db.session() as session:
        audit.record(session, "scheduler", "fixity.check" if result["ok"] else "fixity.mismatch", "storage",
                     checked=result["checked"], problems=result["problems"][:100])
    storage.replace_json(settings.home / RESULT_FILE, result)
    if not result["ok"]:
        log.error("fixity check found %d problem(s): %s", len(result["problems"]), "; ".join(result["problems"][:5]))
    return result
