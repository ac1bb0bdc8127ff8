"""Review before filing, and filing in the background: pages scanned through real libsane (the
demo feeder drives the pnm backend), corrected, confirmed, then filed by a real huey worker."""

from __future__ import annotations

import json

import pytest
from helpers import batches
from helpers.waiting import wait_until
from sqlalchemy import select

from scan_station.capture import review
from scan_station.capture.batch_folder import Status
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.scanning import page_classes, scan_pages, start_batch
from scan_station.core.config import load_settings
from scan_station.core.errors import ConfigError, InputFileError
from scan_station.core.state_folder import this_process
from scan_station.db.database import Batch, Database, Document, DocumentEvent
from scan_station.register import add_entry
from scan_station.system import jobs

pytestmark = pytest.mark.scanner

DEVICE = "pnm:0"
PROFILE = "Teks abu-abu 300 dpi, kaca"


def _entries(db, settings, *titles):
    with db.session() as s:
        return [add_entry(s, settings, title=t, unit="Subbagian Umum", category="berkala").id for t in titles]


def _scan(settings, db, ids, *, extra=None, pages=1, user="dok"):
    fill_demo_feeder(settings, db, ids, pages=pages, extra=extra)
    folder = start_batch(settings, db, device=DEVICE, profile=PROFILE, user=user)
    scan_pages(settings, folder)
    return folder


def test_the_demo_feeder_scans_through_libsane_until_empty(demo):
    settings, db = demo
    a, b = _entries(db, settings, "Laporan Kegiatan", "Surat Keputusan")
    folder = _scan(settings, db, [a, b], pages=2)
    state = folder.read_state()
    assert state.status == "scanned" and state.pages == 6 and state.user == "dok"
    assert not list(settings.demo_feeder_dir.glob("*.pnm"))  # the paper went through
    kinds = [(p.kind, p.register_id) for p in page_classes(settings, folder)]
    assert kinds == [
        ("cover", a),
        ("content", None),
        ("content", None),
        ("cover", b),
        ("content", None),
        ("content", None),
    ]
    assert all(folder.thumb_path(n).stat().st_size > 1000 for n in range(1, 7))


def test_corrections_change_the_documents_and_nothing_is_lost(demo):
    settings, db = demo
    a, b = _entries(db, settings, "Laporan Kegiatan", "Surat Keputusan")
    # a page before the first cover: held; then a (2 pages), b (2 pages)
    fill_demo_feeder(settings, db, [], extra=[batches.content("Lampiran tanpa sampul")])
    folder = _scan(settings, db, [a, b], pages=2)
    r, _pages = review.load(settings, db, folder)
    assert [(d.register_id, d.batch_pages) for d in r.documents] == [(a, [3, 4]), (b, [6, 7])]
    assert [g.batch_pages for g in r.held] == [[1]]

    with pytest.raises(review.ReviewError, match="not in the register"):
        review.assign(r, db, 0, "PPID-0000-000000")
    review.assign(r, db, 0, b)  # the held page belongs to b
    review.move(r, 4, "next")  # a's last page starts b
    review.rotate(r, 6)
    review.remove(r, 7)
    assert [(d.register_id, d.batch_pages) for d in r.documents] == [(a, [3]), (b, [4, 1, 6])]  # 4 moved to the start
    assert r.held == [] and r.removed == [7] and r.turns == {6: 90}
    with pytest.raises(review.ReviewError, match="not at a boundary"):
        review.move(r, 1, "prev")
    review.restore(r, 7)
    assert r.held[-1].batch_pages == [7]
    review.remove(r, 7)
    review.save(folder, r)
    assert review.load(settings, db, folder)[0] == r  # kept in the batch folder


def test_a_rescan_replaces_the_page_and_a_resumed_feeder_continues_the_document(demo):
    settings, db = demo
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=2)
    r, _ = review.load(settings, db, folder)
    review.rescan(r, 2)
    review.save(folder, r)
    assert "waits to be scanned again" in str(r.problems()[0])
    fill_demo_feeder(settings, db, [], extra=[batches.content("Halaman dipindai ulang")])
    scan_pages(settings, folder)
    r, _ = review.load(settings, db, folder)
    assert r.documents[0].batch_pages == [4, 3] and 2 in r.removed and r.rescan_of is None
    fill_demo_feeder(settings, db, [], extra=[batches.content("Halaman terakhir", page_no=3)])
    scan_pages(settings, folder)  # Lanjutkan after the feeder ran empty: the same document goes on
    r, _ = review.load(settings, db, folder)
    assert r.documents[0].batch_pages == [4, 3, 5]


