"""Faults of the world at the worker, on a real small filesystem: storage mounted read-only, then
full. Each time the batch is kept whole and marked to be tried again, and once the disk is
writable and has room, the next round of the worker files it without anybody confirming again."""

from __future__ import annotations

import contextlib
import shutil
import subprocess

import pytest
from sqlalchemy import select

from scan_station.capture import review
from scan_station.capture.batch_folder import BatchFolder, Status
from scan_station.capture.demo import fill_demo_feeder
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.core.config import load_settings
from scan_station.db.database import Database, Document
from scan_station.register import add_entry
from scan_station.system import jobs

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


def _start_scan(client):
    from helpers.kiosk import token

    return client.post("/scan/start",
                       data={"device": "test:0", "profile": "Uji ADF", "csrf_token": token(client, "/scan/")})


def test_the_kiosk_says_when_storage_is_read_only_or_full_and_scans_once_it_is_back(tiny_disk, tmp_path):
    from helpers.kiosk import login, make_app

    from scan_station.capture.profiles import add_profile

    disk = tiny_disk(1024)
    home = tmp_path / "home"
    home.mkdir()
    (home / "scan-station.toml").write_text(f'scans_dir = "{disk}"\n')
    app = make_app(home)
    add_profile(app.extensions["scan_station"]["db"], name="Uji ADF", source="adf", mode="gray", resolution=75,
                page_size="max")
    client = login(app.test_client(), "dok")

    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    refused = _start_scan(client)
    assert refused.status_code == 503
    assert "Penyimpanan penuh atau tidak dapat ditulisi" in refused.get_data(as_text=True)
    subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        for chunk in (65536, 4096, 1):  # to the last byte
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * chunk)
    refused = _start_scan(client)
    assert refused.status_code == 503 and "Penyimpanan penuh" in refused.get_data(as_text=True)
    assert [p.name for p in disk.iterdir()] == ["filler"]  # no batch folder half made
    filler.unlink()
    started = _start_scan(client)
    assert started.status_code == 302 and "/scan/B" in started.headers["Location"]


@pytest.mark.postgres
def test_the_kiosk_says_when_postgresql_is_away_and_works_again_when_it_is_back(own_postgres, tmp_path):
    from helpers.kiosk import PASSWORD, login, make_app, token

    home = tmp_path / "home"
    home.mkdir()
    (home / "scan-station.toml").write_text(f'database_url = "{own_postgres.new_database()}"\n')
    app = make_app(home)
    client = login(app.test_client(), "ppid")
    other = app.test_client()
    csrf = token(other)
    assert client.get("/register/").status_code == 200

    own_postgres.stop()
    for response in (client.get("/register/"), client.get("/search?q=rapat"), client.get("/handover/"),
                     other.post("/login", data={"username": "dok", "password": PASSWORD, "csrf_token": csrf})):
        assert response.status_code == 503, response.request.path
        assert "Basis data tidak dapat dihubungi" in response.get_data(as_text=True)
    own_postgres.start()
    assert client.get("/register/").status_code == 200
