"""Crash consistency: the service is killed (SIGKILL) at each of its kill points
(`scan_station.core.crash_points`) in the life of a two-document batch — while scanning, reviewing,
confirming, and in the worker through the page jobs, OCR, the raw batch, the PDF, the sidecar,
the index, the commit and the cleanup — then started again, as an office would after a power
cut, and left to finish.

Every time: every page scanned is in a filed document or in the batch still pending; nothing
half-written is left in storage; `verify` and `audit verify` are clean; no document is filed
twice; and a job killed in the worker is taken up again by the next worker without anybody
confirming the batch again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from helpers.launcher import Launcher
from sqlalchemy import select

from scan_station.archive.verify import verify
from scan_station.audit import log as audit
from scan_station.core import crash_points
from scan_station.core.config import load_settings
from scan_station.core.storage import TMP_PREFIX
from scan_station.db.database import Batch, Database, Document
from scan_station.pages import samples
from scan_station.papers.cover_sheet import coversheets_pdf
from scan_station.register import add_entry

pytestmark = [pytest.mark.slow, pytest.mark.ocr, pytest.mark.scanner]
DEVICE, PROFILE, DPI = "pnm:0", "Cepat 150 dpi", 150
PAGES = 4  # cover, page, cover, page

#: (kill point, the step it is armed in); `NAME#N` is the Nth time the point is reached.
SCAN_CASES = [
    ("scan.page_read", "scan"), ("scan.page_read#3", "scan"), ("scan.page_file", "scan"),
    ("scan.page_counted#2", "scan"), ("scan.page_classified", "scan"), ("scan.page_classified#4", "scan"),
    ("scan.feeder_empty", "scan"), ("storage.tmp_written#2", "scan"), ("storage.linked", "scan"),
    ("review.saved", "review"), ("review.confirmed", "confirm"),
]
WORKER_CASES = [
    ("ocr.page_job_done", "worker"), ("ocr.page_job_done#2", "worker"),
    ("job.taken", "worker"), ("ingest.read", "worker"), ("ingest.classified", "worker"), ("ingest.split", "worker"),
    ("ocr.submitted", "worker"), ("ocr.page_done", "worker"), ("ocr.page_done#2", "worker"),
    ("ocr.document_done", "worker"), ("storage.tmp_written", "worker"),
    ("raw.files_kept", "worker"), ("raw.manifest_written", "worker"), ("raw.recorded", "worker"),
    ("filing.pdf", "worker"), ("storage.linked#6", "worker"), ("filing.sidecar", "worker"),
    ("filing.pdf#2", "worker"), ("filing.indexed#2", "worker"), ("filing.before_commit", "worker"),
    ("filing.committed", "worker"), ("ingest.filed", "worker"), ("batch.removed", "worker"),
]


#: Every run tries every case (about five minutes on 2 cores); SCAN_STATION_CRASH_CASES=few tries
#: only these two (one while scanning, one in the worker), for a quick look.
FEW = {"scan.page_read#3", "filing.before_commit"}
ALL = os.environ.get("SCAN_STATION_CRASH_CASES") != "few"


def _cases(cases: list[tuple[str, str]]) -> list:
    skip = pytest.mark.skipif(not ALL, reason="SCAN_STATION_CRASH_CASES=few: two kill points only")
    return [pytest.param(*case, id=case[0], marks=() if case[0] in FEW else skip) for case in cases]


_LAUNCHER: list[Launcher] = []


@pytest.fixture(scope="module", autouse=True)
def _launcher():
    """The commands of this module start from one launcher (`helpers.launcher`): real processes,
    killed at their crash points, that need not import the service each."""
    _LAUNCHER.append(Launcher())
    yield
    _LAUNCHER.pop().close()


def _cli(home: Path, *args: str, kill_at: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SCAN_STATION_KILL_AT"}
    if kill_at:
        env["SCAN_STATION_KILL_AT"] = kill_at
    return _LAUNCHER[-1].run(["--home", str(home), *args], env=env, timeout=180)


def _make_home(home: Path, settings_text: str = "") -> Path:
    """A home with two entries and their paper in the demo feeder."""
    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text(f"demo_feeder = true\nocr_workers = 2\n{settings_text}")
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:
        entries = [add_entry(s, settings, title=t, unit="Umum", category="berkala")
                   for t in ("Laporan Keuangan", "Surat Keputusan")]
        covers = samples.cover_page_images(coversheets_pdf(entries), dpi=DPI)
        titles = [e.title for e in entries]
    db.close()
    assert _cli(home, "profiles", "add", PROFILE, "--source", "flatbed", "--mode", "gray", "--resolution",
                str(DPI)).returncode == 0
    feeder = home / "demo-feeder"  # paper at 150 dpi: the kill points, not the OCR, are under test
    feeder.mkdir()
    pages = [p for n, title in enumerate(titles) for p in (covers[n], *samples.document_pages(title, 1, seed=n,
                                                                                               dpi=DPI))]
    for n, image in enumerate(pages, start=1):
        image.convert("L").save(feeder / f"{n:04d}.pnm", format="PPM")
    return home


def _scan_and_confirm(home: Path) -> None:
    """The batch scanned (its pages queued to be read) and confirmed: waiting for a worker."""
    batch = json.loads(_cli(home, "scan", "--device", DEVICE, "--profile", PROFILE, "--no-ingest", "--json").stdout)
    assert _cli(home, "confirm", batch["batch"]).returncode == 0


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return _make_home(tmp_path_factory.mktemp("crash") / "home")


@pytest.fixture(scope="module")
def confirmed(template, tmp_path_factory) -> Path:
    """The same home with the batch scanned and confirmed."""
    home = tmp_path_factory.mktemp("confirmed") / "home"
    shutil.copytree(template, home)
    _scan_and_confirm(home)
    return home


def _batches(home: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((home / "scans").glob("*/.scan.json"))]


def _put_back_uncounted(template: Path, home: Path, batch: dict) -> None:
    """Sheets the scanner read but the killed process did not keep go back into the feeder, as
    the officer does when the kiosk shows the last page kept."""
    original = sorted(p.name for p in (template / "demo-feeder").glob("*.pnm"))
    left = {p.name for p in (home / "demo-feeder").glob("*.pnm")}
    read = [n for n in original if n not in left]
    for name in read[batch["pages"]:]:
        shutil.copyfile(template / "demo-feeder" / name, home / "demo-feeder" / name)


def _assert_whole(home: Path, *, filed: bool) -> None:
    leftovers = [p for p in (home / "storage").rglob("*") if p.name.startswith(TMP_PREFIX)]
    assert leftovers == []
    settings = load_settings(home)
    db = Database(settings)
    try:
        checked = verify(db, settings)
        assert checked["ok"], checked["problems"]
        assert audit.verify_all(settings, db) == []
        with db.session() as s:
            documents = list(s.scalars(select(Document)))
            batches = list(s.scalars(select(Batch)))
    finally:
        db.close()
    if not filed:
        (pending,) = _batches(home)  # every page scanned waits in the batch
        assert pending["pages"] == PAGES and pending["status"] in ("scanned", "queued")
        assert documents == []
        return
    assert _batches(home) == []
    assert sorted((d.register_id, d.version) for d in documents) == [(d.register_id, 1) for d in sorted(
        documents, key=lambda d: d.register_id)] and len(documents) == 2  # each filed once
    (batch,) = batches
    manifests = sorted((home / "storage" / batch.raw_dir).glob("batch*.json"))
    pages = json.loads(manifests[-1].read_text())["pages"]
    assert len(pages) == PAGES  # no page lost
    in_documents = sorted(n for d in documents for n in d.batch_pages)
    covers = [p["page"] for p in pages if p["kind"] == "cover"]
    assert sorted(in_documents + covers) == list(range(1, PAGES + 1))


@pytest.mark.parametrize("kill_at, step", _cases(SCAN_CASES))
def test_a_kill_while_scanning_or_confirming_loses_no_page(template, tmp_path, kill_at, step):
    home = tmp_path / "home"
    shutil.copytree(template, home)
    scan = _cli(home, "scan", "--device", DEVICE, "--profile", PROFILE, "--no-ingest", "--json",
                kill_at=kill_at if step == "scan" else "")
    if step == "scan":
        assert scan.returncode == -signal.SIGKILL, (scan.returncode, scan.stderr)
        (batch,) = _batches(home)
        _put_back_uncounted(template, home, batch)
        resumed = _cli(home, "resume", batch["batch"], "--no-ingest", "--json")
        assert resumed.returncode == 0, resumed.stderr
    (batch,) = _batches(home)
    confirm = _cli(home, "confirm", batch["batch"], kill_at=kill_at if step in ("review", "confirm") else "")
    if step == "review":  # killed before the batch was queued: the officer presses Konfirmasi again
        assert confirm.returncode == -signal.SIGKILL, confirm.stderr
        assert _cli(home, "confirm", batch["batch"]).returncode == 0
    if step == "confirm":  # queued, its job perhaps never sent: the next worker takes it up
        assert confirm.returncode == -signal.SIGKILL, confirm.stderr
    if step in ("review", "confirm"):
        assert _cli(home, "worker", "--until-empty").returncode == 0
        _assert_whole(home, filed=True)
        return
    _assert_whole(home, filed=False)


@pytest.mark.parametrize("kill_at, step", _cases(WORKER_CASES))
def test_a_kill_in_the_worker_is_taken_up_by_the_next_worker(confirmed, tmp_path, kill_at, step):
    home = tmp_path / "home"
    shutil.copytree(confirmed, home)
    killed = _cli(home, "worker", "--until-empty", kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    again = _cli(home, "worker", "--until-empty")  # the office starts the service again; nobody confirms
    assert again.returncode == 0, again.stderr
    _assert_whole(home, filed=True)


#: In the worker, where the database and the queue are written: tried on PostgreSQL and Redis too.
SERVER_CASES = ["ocr.page_job_done", "job.taken", "ocr.page_done", "raw.recorded", "filing.sidecar",
                "filing.indexed#2", "filing.before_commit", "filing.committed", "ingest.filed"]


@pytest.fixture(scope="module")
def confirmed_on_servers(postgres, tmp_path_factory):
    """A home on PostgreSQL and Redis with the batch scanned and confirmed, made once; each case
    takes `_copy_on_servers` of it."""
    from helpers.servers import redis_keys, redis_server

    folder = tmp_path_factory.mktemp("confirmed-on-servers")
    with redis_server(folder) as url:
        database = postgres()
        home = _make_home(folder / "home", f'database_url = "{database}"\nqueue_url = "{url}"\n')
        _scan_and_confirm(home)
        yield home, database, redis_keys(url)  # the page jobs and the filing job, as queued


def _copy_on_servers(made, postgres, redis_url: str, home: Path) -> Path:
    """The made home as it was: its files, its database copied, its queue's jobs on `redis_url`."""
    from helpers.servers import restore_keys

    template, database, jobs = made
    shutil.copytree(template, home)
    settings = (home / "scan-station.toml").read_text().splitlines()
    settings = [line for line in settings if not line.startswith(("database_url", "queue_url"))]
    settings += [f'database_url = "{postgres(template=database)}"', f'queue_url = "{redis_url}"']
    (home / "scan-station.toml").write_text("\n".join(settings) + "\n")
    restore_keys(redis_url, jobs)
    return home


@pytest.mark.postgres
@pytest.mark.parametrize("kill_at", SERVER_CASES)
def test_a_kill_in_a_worker_on_postgresql_and_redis_is_taken_up_by_the_next_worker(confirmed_on_servers, postgres,
                                                                                     redis_url, tmp_path, kill_at):
    """The same, with the database on PostgreSQL and the queue on Redis: what the killed worker
    had taken off the queue is queued again by the next one (from the batches' states)."""
    home = _copy_on_servers(confirmed_on_servers, postgres, redis_url, tmp_path / "home")
    killed = _cli(home, "worker", "--until-empty", kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    again = _cli(home, "worker", "--until-empty")
    assert again.returncode == 0, again.stderr
    _assert_whole(home, filed=True)


def test_there_are_kill_points_enough_and_each_is_tried():
    tried = {name.partition("#")[0] for name, _step in SCAN_CASES + WORKER_CASES}
    assert tried == set(crash_points.POINTS) and len(SCAN_CASES + WORKER_CASES) >= 25
