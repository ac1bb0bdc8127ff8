"""Pages read while they are scanned (`page_jobs`): each content page becomes a job as soon as it is
classified; *Konfirmasi* then only assembles and files — a page the officer turned is read again,
nothing else is — and a batch whose pages were never read (the queue was away) is filed all the
same. Real libsane (the demo feeder drives the pnm backend), tesseract and a huey worker."""

from __future__ import annotations

import json

import pikepdf
import pytest
from sqlalchemy import select

from scan_station.capture import review
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.page_jobs import queue_page, queue_pages
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.db.database import Document
from scan_station.ocr import pool as ocr_pool
from scan_station.register import add_entry
from scan_station.system import jobs

pytestmark = [pytest.mark.scanner, pytest.mark.ocr, pytest.mark.slow]


@pytest.fixture
def submitted(monkeypatch) -> list:
    """The page jobs the filing itself sends to the OCR children (results it could not reuse)."""
    sent = []
    original = ocr_pool.OcrPool._submit

    def counting(pool, function, job):
        if hasattr(job, "number"):  # a page (not a child warming up)
            sent.append(job.number)
        return original(pool, function, job)

    monkeypatch.setattr(ocr_pool.OcrPool, "_submit", counting)
    return sent


def _scan(settings, db, queue):
    with db.session() as s:
        ids = [add_entry(s, settings, title=t, unit="Umum", category="berkala").id
               for t in ("Laporan Kegiatan", "Surat Keputusan")]
    fill_demo_feeder(settings, db, ids, pages=2)
    folder = start_batch(settings, db, device="pnm:0", profile="Teks abu-abu 300 dpi, kaca", user="dok")
    scan_pages(settings, folder, on_page=queue_pages(queue, folder.id) if queue else None)
    return folder, ids


def _results(folder) -> dict[int, dict]:
    return {int(p.parent.name[5:]): json.loads(p.read_text()) for p in folder.ocr_dir.glob("page-*/result.json")}


def test_pages_are_read_while_scanning_and_confirm_only_assembles_what_was_not_turned(demo, submitted):
    settings, db = demo
    queue = jobs.make_jobs(settings)
    folder, (a, b) = _scan(settings, db, queue)  # pages: cover a, 2, 3, cover b, 5, 6
    assert jobs.run_until_empty(queue) == 4  # one page job per content page, nothing else queued
    read = _results(folder)
    assert sorted(read) == [2, 3, 5, 6] and all(r["text"].strip() for r in read.values())
    sent_while_scanning = list(submitted)

    plan, _pages = review.load(settings, db, folder)
    review.rotate(plan, 5)
    review.save(folder, plan)  # the officer turned page 5; its page job is not run yet
    review.confirm(settings, db, folder, user="dok")
    queue.file_batch(folder.id)
    jobs.run_until_empty(queue)
    assert not folder.path.exists()
    assert submitted[len(sent_while_scanning):] == [5]  # only the turned page was read again

    with db.session() as s:
        documents = {d.register_id: d for d in s.scalars(select(Document))}
    assert documents[a].batch_pages == [2, 3] and documents[b].batch_pages == [5, 6]
    with pikepdf.open(settings.storage_dir / documents[b].path) as pdf:
        width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert width > height  # page 5 was turned a quarter: a portrait page lies on its side now


def test_a_batch_whose_pages_were_never_read_is_read_when_filed(demo, submitted):
    settings, db = demo
    folder, (a, b) = _scan(settings, db, None)  # no queue: no page jobs
    assert not folder.ocr_dir.exists()
    review.confirm(settings, db, folder, user="dok")
    queue = jobs.make_jobs(settings)
    queue.file_batch(folder.id)
    assert jobs.run_until_empty(queue) == 1
    assert sorted(submitted) == [2, 3, 5, 6] and not folder.path.exists()


def test_a_page_job_for_a_page_not_to_be_filed_or_a_batch_gone_does_nothing(demo):
    settings, db = demo
    queue = jobs.make_jobs(settings)
    folder, _ids = _scan(settings, db, None)
    for page in (1, 4, 99):  # two covers, and a page that is not there
        queue_page(queue, folder.id, page)
    queue_page(queue, "B20990101-000000-FFFF", 2)
    assert jobs.run_until_empty(queue) == 4
    assert not folder.ocr_dir.exists()
