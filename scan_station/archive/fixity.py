"""Fixity on a schedule: the worker re-hashes everything in storage (`verify`), checks the
audit chain and checks again the signatures of the softcopy originals kept (`signatures.recheck`)
every `fixity_interval_hours`, records the outcome in the audit log, and keeps the last result for
the kiosk's Administrasi page. A mismatch, or a signature verdict worse than the one recorded at
hand-over, is reported and audited, never "repaired": nothing in storage is rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from ..audit import log as audit
from ..core import storage
from ..core.config import Settings
from ..db.database import Database, utcnow

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
    """Verify storage, the audit chain and the kept originals' signatures now; the outcome is
    audited and kept."""
    from ..records.signatures import recheck
    from .verify import verify

    files = verify(db, settings)
    chain = audit.verify_all(settings, db)
    signed = recheck(settings, db)
    result = {"at": utcnow().isoformat(), "ok": files["ok"] and not chain and not signed["problems"],
              "checked": files["checked"],
              "problems": [f"{p['kind']}: {p['path']}" for p in files["problems"]] + [str(p) for p in chain]
              + signed["problems"],
              "signatures": {"checked": signed["checked"], "changed": signed["changed"][:100]}}
    with db.session() as session:
        audit.record(session, "scheduler", "fixity.check" if result["ok"] else "fixity.mismatch", "storage",
                     checked=result["checked"], problems=result["problems"][:100])
    storage.replace_json(settings.home / RESULT_FILE, result)
    if not result["ok"]:
        log.error("fixity check found %d problem(s): %s", len(result["problems"]), "; ".join(result["problems"][:5]))
    return result
