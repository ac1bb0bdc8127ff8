"""Shared fixtures: a fresh home per test, the CLI run in-process, the shared corpus, and a
report header with the versions of the real tools under test."""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from scan_station.core.config import load_settings
from scan_station.db.database import Database

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SCAN_STATION_CORPUS", REPO.parent / "shared" / "corpus"))
# Real libsane with its `test` (feeder, faults) and `pnm` (scans a given image) backends only;
# set before libsane is first initialised.
SANE_CONFIG = REPO / "scan_station" / "sane-demo"
os.environ["SANE_CONFIG_DIR"] = str(SANE_CONFIG)
# Page OCR results kept across the session (scan_station/ocr/testing_cache.py), inherited by the
# OCR children and the commands the tests run; set it to a folder of your own to keep them
# between sessions, or to "" to read every page afresh.
if "SCAN_STATION_TEST_OCR_CACHE" not in os.environ:
    import tempfile

    os.environ["SCAN_STATION_TEST_OCR_CACHE"] = tempfile.mkdtemp(prefix="scan-station-ocr-cache-")
# What tesseract alone reads on a page the tests made, their yardstick, is kept in tests/reference-ocr/
# (tests/helpers/ocr_quality.py): set it to "" to read those pages without keeping what was read.
os.environ.setdefault("SCAN_STATION_KEEP_REFERENCE_OCR", "1")

# Passwords are hashed with argon2 at its cheapest in the tests (as Django's tests use a fast
# hasher): the kiosk's tests make and log in users by the thousand, and argon2's defaults cost
# 0.1 s each by design. A hash names its own parameters, so a home made here logs in anywhere, and
# the service itself (a `serve` or a command the tests start as a process of its own) keeps the
# defaults. tests/test_users.py checks the defaults.
import flask  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from jinja2 import BytecodeCache  # noqa: E402

from scan_station.accounts import users as _users  # noqa: E402

_users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_users._DUMMY = _users._hasher.hash("not a real password")


