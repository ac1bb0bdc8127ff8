"""Unggah softcopy at the kiosk: files checked while the officer waits, filed by the job queue,
the outcome on a page of its own in the kiosk's language; nothing lost when filing fails."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from helpers.kiosk import add, login, make_app, run_queued_jobs, token
from test_softcopy import _broken_docx, _pdf_named_docx, text_pdf

from scan_station.core.errors import DiskFullError, StorageError
from scan_station.db.database import Document
from scan_station.filing.uploads import Upload, UploadStatus

pytestmark = [pytest.mark.ocr]


def _hand_over(client, target: str, *paths: Path):
    url = f"/register/{target}/softcopy"
    return client.post(url, data={"files": [(p.open("rb"), p.name) for p in paths], "csrf_token": token(client, url)},
                       content_type="multipart/form-data")


def _documents(app) -> list[tuple[str, int]]:
    with app.extensions["scan_station"]["db"].session() as s:
        return [(d.register_id, d.version) for d in s.query(Document).order_by(Document.id)]


def _upload(app, answer) -> Upload:
    return Upload(app.extensions["scan_station"]["settings"].scans_dir / "softcopies" / answer.location.rsplit("/")[-1])


@pytest.fixture
def kiosk(home):
    app = make_app(home)
    return app, login(app.test_client(), "dok"), add(app, title="Keputusan Ketua")


def test_a_softcopy_is_queued_at_once_and_filed_by_the_worker(kiosk, tmp_path):
    app, client, target = kiosk
    answer = _hand_over(client, target, text_pdf(tmp_path / "keputusan.pdf", ["Keputusan tentang arsip"]))
    assert answer.status_code == 302 and f"/register/{target}/softcopy/" in answer.location
    assert _documents(app) == []  # nothing heavy ran inside the request
    waiting = client.get(answer.location).get_data(as_text=True)
    assert "Menunggu disimpan" in waiting and 'http-equiv="refresh"' in waiting
    assert run_queued_jobs(app) == 1
    assert _documents(app) == [(target, 1)]
    done = client.get(answer.location).get_data(as_text=True)
    assert "versi 1" in done and 'http-equiv="refresh"' not in done
    upload = _upload(app, answer)
    assert upload.read_state().status == UploadStatus.FILED and upload.files() == []  # the files are in storage now


def test_a_refusal_found_by_the_worker_is_shown_in_the_kiosks_language(kiosk, tmp_path):
    app, client, target = kiosk
    answer = _hand_over(client, target, _broken_docx(tmp_path))
    assert answer.status_code == 302  # it looks like a DOCX: only LibreOffice can tell
    run_queued_jobs(app)
    page = client.get(answer.location).get_data(as_text=True)
    assert "tidak dapat dibuka" in page and "Tidak ada yang disimpan" in page
    client.get("/lang/en")
    assert "cannot be opened" in client.get(answer.location).get_data(as_text=True)
    assert _documents(app) == []
    assert not [p for p in (app.extensions["scan_station"]["settings"].scans_dir / "softcopies").rglob("rusak*")]


def test_a_bad_file_is_refused_before_anything_is_queued(kiosk, tmp_path):
    app, client, target = kiosk
    answer = _hand_over(client, target, text_pdf(tmp_path / "baik.pdf", ["Baik"]), _pdf_named_docx(tmp_path))
    assert answer.status_code == 400 and "tetapi isinya PDF" in answer.get_data(as_text=True)
    assert run_queued_jobs(app) == 0
    assert list((app.extensions["scan_station"]["settings"].scans_dir / "softcopies").iterdir()) == []


def test_a_filing_that_fails_keeps_the_files_and_can_be_tried_again(kiosk, tmp_path, monkeypatch):
    import scan_station.filing.uploads as uploads

    app, client, target = kiosk
    answer = _hand_over(client, target, text_pdf(tmp_path / "laporan.pdf", ["Laporan keuangan"]))
    real_submit = uploads.submit

    def full_disk(*args, **kwargs):
        raise DiskFullError("no space left on device: storage", code="disk_full")

    monkeypatch.setattr(uploads, "submit", full_disk)
    run_queued_jobs(app)
    page = client.get(answer.location).get_data(as_text=True)
    assert "Disk penyimpanan penuh" in page and "Coba lagi" in page and _documents(app) == []
    assert "no space left" not in page  # the service's English stays in the log
    monkeypatch.setattr(uploads, "submit", real_submit)
    retry = answer.location + "/retry"
    assert client.post(retry, data={"csrf_token": token(client, answer.location)}).status_code == 302
    assert run_queued_jobs(app) == 1 and _documents(app) == [(target, 1)]
    assert client.post(retry, data={"csrf_token": token(client, answer.location)}).status_code == 302
    assert run_queued_jobs(app) == 0 and _documents(app) == [(target, 1)]  # a second tap queues nothing


def test_a_filing_whose_worker_died_reads_failed_and_keeps_its_files(kiosk, tmp_path):
    app, client, target = kiosk
    answer = _hand_over(client, target, text_pdf(tmp_path / "laporan.pdf", ["Laporan"]))
    upload = _upload(app, answer)
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    upload.transition((UploadStatus.QUEUED,), status=UploadStatus.FILING, owner={"host": socket.gethostname(),
                                                                               "pid": dead})
    assert upload.read_state().status == UploadStatus.FAILED and len(upload.files()) == 1
    assert run_queued_jobs(app) == 1 and _documents(app) == []  # the queued job finds it not waiting
    assert "Coba lagi" in client.get(answer.location).get_data(as_text=True)


def test_a_hand_over_is_seen_only_under_its_own_entry(kiosk, tmp_path):
    app, client, target = kiosk
    other = add(app, title="Lain")
    answer = _hand_over(client, target, text_pdf(tmp_path / "a.pdf", ["A"]))
    upload_id = answer.location.rsplit("/")[-1]
    assert client.get(f"/register/{other}/softcopy/{upload_id}").status_code == 404
    assert client.get(f"/register/{target}/softcopy/..%2F..%2Fetc").status_code == 404
    assert client.get(f"/register/{target}/softcopy/nope").status_code == 404
    assert login(app.test_client(), "atasan").get(answer.location).status_code == 403


def test_the_form_lists_the_entrys_earlier_hand_overs(kiosk, tmp_path):
    app, client, target = kiosk
    answer = _hand_over(client, target, text_pdf(tmp_path / "pertama.pdf", ["Pertama"]))
    run_queued_jobs(app)
    form = client.get(f"/register/{target}/softcopy").get_data(as_text=True)
    assert "Penyerahan sebelumnya" in form and "pertama.pdf" in form and "Tersimpan" in form
    assert answer.location.rsplit("/")[-1] in form


@pytest.mark.parametrize("error", [StorageError("cannot write /srv/storage/x: Input/output error"),
                                   RuntimeError("tesseract said something in English")])
def test_a_filing_that_fails_for_a_reason_without_a_code_says_so_in_the_kiosks_language(kiosk, tmp_path,
                                                                                      monkeypatch, error):
    import scan_station.filing.uploads as uploads

    app, client, target = kiosk
    answer = _hand_over(client, target, text_pdf(tmp_path / "laporan.pdf", ["Laporan keuangan"]))

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(uploads, "submit", failing)
    try:
        run_queued_jobs(app)
    except RuntimeError:
        pass  # not one of ours: the worker logs it, the hand-over keeps it as failed
    page = client.get(answer.location).get_data(as_text=True)
    assert "Softcopy tidak dapat diarsipkan" in page and str(error) not in page
