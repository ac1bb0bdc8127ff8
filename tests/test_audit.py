"""The audit log: real work recorded with who and what; any edit, deletion, insertion, swap or cut
tail found and named; the log in the kiosk for the PPID roles only, filterable, as CSV."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from helpers.kiosk import add, login, make_app, run_queued_jobs, token
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from test_softcopy import entry, text_pdf

from scan_station.audit import log as audit
from scan_station.db.database import AuditHead, AuditRecord


@dataclasses.dataclass
class Row:
    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    details: dict
    prev_hash: str
    hash: str


def _chain(n: int) -> tuple[list[Row], audit.Head]:
    rows, prev = [], audit.GENESIS
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    for seq in range(1, n + 1):
        fields = {"seq": seq, "at": at + dt.timedelta(seconds=seq), "actor": f"u{seq % 3}", "action": "register.change",
                  "subject": f"PPID-2026-{seq:06d}", "details": {"old": {"title": "A"}, "new": {"title": f"B{seq}"}}}
        digest = audit.digest(**{k: v for k, v in fields.items() if k != "at"}, at=fields["at"].isoformat(),
                              prev=prev)
        rows.append(Row(**fields, prev_hash=prev, hash=digest))
        prev = digest
    return rows, audit.Head(n, prev)


def test_an_untouched_chain_is_whole():
    rows, head = _chain(20)
    assert audit.check_chain(rows, head) == []


EDITS = {
    "actor": lambda r: dataclasses.replace(r, actor=r.actor + "x"),
    "subject": lambda r: dataclasses.replace(r, subject="PPID-1999-000001"),
    "details": lambda r: dataclasses.replace(r, details={**r.details, "new": {"title": "forged"}}),
    "at": lambda r: dataclasses.replace(r, at=r.at + dt.timedelta(seconds=1)),
    "action": lambda r: dataclasses.replace(r, action="login"),
}


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 30), data=st.data())
def test_any_single_edit_deletion_insertion_or_swap_is_found(n, data):
    rows, head = _chain(n)
    kind = data.draw(st.sampled_from(["edit", "delete", "insert", "swap", "cut"]))
    i = data.draw(st.integers(0, n - 1))
    if kind == "edit":
        rows[i] = EDITS[data.draw(st.sampled_from(sorted(EDITS)))](rows[i])
        expected = rows[i].seq
    elif kind == "delete":
        expected = rows.pop(i).seq
    elif kind == "insert":  # a forged record, well formed on its own, slipped in after record i+1
        forged = dataclasses.replace(rows[i], subject="forged")
        forged.hash = audit.digest(seq=forged.seq, at=forged.at.isoformat(), actor=forged.actor, action=forged.action,
                                   subject=forged.subject, details=forged.details, prev=forged.prev_hash)
        rows.insert(i + 1, forged)
    elif kind == "swap":
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        rows[i], rows[j] = rows[j], rows[i]
    else:  # the tail cut, and the head row rewritten to match it
        cut = data.draw(st.integers(1, n - 1))
        rows, head = rows[:cut], audit.Head(rows[cut - 1].seq, rows[cut - 1].hash)
        anchors = [("batches/2026/B1/batch.json", {"seq": n, "hash": _chain(n)[1].hash})]
        problems = audit.check_chain(rows, head, anchors)
        assert [p.seq for p in problems] == [n]  # found through the anchor in storage
        return
    problems = audit.check_chain(rows, head)
    assert problems, kind
    named = {p.seq for p in problems}
    if kind == "edit":
        assert expected in named  # the very record
    elif kind == "delete":
        assert named & {expected - 1, expected + 1}  # the record after the gap, or the end before it


def _actions(db) -> list[tuple[str, str, str]]:
    with db.session() as s:
        return [(r.actor, r.action, r.subject) for r in s.scalars(select(AuditRecord).order_by(AuditRecord.seq))]


@pytest.mark.ocr
def test_real_work_is_recorded_and_the_chain_checks_against_storage(run, home, tmp_path):
    app = make_app(home)
    db = app.extensions["scan_station"]["db"]
    ppid, stranger = login(app.test_client(), "ppid"), app.test_client()
    failed = stranger.post("/login", data={"username": "ppid", "password": "salah-sekali",
                                           "csrf_token": token(stranger)})
    assert failed.status_code == 401
    public, secret = entry(run, "Laporan Keuangan"), entry(run, "Telaah Rahasia", "dikecualikan")
    edit = {"title": "Laporan Keuangan 2026", "unit": "Sekretariat", "category": "berkala",
            "csrf_token": token(ppid, f"/register/{public}/edit")}
    assert ppid.post(f"/register/{public}/edit", data=edit).status_code == 302
    for target in (public, secret):
        assert run("submit", text_pdf(tmp_path / f"{target[-1]}.pdf", ["Isi dokumen"]), "--entry", target).code == 0
    with db.session() as s:
        from scan_station.db.database import Document

        ids = {d.register_id: d.id for d in s.scalars(select(Document))}
    ppid.post(f"/handover/{ids[public]}/accept", data={"csrf_token": token(ppid, f"/handover/{ids[public]}")})
    assert ppid.get(f"/documents/{ids[secret]}.pdf").status_code == 200
    assert run("berita-acara", "--month", dt.date.today().strftime("%Y-%m"), "--unit", "Sekretariat").code == 0
    actions = _actions(db)
    assert ("ppid", "register.change", public) in actions and ("ppid", "login", "") not in actions
    assert {a for _u, a, _s in actions} >= {"user.add", "login", "login.failed", "register.add", "register.change",
                                            "document.filed", "handover.accepted", "document.download",
                                            "berita_acara.make"}
    with db.session() as s:
        change = s.scalar(select(AuditRecord).where(AuditRecord.action == "register.change"))
        assert change.details["old"]["title"] == "Laporan Keuangan"
        assert change.details["new"]["title"] == "Laporan Keuangan 2026"
    assert run("audit", "verify", "--json").json == {"ok": True, "problems": []}
    # the tail cut, and the head row set back to match: the anchors in storage still tell
    with db.session() as s:
        last = s.scalar(select(AuditRecord.seq).where(AuditRecord.action == "document.filed"))
        keep = s.get(AuditRecord, last - 1)
        s.execute(delete(AuditRecord).where(AuditRecord.seq >= last))
        s.execute(update(AuditHead).values(seq=keep.seq, hash=keep.hash))
    cut = run("audit", "verify", "--json")
    assert cut.code != 0 and any("batch" in p["what"] or "berita acara" in p["what"] for p in cut.json["problems"])


def test_the_kiosk_shows_the_log_to_the_ppid_roles_only(home):
    app = make_app(home)
    target = add(app, title="Surat Edaran")
    for username in ("dok", "admin"):
        assert login(app.test_client(), username).get("/audit/").status_code == 403
    client = login(app.test_client(), "atasan")
    page = client.get("/audit/?action=user").get_data(as_text=True)
    # the rows shown are those of the action (the choice list names every action, filtered or not)
    assert "Log audit" in page and 'data-action="user.add"' in page and 'data-action="register.add"' not in page
    assert target in client.get("/audit/?action=register").get_data(as_text=True)
    assert client.get("/audit/?since=bukan-tanggal&until=2026-13-45&actor=%00").status_code in (200, 400)
    csv = client.get("/audit/audit.csv?action=user")
    assert csv.mimetype == "text/csv" and csv.data.decode().count("user.add") == 4
    checked = client.post("/audit/verify", data={"csrf_token": token(client, "/audit/")}).get_data(as_text=True)
    assert "Log audit utuh" in checked
    assert run_queued_jobs(app) == 0


@pytest.mark.ocr
def test_fixity_runs_on_schedule_reports_a_changed_file_and_repairs_nothing(run, home, tmp_path):
    from scan_station.archive import fixity
    from scan_station.system import jobs

    result = run("submit", text_pdf(tmp_path / "a.pdf", ["Arsip"]), "--entry", entry(run), "--json")
    stored = home / result.json["documents"][0]["path"]
    app = make_app(home)
    settings = app.extensions["scan_station"]["settings"]
    admin = login(app.test_client(), "admin")
    assert "Belum diperiksa" in admin.get("/admin/").get_data(as_text=True)
    queue = jobs.make_jobs(settings)
    assert fixity.due(settings)
    queue.fixity()
    queue.queue.execute(queue.queue.dequeue())  # the scheduled task, as a worker runs it
    assert fixity.last_result(settings)["ok"] and not fixity.due(settings)
    assert "berkas tidak berubah" in admin.get("/admin/").get_data(as_text=True)
    changed = bytearray(stored.read_bytes())
    changed[-10] ^= 1
    stored.write_bytes(bytes(changed))
    outcome = fixity.check(settings, app.extensions["scan_station"]["db"])
    assert not outcome["ok"] and stored.read_bytes() == bytes(changed)  # reported, never "repaired"
    assert "menemukan masalah" in admin.get("/admin/").get_data(as_text=True)
    assert ("scheduler", "fixity.mismatch", "storage") in _actions(app.extensions["scan_station"]["db"])
