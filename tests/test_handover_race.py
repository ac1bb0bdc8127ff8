"""One decision per version: two PPID officers deciding the same version at the same moment — one
accepts, one returns, or both press the same button — on SQLite and on PostgreSQL. Exactly one
decision is made and recorded; the other is told *sudah diputuskan*, and nothing of it is written.

Both decisions are held, after the service has taken its decision and before it commits, until
the other has had its chance: until it has decided too (a check of the status read before deciding
lets both through), or has waited in the database for 0.3 s (for this one's lock)."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from helpers.filed import add_entry, submit
from sqlalchemy import select

from scan_station.core import storage
from scan_station.core.config import load_settings
from scan_station.db.database import Database, Document, DocumentEvent
from scan_station.records import handover


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def waiting(request, home, tmp_path):
    """A home with one version waiting for a decision: (settings, its document id)."""
    home.mkdir(parents=True)
    if request.param == "postgresql":
        (home / "scan-station.toml").write_text(f'database_url = "{request.getfixturevalue("postgres")()}"\n')
    entry = add_entry(home, "Laporan keuangan")
    submit(home, entry, "kambing", tmp_path)
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:
        document_id = s.scalar(select(Document.id))
    yield settings, db, document_id
    db.close()


def _decide(kind: str, settings, db, document_id: int, actor: str):
    with db.session() as s:
        if kind == "accept":
            handover.accept(s, document_id, actor=actor, storage_dir=settings.storage_dir)
        else:
            handover.return_document(s, document_id, actor=actor, reason="Halaman terpotong",
                                     storage_dir=settings.storage_dir)


def _waits_in_the_database(thread: threading.Thread) -> bool:
    """Whether the thread is inside a statement (SQLAlchemy's `do_execute`): there it waits for a lock."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name.startswith("do_execute") and "sqlalchemy" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


@pytest.mark.parametrize("kinds", [("accept", "return"), ("accept", "accept"), ("return", "return")])
def test_two_decisions_at_once_make_one(waiting, kinds, monkeypatch):
    settings, db, document_id = waiting
    write, decided = storage.atomic_write_json, []

    def held(*args, **kwargs):  # the decision taken, not yet committed: wait for the other one
        decided.append(threading.current_thread())
        (other,) = [t for t in threads if t is not threading.current_thread()]
        blocked_since, deadline = None, time.monotonic() + 10
        while len(decided) < 2 and other.is_alive() and time.monotonic() < deadline:
            if not _waits_in_the_database(other):
                blocked_since = None
            elif time.monotonic() - (blocked_since := blocked_since or time.monotonic()) > 0.3:
                break  # the other waits for this one to commit: it must not get as far as deciding
            time.sleep(0.01)
        return write(*args, **kwargs)

    monkeypatch.setattr(storage, "atomic_write_json", held)
    outcomes: dict[str, object] = {}

    def officer(n: int, kind: str) -> None:
        try:
            _decide(kind, settings, db, document_id, f"ppid{n}")
            outcomes[f"ppid{n}"] = "decided"
        except handover.HandoverError as exc:
            outcomes[f"ppid{n}"] = exc

    threads = [threading.Thread(target=officer, args=(n, kind)) for n, kind in enumerate(kinds, start=1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(map(str, outcomes.values())).count("decided") == 1, outcomes
    (refused,) = [v for v in outcomes.values() if v != "decided"]
    assert refused.code == "already_decided" and refused.params["status"] in ("accepted", "returned")
    with db.session() as s:
        events = [e for e in s.scalars(select(DocumentEvent)) if e.action != "submitted"]
        document = s.get(Document, document_id)
        assert len(events) == 1 and document.status == events[0].action
        assert events[0].actor == next(k for k, v in outcomes.items() if v == "decided")
    written = sorted(p.name for p in settings.storage_dir.rglob("*.event-*.json"))
    assert len(written) == 1, written  # the refused decision left no file behind


def test_a_decided_version_cannot_be_decided_again(waiting):
    settings, db, document_id = waiting
    _decide("accept", settings, db, document_id, "ppid1")
    with pytest.raises(handover.HandoverError) as info:
        _decide("return", settings, db, document_id, "ppid2")
    assert info.value.code == "already_decided" and info.value.params["status"] == "accepted"
