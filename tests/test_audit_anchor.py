"""The audit log's tail is protected (issue 23, item 5): someone who can write the database cuts or
rewrites the records after some point — with every hash recomputed, head row and all — and
`audit verify` must still say so, because the head was anchored outside the database (a signed
line in storage) at every view of an exempt document and at least every few minutes. Lines
forged without the key, damaged or written by hand are named too."""

from __future__ import annotations

import json
import os
import time

import pytest
from helpers.kiosk import login, make_app, token
from sqlalchemy import delete, select, update

from scan_station.audit import anchor as audit_anchor
from scan_station.audit import log as audit
from scan_station.audit.log import GENESIS, digest
from scan_station.db.database import AuditHead, AuditRecord, Document
from scan_station.register import add_entry


@pytest.fixture
def app(home):
    return make_app(home, LOGIN_RATE_LIMIT="10000 per minute")


def _parts(app):
    return app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]


def _lines(settings) -> list[dict]:
    path = settings.home / audit_anchor.FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _age(settings, seconds: float) -> None:
    """Make the newest anchor look `seconds` old."""
    path = settings.home / audit_anchor.FILE
    then = time.time() - seconds
    os.utime(path, (then, then))


def _rewrite_from(db, first: int, *, keep: int | None = None) -> None:
    """What a database writer can do: drop records from `first` on (or keep only `keep` of them,
    their details changed) and recompute every hash after, head row included."""
    with db.session() as s:
        rows = list(s.scalars(select(AuditRecord).where(AuditRecord.seq >= first).order_by(AuditRecord.seq)))
        prev = s.get(AuditRecord, first - 1).hash if first > 1 else GENESIS
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= first))
        s.flush()
        seq = first - 1
        for row in rows[: keep or 0]:
            seq += 1
            details = {**row.details, "rewritten": True}
            h = digest(seq=seq, at=audit._stamp(row.at), actor=row.actor, action=row.action, subject=row.subject,
                       details=details, prev=prev)
            s.add(AuditRecord(seq=seq, at=row.at, actor=row.actor, action=row.action, subject=row.subject,
                              details=details, prev_hash=prev, hash=h))
            prev = h
        s.execute(update(AuditHead).values(seq=seq, hash=prev))


def _problems(settings, db) -> list[str]:
    return [str(p) for p in audit.verify_all(settings, db)]


def _exempt_document(app, tmp_path) -> int:
    from test_softcopy import text_pdf

    from scan_station.filing.softcopy import submit

    settings, db = _parts(app)
    with db.session() as s:
        entry = add_entry(s, settings, title="Telaah Rahasia", unit="Sekretariat", category="dikecualikan").id
    submit([text_pdf(tmp_path / "rahasia.pdf", ["Isi rahasia"])], entry_id=entry, settings=settings, db=db,
           submitted_by="dok")
    with db.session() as s:
        return s.scalar(select(Document.id).where(Document.register_id == entry))


def test_the_first_record_is_anchored_and_the_log_checks_clean(app):
    settings, db = _parts(app)
    lines = _lines(settings)
    assert lines and (lines[-1]["seq"], lines[-1]["hash"]) == (audit.head(db).seq, audit.head(db).hash)
    assert _problems(settings, db) == []
    assert oct((settings.home / audit_anchor.KEY_FILE).stat().st_mode)[-3:] == "600"
    from scan_station.archive.verify import verify

    assert verify(db, settings)["ok"]  # storage holds what was filed, and nothing else
    assert not any(p.name.startswith("audit") for p in settings.storage_dir.rglob("*"))


def test_records_within_the_interval_wait_for_the_worker_then_are_anchored(app):
    settings, db = _parts(app)
    before = len(_lines(settings))
    with db.session() as s:
        audit.record(s, "ppid", "register.change", "X")
    assert len(_lines(settings)) == before  # the newest anchor is fresh: not every record writes a line
    assert not audit_anchor.catch_up(settings, db, when_due=True)
    _age(settings, settings.audit_anchor_minutes * 60 + 1)
    assert audit_anchor.catch_up(settings, db, when_due=True)
    assert _lines(settings)[-1]["seq"] == audit.head(db).seq
    assert not audit_anchor.catch_up(settings, db)  # nothing new: no line
    _age(settings, settings.audit_anchor_minutes * 60 + 1)
    with db.session() as s:  # a record after a quiet spell is anchored at its commit
        audit.record(s, "ppid", "register.change", "Y")
    assert _lines(settings)[-1]["seq"] == audit.head(db).seq


@pytest.mark.ocr
@pytest.mark.parametrize("how", ["view", "download", "copy", "search"])
def test_every_look_at_an_exempt_document_is_anchored_at_once(home, tmp_path, how):
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text('public_base_url = "https://ppid.example.go.id/"\n')
    app = make_app(home, LOGIN_RATE_LIMIT="10000 per minute")
    settings, db = _parts(app)
    document = _exempt_document(app, tmp_path)
    ppid = login(app.test_client(), "ppid")
    ppid.get("/search/")  # a fresh anchor, so that only the look itself can write the next
    audit_anchor.catch_up(settings, db)
    url = {"view": f"/handover/{document}", "download": f"/documents/{document}.pdf",
           "copy": f"/documents/{document}/salinan.pdf", "search": "/search?q=rahasia"}[how]
    answer = ppid.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    with db.session() as s:
        last = s.scalar(select(AuditRecord).order_by(AuditRecord.seq.desc()))
    assert last.action in ("document.view", "document.download", "document.copy", "search.exempt")
    assert _lines(settings)[-1]["seq"] >= last.seq  # anchored before the answer went out
    # a day of such looks cut from the log, the chain recomputed: the anchor tells
    _rewrite_from(db, last.seq)
    assert any("anchors.jsonl" in p and "no longer holds it" in p for p in _problems(settings, db))


