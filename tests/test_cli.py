"""The CLI contract: --json prints exactly one JSON value; errors go to stderr with a non-zero exit."""

import json
import subprocess
import sys

import pytest

from scan_station.cli import cli


def test_every_command_takes_json():
    def walk(group, prefix=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, prefix + (name,))
            else:
                yield prefix + (name,), command

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
