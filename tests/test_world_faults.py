"""Faults of the world at the worker, on a real small filesystem: storage mounted read-only, then
full. Each time the batch is kept whole and marked to be tried again, and once the disk is
writable and has room, the next round of the worker files it without anybody confirming again."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select

from scan_station import jobs, review
from scan_station.batchfolder import BatchFolder, Status
from scan_station.config import load_settings
from scan_station.db import Database, Document
from scan_station.demo import fill_demo_feeder
from scan_station.register import add_entry
from scan_station.scanning import scan_pages, start_batch

pytestmark = [pytest.mark.needs_root, pytest.mark.ocr, pytest.mark.scanner, pytest.mark.slow]


def _round(settings) -> None:
    """What a worker does every quarter of an hour, then its queue."""
    queue = jobs.make_jobs(settings)
    jobs.requeue_orphans(settings, queue, queued=False)
    jobs.run_until_empty(queue)


def test_read_only_then_full_storage_keeps_the_batch_and_filing_resumes(tiny_disk, tmp_path):
    disk = tiny_disk(24 * 1024)
    settings = load_settings(tmp_path / "home", storage_dir=str(disk), demo_feeder=True, ocr_workers=2)
    db = Database(settings)
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Laporan Kinerja", unit="Umum", category="berkala").id
    fill_demo_feeder(settings, db, [entry_id], pages=1)
    folder = start_batch(settings, db, device="pnm:0", profile="Teks abu-abu 300 dpi, kaca", user="dok")
    scan_pages(settings, folder)
    review.confirm(settings, db, folder, user="dok")
    queue = jobs.make_jobs(settings)
    queue.file_batch(folder.id)

    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    jobs.run_until_empty(queue)
    state = BatchFolder(folder.path).read_state()
    assert state.status == Status.FAILED and state.retry and state.pages == 2, state.error
    _round(settings)  # still read-only: tried again, kept again
    assert BatchFolder(folder.path).read_state().retry

    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(disk).free - 20_000))
    _round(settings)
    state = BatchFolder(folder.path).read_state()
    assert state.status == Status.FAILED and state.retry and "full" in state.error
    with db.session() as s:
        assert s.scalars(select(Document)).all() == []  # nothing filed half-way

    filler.unlink()  # space is back
    _round(settings)
    assert not folder.path.exists()  # filed: the batch folder went
    with db.session() as s:
        (document,) = s.scalars(select(Document)).all()
        assert (document.register_id, document.version, document.batch_pages) == (entry_id, 1, [2])
    db.close()
