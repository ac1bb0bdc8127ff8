"""The CLI contract: --json prints exactly one JSON value; errors go to stderr with a non-zero exit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scan_station.cli import cli
from scan_station.core.errors import ExitCode


def test_every_command_takes_json():
    def walk(group, prefix=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, prefix + (name,))
            else:
                yield prefix + (name,), command

    cli.load_plugins()  # the kiosk's `serve` too
    for path, command in walk(cli):
        assert "--json" in {o for p in command.params for o in p.opts}, path


def test_json_output_is_one_value_per_command(run, tmp_path):
    added = run("register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala", "--json")
    entry_id = added.json["id"]
    outputs = [
        added,
        run("register", "list", "--json"),
        run("register", "export", "--json"),
        run("coversheet", entry_id, "-o", tmp_path / "c.pdf", "--json"),
        run("search", "laporan", "--json"),
        run("verify", "--json"),
    ]
    csv_file = tmp_path / "dip.csv"
    csv_file.write_text(run("register", "export").stdout)
    outputs.append(run("register", "import", csv_file, "--json"))
    for result in outputs:
        assert result.code == 0, result.stderr
        json.loads(result.stdout)  # exactly one value: json.loads refuses trailing data


def test_errors_go_to_stderr_with_a_non_zero_exit(run):
    result = run("register", "add", "--title", "X", "--unit", "U", "--category", "rahasia", "--json")
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("scan-station: error: category 'rahasia'")


def test_usage_errors_exit_2(run):
    assert run("ingest").code == 2
    assert run("no-such-command").code == 2


def test_console_script_runs(tmp_path):
    done = subprocess.run([sys.executable, "-m", "scan_station", "--home", str(tmp_path), "--version"],
                          capture_output=True, text=True, check=True)
    assert "scan-station" in done.stdout


@pytest.mark.ocr
@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(run, home):
    result = run("demo", "--documents", "2", "--json")
    assert result.code == 0, result.stderr
    data = result.json
    assert len(data["ingest"]["documents"]) == 2
    assert data["ingest"]["blank_pages"] and data["search"]["hits"]
    assert all((home / d["path"]).is_file() for d in data["ingest"]["documents"])


def test_report_for_a_month(run):
    assert run("report", "--month", "2026-13").code == 2
    data = run("report", "--month", "2026-11", "--json").json
    assert data["month"] == "2026-11" and data["total"]["filed"] == 0 and data["units"] == []
    assert run("report", "--csv").stdout.splitlines()[0] == "Unit,Disimpan,Halaman,Diterima,Dikembalikan,Menunggu"


def assert_one_line_error(result, code: int, *words: str) -> None:
    assert result.code == code, (result.code, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scan-station: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1899-12", "10000-01"])
def test_report_refuses_months_a_date_cannot_hold(run, month):
    assert_one_line_error(run("report", "--month", month, "--json"), 2, month)


def _invoke(*args: object):
    import contextlib
    import io

    from conftest import Result

    from scan_station.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*map(str, args)])
    return Result(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("home", ["/proc/1/x", "/sys/x", "/dev/null"])
def test_an_unusable_home_folder_is_one_line(home):
    assert_one_line_error(_invoke("--home", home, "register", "list", "--json"), ExitCode.config, home)


def _config(home, text: str | bytes) -> None:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "scan-station.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


@pytest.mark.parametrize(
    "config, words",
    [
        (b"ocr_workers = 2\n# Kantor \xff\xfe\n", ["scan-station.toml", "UTF-8"]),
        ("ocr_workers = [2\n", ["not valid TOML"]),
        ("warna = 'merah'\n", ["unknown setting", "warna"]),
        ('database_url = "nonsense://x"\n', ["database_url", "nonsense://x"]),
        ('database_url = "sqlite:////nonexistent-folder/x.db"\n', ["database_url", "cannot open"]),
        ('database_url = "postgresql+psycopg://kpu:rahasia@127.0.0.1:1/x"\n', ["database_url", "cannot open"]),
        ("classify_dpi = 0\n", ["classify_dpi", "50 to 600"]),
        ("default_image_dpi = 5000\n", ["default_image_dpi", "50 to 1200"]),
        ("ocr_workers = -1\n", ["ocr_workers", "0 to 64"]),
        ("ocr_workers = 2.5\n", ["ocr_workers", "whole number"]),
        ("ocr_workers = true\n", ["ocr_workers"]),
        ("max_image_megapixels = 0\n", ["max_image_megapixels", "1 to 1000"]),
        ("max_image_megapixels = nan\n", ["max_image_megapixels"]),
        ("max_image_megapixels = inf\n", ["max_image_megapixels"]),
        (
            "blank_ink_ratio = 0.0002\n",
            ["blank_ink_ratio", "unknown setting"],
        ),  # gone: blank pages are judged by their marks
        ("demo_feeder = 'kadang'\n", ["demo_feeder", "boolean"]),
    ],
)
def test_an_unusable_config_is_one_line_with_exit_9(run, home, config, words):
    _config(home, config)
    result = run("register", "list", "--json")
    assert_one_line_error(result, ExitCode.config, *words)
    assert "rahasia" not in result.stderr  # a password in database_url is never printed


def test_a_setting_from_the_environment_is_checked_too(run, monkeypatch):
    monkeypatch.setenv("SCAN_STATION_CLASSIFY_DPI", "0")
    assert_one_line_error(run("register", "list", "--json"), ExitCode.config, "classify_dpi")


@pytest.mark.parametrize("setting", ["storage_dir", "work_dir", "scans_dir"])
def test_a_folder_setting_that_is_a_file_is_one_line(run, home, tmp_path, setting):
    existing = tmp_path / "a-file"
    existing.write_text("x")
    _config(home, f'{setting} = "{existing}"\n')
    assert_one_line_error(run("register", "list", "--json"), ExitCode.config, setting, "not a folder")


def test_an_unexpected_exception_is_one_line_with_exit_15(run, monkeypatch):
    import scan_station.register

    def broken(_session):
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setattr(scan_station.register, "list_entries", broken)
    monkeypatch.delenv("SCAN_STATION_DEBUG", raising=False)
    plain = run("register", "export", "--json")  # `register list` reads SQLite without `list_entries`
    assert_one_line_error(plain, ExitCode.other, "RuntimeError", "something nobody expected", "--debug")
    debug = run("--debug", "register", "export", "--json")
    assert debug.code == ExitCode.other and "Traceback" in debug.stderr and "RuntimeError" in debug.stderr
    monkeypatch.setenv("SCAN_STATION_DEBUG", "1")
    debug = run("register", "export", "--json")
    assert debug.code == ExitCode.other and "Traceback" in debug.stderr and "RuntimeError" in debug.stderr


def test_import_of_a_file_that_is_not_utf8_exits_3(run, tmp_path):
    legacy = tmp_path / "dip.csv"
    legacy.write_bytes(
        "Judul Informasi;Pejabat/Unit yang Menguasai Informasi;Kategori Informasi\n"
        "Peraturan Daerah Tangerang ’25;Bagian Hukum;berkala\n".encode("cp1252")
    )
    assert_one_line_error(run("register", "import", legacy, "--json"), ExitCode.input_file, "CSV UTF-8")


def test_import_of_a_named_pipe_is_refused_without_waiting(run, tmp_path):
    fifo = tmp_path / "dip.csv"
    os.mkfifo(fifo)
    assert_one_line_error(run("register", "import", fifo, "--json"), ExitCode.input_file, "not a regular file")


def test_the_readme_exit_code_table_is_the_code():
    """Every exit code the program can give is in docs/configuration.md's table, and the table has no others."""
    readme = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    table = readme.split("| exit | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = {int(line.split("|")[1]) for line in table.splitlines() if line.startswith("| ") and
                  line.split("|")[1].strip().isdigit()}
    assert documented == {int(code) for code in ExitCode} - {1}  # 1 is never used (Python's own)