@pytest.mark.parametrize("keep", [0, 1])
def test_a_cut_or_rewritten_tail_is_found(app, keep):
    settings, db = _parts(app)
    with db.session() as s:
        first = audit.record(s, "ppid", "register.change", "A").seq
    for subject in "BCD":
        with db.session() as s:
            audit.record(s, "ppid", "register.change", subject)
    audit_anchor.catch_up(settings, db)
    assert _problems(settings, db) == []
    _rewrite_from(db, first, keep=keep)
    assert any("anchors.jsonl" in p for p in _problems(settings, db))


def test_the_tail_after_the_newest_anchor_is_what_can_go_unseen(app):
    """What the anchor does not promise, tested so that the docs stay true: a rewrite of records
    newer than the newest anchor (at most `audit_anchor_minutes` of them, no exempt look)."""
    settings, db = _parts(app)
    audit_anchor.catch_up(settings, db)
    with db.session() as s:
        first = audit.record(s, "ppid", "register.change", "A").seq
    _rewrite_from(db, first)
    assert _problems(settings, db) == []


@pytest.mark.parametrize("forgery", ["wrong mac", "other key", "garbage", "not json", "missing field",
                                     "shifted seq"])
def test_lines_not_signed_with_this_installations_key_are_named(app, forgery):
    settings, db = _parts(app)
    head = audit.head(db)
    path = settings.home / audit_anchor.FILE
    good = _lines(settings)[-1]
    at = "2026-01-01T00:00:00+00:00"
    line = {
        "wrong mac": json.dumps({"seq": head.seq, "hash": head.hash, "at": at, "mac": "0" * 64}),
        "other key": json.dumps({"seq": head.seq, "hash": head.hash, "at": at,
                                 "mac": audit_anchor._mac(b"k" * 32, head.seq, head.hash, at)}),
        "garbage": "\x00\xff" * 20,
        "not json": "{seq: 1",
        "missing field": json.dumps({"seq": head.seq, "hash": head.hash}),
        "shifted seq": json.dumps(good | {"seq": good["seq"] + 1}),
    }[forgery]
    with path.open("a") as f:
        f.write(line + "\n")
    problems = _problems(settings, db)
    assert any("anchors.jsonl, line" in p for p in problems), problems


def test_a_missing_key_or_a_linked_file_is_named_not_believed(app, tmp_path):
    settings, db = _parts(app)
    (settings.home / audit_anchor.KEY_FILE).rename(tmp_path / "key")
    assert any("key" in p and "missing" in p for p in _problems(settings, db))
    (tmp_path / "key").rename(settings.home / audit_anchor.KEY_FILE)
    path = settings.home / audit_anchor.FILE
    path.rename(tmp_path / "anchors.jsonl")
    path.symlink_to(tmp_path / "anchors.jsonl")
    assert any("not a regular file" in p for p in _problems(settings, db))
    with db.session() as s:  # nothing is written through the link, and no error reaches the writer
        audit.record(s, "ppid", "register.change", "Z")
    _age(settings, 0)
    assert (tmp_path / "anchors.jsonl").read_text().count("\n") == len(_lines(settings))


def test_the_kiosk_check_names_a_cut_tail(app):
    settings, db = _parts(app)
    with db.session() as s:
        first = audit.record(s, "ppid", "register.change", "A").seq
    audit_anchor.catch_up(settings, db)
    _rewrite_from(db, first)
    ppid = login(app.test_client(), "ppid")
    page = ppid.post("/audit/verify", data={"csrf_token": token(ppid, "/audit/")}).get_data(as_text=True)
    assert "anchors.jsonl" in page


TAMPERING = {
    "time in another form": "UPDATE audit_record SET at = replace(replace(replace(at, '-', ''), ':', ''), ' ', 'T') "
                            "WHERE seq = {seq}",
    "time with an offset": "UPDATE audit_record SET at = at || '+00:00' WHERE seq = {seq}",
    "time with a zero before the year": "UPDATE audit_record SET at = '0' || at WHERE seq = {seq}",
    "name as bytes": "UPDATE audit_record SET actor = CAST(actor AS BLOB) WHERE seq = {seq}",
    "action as bytes": "UPDATE audit_record SET action = CAST(action AS BLOB) WHERE seq = {seq}",
    "subject as bytes": "UPDATE audit_record SET subject = CAST(subject AS BLOB) WHERE seq = {seq}",
    "time as a number": "UPDATE audit_record SET at = 20261207 WHERE seq = {seq}",
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_a_record_stored_in_another_form_is_named_not_hidden(app, how):
    """Values that read back the same but are stored otherwise slip past the filters (which compare
    what is stored) while the hash holds: `audit verify` names them, and never crashes on them."""
    import sqlite3

    settings, db = _parts(app)
    with db.session() as s:
        seq = audit.record(s, "ppid", "document.view", "PPID-2026-000001 v1").seq
    audit_anchor.catch_up(settings, db)
    connection = sqlite3.connect(settings.home / "scan-station.db")
    with connection:
        connection.execute(TAMPERING[how].format(seq=seq))
    connection.close()
    problems = _problems(settings, db)
    assert any(p.startswith(f"record {seq}:") or "cannot be read back" in p for p in problems), problems
    ppid = login(app.test_client(), "ppid")
    checked = ppid.post("/audit/verify", data={"csrf_token": token(ppid, "/audit/")})
    assert checked.status_code == 200 and "tidak utuh" in checked.get_data(as_text=True).lower() or \
        "not whole" in checked.get_data(as_text=True)
