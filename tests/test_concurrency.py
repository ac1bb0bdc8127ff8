"""Many kiosks and many workers on PostgreSQL and Redis, and PostgreSQL stopped in the middle of
a filing: versions without gaps or doubles, no job lost or run twice, every page accounted for.

The kiosks are processes of their own (tests/helpers/kiosk_process.py) scanning through real libsane; the
workers are `scan-station worker` processes; all share one PostgreSQL database, one Redis queue
and one storage folder, as machines on a network share them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.filed import cli
from helpers.waiting import wait_until
from sqlalchemy import func, select

from scan_station.capture import review
from scan_station.capture.batch_folder import BatchFolder, Status
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.core import crash_points
from scan_station.core.config import load_settings
from scan_station.db.database import AuditRecord, Batch, Database, Document
from scan_station.register import add_entry
from scan_station.system import jobs

pytestmark = [pytest.mark.postgres, pytest.mark.ocr, pytest.mark.scanner, pytest.mark.slow]

KIOSK = Path(__file__).parent / "helpers" / "kiosk_process.py"
PROFILE = "Teks abu-abu 300 dpi, kaca"


def _machine(folder: Path, shared: Path, database_url: str, queue_url: str) -> Path:
    """A kiosk's or worker's home: its own settings file, the shared database, queue and storage."""
    folder.mkdir(parents=True)
    (folder / "scan-station.toml").write_text(
        f'database_url = "{database_url}"\nqueue_url = "{queue_url}"\nstorage_dir = "{shared / "storage"}"\n'
        f'scans_dir = "{shared / "scans"}"\nindex_dir = "{shared / "search-index"}"\n'
        "demo_feeder = true\nocr_workers = 1\n"
    )
    return folder


def _scan_one(settings, db, entry: str) -> BatchFolder:
    fill_demo_feeder(settings, db, [entry], pages=1)
    folder = start_batch(settings, db, device="pnm:0", profile=PROFILE, user="dok")
    scan_pages(settings, folder)
    return folder


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("SCAN_STATION_")}


def test_two_kiosks_and_two_workers_file_six_batches_with_two_rescans_of_one_entry_at_once(
        postgres, redis_url, tmp_path):
    url, shared = postgres(), tmp_path / "shared"
    kiosks = [_machine(tmp_path / f"kiosk-{n}", shared, url, redis_url) for n in (1, 2)]
    workers = [_machine(tmp_path / f"worker-{n}", shared, url, redis_url) for n in (1, 2)]
    settings = load_settings(kiosks[0])
    db = Database(settings)
    with db.session() as s:
        rescanned, *others = [add_entry(s, settings, title=f"Laporan Kegiatan {n}", unit="Subbagian Umum",
                                        category="berkala").id for n in range(5)]
    first = _scan_one(settings, db, rescanned)  # version 1, filed before the rush
    review.confirm(settings, db, first, user="dok")
    jobs.file_batch(settings, first.id)

    running = [subprocess.Popen([sys.executable, "-m", "scan_station", "--home", str(w), "worker", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
               for w in workers]
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in (1, 2)]
    scanning = [subprocess.Popen([sys.executable, str(KIOSK), str(k), str(r), str(go), rescanned, *mine],
                                 stderr=subprocess.PIPE, text=True, env=_env())
                for k, r, mine in zip(kiosks, ready, (others[:2], others[2:]), strict=True)]
    try:
        for worker in running:
            assert json.loads(worker.stdout.readline()) == {"queue": redis_url}
        wait_until(lambda: all(r.exists() for r in ready) or any(k.poll() for k in scanning), 180, "scanning")
        go.touch()  # both kiosks confirm the same entry's re-scan first, at the same moment
        for kiosk in scanning:
            assert kiosk.wait(timeout=60) == 0, kiosk.stderr.read()
        batches = [b for r in ready for b in json.loads(r.read_text())]
        wait_until(lambda: not any((shared / "scans" / b).exists() for b in batches), 300, "filing six batches")
    finally:
        for process in running + scanning:
            process.terminate()
        for process in running + scanning:
            process.wait(timeout=60)

    with db.session() as s:
        versions = s.execute(select(Document.register_id, Document.version, Document.batch_id, Document.batch_pages)
                             .order_by(Document.register_id, Document.version)).all()
        assert [(r, v) for r, v, _b, _p in versions] == [(rescanned, 1), (rescanned, 2), (rescanned, 3)] + [
            (e, 1) for e in others]
        assert sorted(b for _r, _v, b, _p in versions) == sorted([first.id, *batches])  # one document a batch
        assert all(pages == [2] for *_rest, pages in versions)  # every content page is in its document
        v2, v3 = s.scalars(select(Document.filed_at).where(Document.register_id == rescanned, Document.version > 1))
        assert abs((v3 - v2).total_seconds()) < 2, "the two re-scans were not filed at the same time by two workers"
        filed = s.execute(select(Batch.id, Batch.page_count, Batch.status)).all()
        assert sorted(filed) == sorted((b, 2, "filed") for b in [first.id, *batches])
        assert s.scalar(select(func.count()).where(AuditRecord.action == "document.filed")) == 7  # none twice
    assert jobs.make_jobs(settings).queue.pending_count() == 0
    done = cli(kiosks[1], "verify")
    assert done["ok"], done["problems"]
    db.close()


@pytest.mark.parametrize("point", ["ingest.read", "filing.before_commit"])
def test_postgresql_stopped_in_the_middle_of_a_filing_the_job_waits_and_nothing_is_half_recorded(
        own_postgres, point, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "scan-station.toml").write_text(f'database_url = "{own_postgres.new_database()}"\n'
                                            "demo_feeder = true\nocr_workers = 2\n")
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:
        entry = add_entry(s, settings, title="Laporan Kinerja", unit="Umum", category="berkala").id
    folder = _scan_one(settings, db, entry)
    review.confirm(settings, db, folder, user="dok")
    queue = jobs.make_jobs(settings)
    queue.file_batch(folder.id)

    def database_goes(here: str) -> None:
        if here == point:
            own_postgres.stop()

    monkeypatch.setattr(crash_points, "point", database_goes)
    jobs.run_until_empty(queue)
    state = folder.read_state()
    assert state.status == Status.FAILED and state.retry and state.pages == 2, state.error
    monkeypatch.undo()

    own_postgres.start()
    with db.session() as s:  # nothing of the filing was recorded
        assert s.scalars(select(Document)).all() == []
        assert "filed" not in s.scalars(select(Batch.status)).all()  # the raw batch may be kept, not filed
    jobs.requeue_orphans(settings, queue, queued=False)  # the worker's quarter-hourly round
    jobs.run_until_empty(queue)
    assert not folder.path.exists()
    with db.session() as s:
        (document,) = s.scalars(select(Document)).all()
        assert (document.register_id, document.version, document.batch_pages) == (entry, 1, [2])
    done = cli(settings.home, "verify")
    assert done["ok"], done["problems"]
    db.close()