def test_doctor_on_this_machine_finds_everything(run):
    result = run("doctor", "--json")
    assert result.code == 0, result.stdout
    probes = {p["name"]: p for p in result.json["probes"]}
    assert set(probes) == {"tesseract", "libtesseract", "ocrmypdf", "ghostscript", "zbar", "zxing-cpp", "sane",
                           "libreoffice", "bubblewrap", "public_base_url", "database", "folders"}
    assert all(p["ok"] for p in probes.values())
    assert "ind" in probes["tesseract"]["detail"] and "osd" in probes["tesseract"]["detail"]


def test_doctor_names_the_missing_language_pack_and_its_fix(run, no_indonesian):
    result = run("doctor")
    assert result.code == ExitCode.missing_dependency
    line = next(line for line in result.stdout.splitlines() if line.startswith("tesseract"))
    assert "MISSING" in line and "ind" in line and "apt-get install tesseract-ocr-ind" in line
    assert "apt-get install tesseract-ocr-eng" not in result.stdout


def test_ingest_without_a_language_pack_stops_before_any_work(run, home, no_indonesian, tmp_path):
    from PIL import Image

    page = tmp_path / "page.png"
    Image.new("L", (850, 1100), 255).save(page, dpi=(100, 100))
    result = run("ingest", page)
    assert result.code == ExitCode.missing_dependency
    assert "apt-get install tesseract-ocr-ind" in result.stderr
    assert not any((home / "storage").rglob("*.pdf"))  # nothing kept, nothing filed
    assert run("report", "--json").json["total"]["filed"] == 0


def test_a_queue_password_is_never_printed():
    from scan_station.core.config import shown_url

    assert shown_url("redis://:geheim@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert shown_url("redis://user:geheim@host/1") == "redis://user:***@host/1"
    assert shown_url("redis://host:6379/0") == "redis://host:6379/0"