class _CompiledTemplates(BytecodeCache):
    """The kiosk's templates compiled once per test process, not once per app: the tests make an app
    for nearly every test, and compiling the templates a test renders was half of its requests'
    time. Jinja finds a template's code by its name and file and checks it against the source."""

    def __init__(self) -> None:
        self.code: dict = {}

    def load_bytecode(self, bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.code


flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": _CompiledTemplates()}

#: A test running longer than this is stuck. python-sane can block inside libsane with the GIL
#: held, where no Python timeout fires; faulthandler's watchdog is C and fires anyway: it dumps
#: every thread's stack and ends the worker process, which pytest-xdist reports as a failed test
#: (and replaces) instead of the whole run hanging. The slowest test takes under two minutes.
STUCK_SECONDS = 600


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    watched = bool(os.environ.get("PYTEST_XDIST_WORKER"))
    if watched:
        faulthandler.dump_traceback_later(STUCK_SECONDS, exit=True)
    try:
        yield
    finally:
        if watched:
            faulthandler.cancel_dump_traceback_later()


class _BorrowedPool(contextlib.AbstractContextManager):
    """What `ingest` takes for `OcrPool(workers)` in the tests: this test process's shared pool
    (`ocr.pool.shared_pool`), left running at the end, unless the test changed the environment
    the children would inherit (another PATH, no language pack): then a pool of its own, as in use."""

    def __init__(self, workers: int):
        from scan_station.ocr import pool

        same = _environ() == _SESSION_ENVIRON
        self._own = None if same else pool.OcrPool(workers)
        self._pool = self._own or pool.shared_pool(workers)

    def __enter__(self):
        return self._pool

    def __exit__(self, *exc):
        if self._own is not None:
            self._own.shutdown()


_SESSION_ENVIRON: dict[str, str] = {}


def _environ() -> dict[str, str]:
    """What OCR children would inherit, less what pytest itself changes for every test (it names
    the running test in PYTEST_CURRENT_TEST: compared as it is, no two tests' environments match)."""
    return {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}


@pytest.fixture(autouse=True, scope="session")
def one_ocr_pool():
    """One pool of OCR children per test process for every ingest a test runs in-process (itself
    or through a command), instead of children started and loaded for each. A test about the pool
    itself uses `OcrPool`, which is not touched; commands the tests start as processes of their
    own start their own children, as in use."""
    import cv2  # noqa: F401 - on import it adds its libraries to LD_LIBRARY_PATH: the baseline has it

    from scan_station.filing import ingest
    from scan_station.ocr import pool

    _SESSION_ENVIRON.update(_environ())
    patch = pytest.MonkeyPatch()
    patch.setattr(ingest, "OcrPool", _BorrowedPool)
    yield
    patch.undo()
    pool.shutdown_shared()


@pytest.fixture(autouse=True, scope="session")
def one_migration(tmp_path_factory):
    """A new, empty SQLite database is given the schema by a copy of one the migrations made once
    in this test process (SQLite's backup, a few milliseconds), not by running all the migrations
    again (tens of milliseconds, for the hundreds of homes the tests make) — as the PostgreSQL
    fixture copies a migrated template. Any other database (PostgreSQL, one not empty, one that
    cannot be read) is migrated as in use; commands the tests start as processes of their own
    migrate as in use too."""
    import sqlite3

    from sqlalchemy import text

    from scan_station.db import database

    migrated = tmp_path_factory.mktemp("migrated") / "template.db"
    real = database.migrate
    engine = database.make_engine(f"sqlite:///{migrated}")
    real(engine)
    engine.dispose()
    template = sqlite3.connect(migrated, check_same_thread=False)  # only read: a kiosk's threads may copy it

    def migrate(engine) -> None:
        if engine.dialect.name == "sqlite":
            try:
                with engine.connect() as connection:
                    if connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar() == 0:
                        template.backup(connection.connection.driver_connection)
                        return
            except Exception:  # noqa: BLE001 - whatever it is, the migrations say it as in use
                pass
        real(engine)

    patch = pytest.MonkeyPatch()
    patch.setattr(database, "migrate", migrate)
    yield
    patch.undo()
    template.close()


def pytest_collection_modifyitems(config, items):
    """The longest test files first (tests/durations.json, from a measured run; see
    scripts/test_durations.py), each file's tests in their own order: pytest-xdist's `loadfile`
    gives each worker whole files as it asks, so the long ones start at once and short ones fill
    the end, and no worker is left alone with a long file while the other has finished."""
    durations = json.loads((Path(__file__).with_name("durations.json")).read_text())
    order = {name: n for n, name in enumerate(sorted(durations, key=lambda name: -durations[name]))}
    items.sort(key=lambda item: order.get(item.path.name, len(order)))


def pytest_collection_finish(session):
    """What collecting made (the test modules, their parameters, every library they loaded) lives as
    long as the process: frozen out of the cycle collector's sight, and its youngest generation
    collected less often (5-8 % of the kiosk tests' time). Nothing a test sees changes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def pytest_report_header(config):
    import sane

    from scan_station._exec import tool_versions

    versions = tool_versions()
    sane_version = ".".join(map(str, sane.init()[1:]))
    return [
        f"tesseract {versions['tesseract']}, zbar {versions['zbar']}, libsane {sane_version}, "
        f"ocrmypdf {versions['ocrmypdf']}, pikepdf {versions['pikepdf']} (qpdf {versions['qpdf']})",
        f"corpus: {CORPUS}{'' if CORPUS.is_dir() else ' (MISSING)'}",
    ]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path):
    return load_settings(home, ocr_workers=2)


@pytest.fixture
def db(settings):
    database = Database(settings)
    yield database
    database.close()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run(home: Path):
    """Run `scan-station --home HOME ARGS...` in-process; returns exit code, stdout, stderr."""
    from scan_station.cli import main

    def invoke(*args: object) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--home", str(home), *map(str, args)])
        return Result(code, out.getvalue(), err.getvalue())

    return invoke


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS} (set SCAN_STATION_CORPUS)")
    return CORPUS


@pytest.fixture(scope="session")
def manifest(corpus: Path) -> dict[str, dict]:
    data = json.loads((corpus / "MANIFEST.json").read_text())
    return {f["path"]: f for f in data["files"]}


@pytest.fixture
def demo(home):
    """(settings, database) of a home whose scanner is the demo feeder (real libsane, pnm backend)."""
    settings = load_settings(home, ocr_workers=2, demo_feeder=True)
    database = Database(settings)
    yield settings, database
    database.close()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server of the test session's own (see tests/helpers/servers.py); returns a
    function that makes a new database and gives its SQLAlchemy URL: empty, or with
    `template=URL` a copy of that one."""
    from helpers.servers import PostgresServer

    server = PostgresServer(port=5433)
    server.start()
    yield server.new_database
    server.remove()


@pytest.fixture
def own_postgres():
    """A PostgreSQL server for one test alone, which it may stop and start again."""
    from helpers.servers import PostgresServer

    server = PostgresServer(port=5434)
    server.start()
    yield server
    server.remove()


@pytest.fixture
def redis_url(tmp_path):
    """A real Redis server on loopback, as a bigger office would share between machines."""
    from helpers.servers import redis_server

    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def tiny_disk(tmp_path):
    """A real filesystem of a few MB (tmpfs); needs root to mount."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()

    def mount(size_kb: int) -> Path:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        return mount_point

    yield mount
    while subprocess.run(["umount", str(mount_point)], capture_output=True).returncode == 0:
        pass  # a test that mounted twice (a smaller disk over the first) leaves two
    subprocess.run(["umount", "--lazy", str(mount_point)], capture_output=True)  # one a process still holds


@pytest.fixture(scope="session")
def lived_in_template(tmp_path_factory):
    """A home folder after real work (see tests/helpers/lived_in.py), made once per test run: under
    pytest-xdist, the first worker to need it makes it and the others wait for it and read it."""
    import fcntl

    from helpers.lived_in import LivedIn, build

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        base = tmp_path_factory.mktemp("lived-in")
        return build(base / "home", base)
    shared = tmp_path_factory.getbasetemp().parent / "lived-in"  # the run's folder, above each worker's
    with shared.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "made.json").is_file():
            shutil.rmtree(shared, ignore_errors=True)  # a worker that died half-way
            shared.mkdir()
            build(shared / "home", shared).save(shared / "made.json")
        return LivedIn.load(shared / "made.json")


@pytest.fixture
def lived_in(lived_in_template, tmp_path):
    """A copy of the lived-in home of one's own, to change at will."""
    return lived_in_template.copy_to(tmp_path / "lived-in-home")


@pytest.fixture
def no_indonesian(tmp_path, monkeypatch):
    """A tessdata folder with English and osd but no Indonesian, as a machine missing tesseract-ocr-ind has."""
    import shutil

    from scan_station._exec import tesseract

    system = next(p for p in Path("/usr/share/tesseract-ocr").glob("*/tessdata") if (p / "eng.traineddata").is_file())
    tessdata = tmp_path / "tessdata"
    tessdata.mkdir()
    for name in ("eng.traineddata", "osd.traineddata"):
        shutil.copy(system / name, tessdata / name)
    monkeypatch.setenv("TESSDATA_PREFIX", str(tessdata))
    tesseract._list_langs.cache_clear()
    yield tessdata
    tesseract._list_langs.cache_clear()