@pytest.mark.ocr
@pytest.mark.slow
def test_a_confirmed_batch_is_filed_by_the_worker_as_reviewed(demo):
    settings, db = demo
    a, b = _entries(db, settings, "Laporan Kegiatan", "Surat Keputusan")
    folder = _scan(settings, db, [a, b], pages=1)
    r, _ = review.load(settings, db, folder)
    review.move(r, 2, "next")  # the officer decides a's page belongs to b... and gives a a new one
    review.rotate(r, 2)
    assert [str(p) for p in r.problems()] == [f"{a}: no pages left in the document"]
    review.save(folder, r)
    with pytest.raises(review.ReviewError, match="no pages left"):
        review.confirm(settings, db, folder, user="dok")
    review.move(r, 2, "prev")
    review.save(folder, r)
    assert review.load(settings, db, folder)[0].as_split().documents[0].turns == {2: 90}
    review.confirm(settings, db, folder, user="dok")
    assert folder.read_state().status == "queued"

    queue = jobs.make_jobs(settings)
    queue.file_batch(folder.read_state().batch)
    worker = jobs.start_worker(queue)
    try:
        wait_until(lambda: not folder.path.exists(), 180, every=0.5)
    finally:
        jobs.stop_worker(worker)
    assert not folder.path.exists(), folder.read_state()
    with db.session() as s:
        batch = s.scalars(select(Batch)).one()
        assert batch.status == "filed" and batch.submitted_by == "dok"
        docs = {d.register_id: d for d in s.scalars(select(Document))}
        assert docs[a].batch_pages == [2] and docs[b].batch_pages == [4]
        events = s.scalars(select(DocumentEvent).where(DocumentEvent.document_id == docs[a].id)).all()
        assert [(e.action, e.actor) for e in events] == [("submitted", "dok")]


def test_a_failing_job_marks_the_batch_failed_and_keeps_its_pages(demo):
    settings, db = demo
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=1)
    review.confirm(settings, db, folder, user="dok")
    folder.page_path(2).write_bytes(b"not a png any more")  # damaged on disk meanwhile
    with pytest.raises(InputFileError, match="page-0002.png"):
        jobs.file_batch(settings, folder.read_state().batch)
    state = folder.read_state()
    assert state.status == "failed" and "page-0002.png" in state.error
    assert folder.page_path(1).is_file()


