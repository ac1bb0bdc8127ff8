"""Shared fixtures: a fresh home per test, the CLI run in-process, the shared corpus, and a
report header with the versions of the real tools under test."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from scan_station.config import load_settings
from scan_station.db import Database

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SCAN_STATION_CORPUS", REPO.parent / "shared" / "corpus"))
# Real libsane with its `test` (feeder, faults) and `pnm` (scans a given image) backends only;
# set before libsane is first initialised.
SANE_CONFIG = REPO / "scan_station" / "sane-demo"
os.environ["SANE_CONFIG_DIR"] = str(SANE_CONFIG)


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


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server of the test session's own (initdb in a temporary folder, run as the
    `postgres` user, on a Unix socket only); returns a function that makes a new, empty database
    and gives its SQLAlchemy URL."""
    import pwd
    import shutil
    import subprocess
    import tempfile

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is missing; run: bash scripts/setup.sh --test")
    bin_dir = found[-1].parent
    user = pwd.getpwnam("postgres")
    folder = Path(tempfile.mkdtemp(prefix="scan-station-pg-"))
    os.chown(folder, user.pw_uid, user.pw_gid)

    def as_postgres(*args):
        subprocess.run(
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *map(str, args)],
            check=True,
            capture_output=True,
            cwd=folder,
        )

    as_postgres(bin_dir / "initdb", "-D", folder / "data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
    as_postgres(
        bin_dir / "pg_ctl",
        "-D",
        folder / "data",
        "-l",
        folder / "log",
        "-w",
        "start",
        "-o",
        f"-k {folder} -c listen_addresses='' -c fsync=off -p 5433",
    )
    counter = iter(range(1, 1000))

    def new_database() -> str:
        import psycopg

        name = f"scan_{next(counter)}"
        with psycopg.connect(host=str(folder), port=5433, user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={folder}&port=5433"

    yield new_database
    as_postgres(bin_dir / "pg_ctl", "-D", folder / "data", "-m", "immediate", "stop")
    shutil.rmtree(folder, ignore_errors=True)


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
    subprocess.run(["umount", str(mount_point)], capture_output=True)


@pytest.fixture(scope="session")
def lived_in_template(tmp_path_factory):
    """A home folder after real work (see tests/lived_in.py), made once per session."""
    from lived_in import build

    base = tmp_path_factory.mktemp("lived-in")
    return build(base / "home", base)


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
    tesseract._languages.cache_clear()
    yield tessdata
    tesseract._languages.cache_clear()
