"""Exit codes keep their promises at the edges: an error of ours raised in an OCR child, settings
that cannot work (a queue URL, a home that is a file), text that is not UTF-8 on the command
line, and an output that cannot take what a command prints."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest

from scan_station.core.config import load_settings
from scan_station.core.errors import ConfigError, ExitCode, MissingDependencyError, OcrError
from scan_station.ocr.pool import OcrPool

REPO = Path(__file__).resolve().parents[1]


def _failed(exc: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


def assert_one_line(result, code: int, text: str) -> None:
    assert result.code == code, (result.code, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and text in result.stderr, result.stderr


# -- (a) errors of ours from the OCR children ---------------------------------------------------------


def test_the_ocr_pool_raises_an_error_of_ours_as_it_is():
    missing = MissingDependencyError("tesseract has no language pack for ind; apt-get install tesseract-ocr-ind")
    with pytest.raises(MissingDependencyError) as info:
        OcrPool.collect({"doc-1": _failed(missing)})
    assert info.value is missing


def test_the_ocr_pool_wraps_only_what_is_not_ours():
    with pytest.raises(OcrError, match="OCR failed: RuntimeError: boom"):
        OcrPool.collect({"doc-1": _failed(RuntimeError("boom"))})


def test_what_c_libraries_write_in_an_ocr_child_does_not_reach_the_users_terminal():
    """Leptonica writes "Error in boxClipToRectangle: box outside rectangle" straight to fd 2 on
    some noisy pages; the page is read all the same and its verdict says what a person needs."""
    script = ("import functools, os\n"
              "from scan_station.ocr.pool import OcrPool\n"
              "with OcrPool(1) as pool:\n"
              "    print(pool._submit(functools.partial(os.write, 2), b'Error in boxClipToRectangle\\n').result())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "28", done.stderr
    assert "Error in" not in done.stderr


@pytest.mark.ocr
@pytest.mark.slow
def test_demo_without_a_language_pack_at_ocr_time_exits_6_not_7(run, no_indonesian, monkeypatch):
    from scan_station.system import doctor

    monkeypatch.setattr(doctor, "require", lambda _work, _settings: None)  # as if the pack went missing since
    result = run("demo", "--documents", "1")
    assert result.code == ExitCode.missing_dependency, result.stderr
    assert "ind" in result.stderr and "Traceback" not in result.stderr


# -- (b) queue_url -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, problem", [
    ("http://localhost:6379/0", "is not a Redis URL: it must begin with redis://, rediss:// or unix://"),
    ("localhost:6379", "is not a Redis URL"),
    ("redis://localhost:port/0", "cannot be read as a URL"),
    ("redis://localhost:99999/0", "cannot be read as a URL"),
    ("redis://[::1/0", "cannot be read as a URL"),
    ("redis://localhost:6379/nol", "has database 'nol'; use a number"),
    ("redis://local host:6379/0", "has spaces or control characters"),
    ("unix://", "names no socket"),
])
def test_a_queue_url_that_is_no_redis_url_is_refused_when_settings_load(home, url, problem):
    with pytest.raises(ConfigError) as info:
        load_settings(home, queue_url=url)
    message = str(info.value)
    assert message.startswith("setting queue_url: ") and problem in message
    assert "e.g. queue_url = 'redis://localhost:6379/0', or leave it empty" in message


@pytest.mark.parametrize("url", ["", "redis://localhost:6379/0", "rediss://:rahasia@redis.kpu.example:6380/1",
                                 "unix:///run/redis/redis.sock", "redis://"])
def test_redis_urls_load(home, url):
    assert load_settings(home, queue_url=url).queue_url == url


def test_a_refused_queue_url_never_shows_its_password(run, monkeypatch):
    monkeypatch.setenv("SCAN_STATION_QUEUE_URL", "redis://:rahasia@localhost:port/0")
    result = run("register", "list")
    assert_one_line(result, ExitCode.config, "setting queue_url: 'redis://:***@localhost:port/0'")
    assert "rahasia" not in result.stderr


# -- (c) --home that is no folder ------------------------------------------------------------------------


def test_home_that_is_a_file_is_exit_9_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "scan_station", "--home", "/etc/passwd", "register", "list"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == ExitCode.config and done.stdout == ""
    assert done.stderr.strip() == ("scan-station: error: --home /etc/passwd is a file, not a folder; "
                                   "choose a folder")


def test_home_from_the_environment_that_is_a_device_is_named_so(tmp_path):
    env = {**os.environ, "SCAN_STATION_HOME": "/dev/null"}
    done = subprocess.run([sys.executable, "-m", "scan_station", "register", "list"], capture_output=True,
                          text=True, cwd=REPO, env=env)
    assert done.returncode == ExitCode.config
    assert done.stderr.strip() == "scan-station: error: SCAN_STATION_HOME /dev/null is not a folder; choose a folder"


# -- (d) text on the command line that is not UTF-8 ----------------------------------------------------------


@pytest.mark.parametrize("args, name", [
    (["register", "add", "--title", "Laporan \udcff", "--unit", "U", "--category", "berkala"], "--title"),
    (["register", "add", "--title", "T", "--unit", "Subbagian \udcc3(", "--category", "berkala"], "--unit"),
    (["coversheet", "PPID-\udcff", "-o", "x.pdf"], "IDS"),
    (["search", "\udcfe"], "QUERY"),
    (["user", "add", "\udcff", "--role", "admin", "--password", "x"], "USERNAME"),
])
def test_text_that_is_not_utf8_is_one_line_with_exit_2(run, args, name):
    assert_one_line(run(*args), ExitCode.bad_args, f"{name} holds byte 0x")


def test_undecodable_bytes_from_a_real_terminal_are_exit_2(home):
    done = subprocess.run([sys.executable, "-m", "scan_station", "--home", str(home), "register", "add",
                           "--title", b"Laporan \xff", "--unit", "U", "--category", "berkala"],
                          capture_output=True, cwd=REPO)
    assert done.returncode == ExitCode.bad_args and done.stdout == b""
    assert done.stderr.strip() == (b"scan-station: error: --title holds byte 0xFF, not UTF-8 text; type it again "
                                   b"with the terminal set to UTF-8 (e.g. LANG=C.UTF-8)")


def test_the_register_refuses_such_text_whichever_way_it_comes(db, settings):
    from scan_station.core.errors import RegisterError
    from scan_station.register import add_entry

    with pytest.raises(RegisterError, match=r"title \(Judul Informasi\) holds bytes that are not UTF-8"), \
            db.session() as s:
        add_entry(s, settings, title="\udcff", unit="U", category="berkala")


def test_a_file_name_that_is_not_utf8_is_still_a_file_name(run, tmp_path):
    result = run("ingest", tmp_path / "scan-\udcff.pdf")
    assert_one_line(result, ExitCode.input_file, "no such file")


# -- (e) an output that cannot take it -------------------------------------------------------------------------


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scan_station", "--home", str(home), *args], cwd=REPO,
                          capture_output=True, text=True)


@pytest.fixture
def registered(home) -> Path:
    done = _cli(home, "register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala")
    assert done.returncode == 0, done.stderr
    return home


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_full_disk_on_stdout_is_one_line_with_exit_5(registered, as_json):
    with Path("/dev/full").open("w") as full:
        done = subprocess.run([sys.executable, "-m", "scan_station", "--home", str(registered), "register", "list",
                               *(["--json"] if as_json else [])], stdout=full, stderr=subprocess.PIPE, text=True,
                              cwd=REPO)
    assert done.returncode == ExitCode.storage
    assert done.stderr.strip() == ("scan-station: error: cannot write to standard output (No space left on device); "
                                   "send the output to a file on a disk with room, or to the terminal")


def test_a_closed_stdout_is_one_line_with_exit_5(registered):
    done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "scan_station", "--home",
                           str(registered), "register", "list"], stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert done.returncode == ExitCode.storage
    assert done.stderr.strip() == ("scan-station: error: standard output is closed; run the command with its output "
                                   "going to a file or the terminal")


def test_a_pipe_closed_by_its_reader_stops_quietly(registered):
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head -1` does once it has its line
    try:
        done = subprocess.run([sys.executable, "-m", "scan_station", "--home", str(registered), "register", "list"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=REPO)
    finally:
        os.close(write_end)
    assert done.returncode == ExitCode.output_closed == 141
    assert done.stderr == ""