@pytest.mark.ocr
@pytest.mark.slow
def test_a_redis_queue_is_shared_by_a_kiosk_and_a_worker_process(home, redis_url):
    """By configuration only: the kiosk queues on Redis, a `scan-station worker` process files."""
    import subprocess
    import sys

    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text(f'queue_url = "{redis_url}"\ndemo_feeder = true\nocr_workers = 2\n')
    settings = load_settings(home)
    db = Database(settings)
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=1)
    review.confirm(settings, db, folder, user="dok")
    jobs.make_jobs(settings).file_batch(folder.read_state().batch)
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SCAN_STATION_")}
    worker = subprocess.Popen(
        [sys.executable, "-m", "scan_station", "--home", str(home), "worker", "--json"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert json.loads(worker.stdout.readline()) == {"queue": redis_url}
        wait_until(lambda: not folder.path.exists(), 180, every=0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    with db.session() as s:
        assert [(d.register_id, d.batch_pages) for d in s.scalars(select(Document))] == [(a, [2])]
    db.close()


def test_a_scan_or_filing_whose_process_died_can_be_taken_up_again(demo):
    """The kiosk restarted (or lost power) while scanning, or while filing: nothing is stuck."""
    import subprocess
    import sys

    settings, db = demo
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=1)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = this_process() | {"pid": int(dead.stdout)}
    folder.update(status=Status.SCANNING, owner=gone)
    state = folder.read_state()
    assert state.status == "interrupted" and "Lanjutkan" in state.fault.id
    folder.update(status=Status.SCANNING, owner=this_process())  # this process: alive
    assert folder.read_state().status == "scanning"
    folder.update(status=Status.FILING, owner=gone)
    assert folder.read_state().status == "failed" and "confirm again" in folder.read_state().error
    review.confirm(settings, db, folder, user="dok")  # taken up again
    assert folder.read_state().status == "queued"


def test_an_unknown_queue_url_says_what_is_expected(home):
    with pytest.raises(ConfigError, match="it must begin with redis://, rediss:// or unix://; e.g. queue_url = "
                                          "'redis://localhost:6379/0', or leave it empty"):
        jobs.make_jobs(load_settings(home, queue_url="amqp://somewhere"))


def test_a_page_of_a_dikecualikan_entry_is_not_filed_elsewhere_by_who_may_not_see_it(demo):
    """Moved into a public document by a Petugas Dokumentasi, an exempt page waits for the PPID."""
    settings, db = demo
    (public,) = _entries(db, settings, "Laporan Kegiatan")
    with db.session() as s:
        secret = add_entry(s, settings, title="Berkas Penyidikan", unit="Subbagian Hukum", category="dikecualikan").id
    folder = _scan(settings, db, [secret, public], pages=2)  # cover, 2-3 secret, cover, 5-6 public
    r, _ = review.load(settings, db, folder)
    review.move(r, 3, "next")  # the secret document's last page to the start of the public one
    review.save(folder, r)
    assert review.load(settings, db, folder)[0].problems() == []
    with pytest.raises(review.ReviewError, match="perlu dikonfirmasi Petugas PPID"):
        review.confirm(settings, db, folder, user="dok", role="dokumentasi")
    with pytest.raises(review.ReviewError, match="perlu dikonfirmasi Petugas PPID"):
        review.confirm(settings, db, folder, user="admin", role="admin")
    assert folder.read_state().status == "scanned"
    review.confirm(settings, db, folder, user="ppid", role="ppid")
    assert folder.read_state().status == "queued"


def test_two_confirms_at_once_queue_the_batch_once(demo):
    import threading

    settings, db = demo
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=1)
    results, start = [], threading.Barrier(8)

    def tap():
        start.wait()
        try:
            review.confirm(settings, db, folder, user="dok", role="dokumentasi")
            results.append("queued")
        except review.ReviewError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("queued") == 1
    assert all("is queued; wait" in r for r in results if r != "queued")


def test_a_filing_job_for_a_batch_that_is_not_waiting_is_skipped(demo):
    """A second job for the same batch (a double confirm that slipped through, a job queued twice)."""
    settings, db = demo
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=1)
    assert jobs.file_batch(settings, folder.id) == {"batch": folder.id, "skipped": True}  # never confirmed
    folder.update(status=Status.FILING, owner=this_process())  # being filed right now
    assert jobs.file_batch(settings, folder.id)["skipped"]
    assert folder.read_state().status == "filing"
    assert jobs.file_batch(settings, "no-such-batch")["skipped"]
    with db.session() as s:
        assert s.scalars(select(Document)).all() == []


@pytest.mark.ocr
def test_a_batch_whose_filing_failed_after_its_raw_copy_is_filed_when_confirmed_again(demo, monkeypatch):
    """The raw batch kept by the failed attempt stays as it is; the second adds a manifest naming it."""
    from scan_station.archive.verify import verify
    from scan_station.core.errors import OcrError
    from scan_station.filing import ingest

    settings, db = demo
    (a,) = _entries(db, settings, "Laporan Kegiatan")
    folder = _scan(settings, db, [a], pages=2)
    review.confirm(settings, db, folder, user="dok", role="dokumentasi")

    def broken(self, plan, on_done):
        raise OcrError("tesseract was killed")

    with monkeypatch.context() as m:
        m.setattr(ingest.PageOcr, "results", broken)
        with pytest.raises(OcrError):
            jobs.file_batch(settings, folder.id)
    assert folder.read_state().status == "failed"
    with db.session() as s:
        raw_dir = settings.storage_dir / s.get(Batch, folder.id).raw_dir
    kept = {p.name: p.read_bytes() for p in raw_dir.iterdir()}
    assert "batch.json" in kept and "page-0002.png" in kept

    review.confirm(settings, db, folder, user="dok", role="dokumentasi")
    jobs.file_batch(settings, folder.id)
    assert not folder.path.exists()
    with db.session() as s:
        batch = s.get(Batch, folder.id)
        assert (batch.status, batch.manifest_name) == ("filed", "batch-2.json")
        assert [(d.register_id, d.batch_pages) for d in s.scalars(select(Document))] == [(a, [2, 3])]
    assert all((raw_dir / name).read_bytes() == data for name, data in kept.items())  # nothing rewritten
    second = json.loads((raw_dir / "batch-2.json").read_text())
    assert second["previous_manifest"]["name"] == "batch.json"
    assert verify(db, settings) | {"checked": 0} == {"ok": True, "checked": 0, "problems": []}
