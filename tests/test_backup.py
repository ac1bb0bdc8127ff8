"""`scan-station backup` and `restore`: a consistent copy made while filing goes on, checked
against its manifest, restored into a fresh home, and `verify` clean there."""

from __future__ import annotations

import subprocess

import pytest
from filed import WORDS, add_entry, cli, file_some, found, submit

from scan_station import backup as backup_module
from scan_station.cli import main


@pytest.mark.slow
def test_a_backup_made_while_a_document_is_filed_restores_clean(tmp_path, monkeypatch):
    home, dest, fresh = tmp_path / "home", tmp_path / "backup", tmp_path / "fresh"
    ids = file_some(home, tmp_path)
    late = add_entry(home, "Dokumen terlambat")
    copy_storage = backup_module._copy_storage

    def filing_meanwhile(source, target):  # filed after the database copy, before storage is copied
        submit(home, late, "rusa", tmp_path)
        return copy_storage(source, target)

    monkeypatch.setattr(backup_module, "_copy_storage", filing_meanwhile)
    made = cli(home, "backup", dest)
    assert made["database"] == "sqlite"
    assert subprocess.run(["sha256sum", "--quiet", "-c", "manifest-sha256.txt"], cwd=dest).returncode == 0

    done = cli(fresh, "restore", dest)
    assert done["verify"]["ok"], done["verify"]["problems"]
    assert len(done["set_aside"]) == 4  # the late filing: its PDF, sidecar, raw file and manifest
    assert all((fresh / "restored-after-backup" / p).is_file() for p in done["set_aside"])
    assert cli(fresh, "verify")["ok"]
    assert done["audit"]["ok"] and cli(fresh, "audit", "verify")["ok"]  # the log came back whole, anchors and all
    assert found(fresh, WORDS["accepted"]) == {ids["accepted"]} and not found(fresh, "rusa")


@pytest.mark.slow
def test_a_damaged_backup_or_a_used_home_is_refused(tmp_path):
    home, dest = tmp_path / "home", tmp_path / "backup"
    entry = add_entry(home, "Laporan")
    submit(home, entry, "kambing", tmp_path)
    cli(home, "backup", dest)
    assert main(["--home", str(home), "backup", str(dest)]) == 2  # not an empty folder
    assert main(["--home", str(home), "restore", str(dest)]) == 2  # this home is in use
    pdf = next(dest.glob("storage/**/*.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"%")
    assert main(["--home", str(tmp_path / "other"), "restore", str(dest)]) == 3
    assert not [p for p in (tmp_path / "other" / "storage").rglob("*") if p.is_file()]


@pytest.mark.slow
@pytest.mark.postgres
def test_backup_and_restore_on_postgresql(tmp_path, postgres):
    home, dest, fresh = tmp_path / "home", tmp_path / "backup", tmp_path / "fresh"
    ids = file_some(home, tmp_path, config=f'database_url = "{postgres()}"\n')
    assert cli(home, "backup", dest)["database"] == "postgresql"
    fresh.mkdir()
    (fresh / "scan-station.toml").write_text(f'database_url = "{postgres()}"\n')
    done = cli(fresh, "restore", dest)
    assert done["verify"]["ok"] and not done["set_aside"]
    assert found(fresh, WORDS["waiting"]) == {ids["waiting"]}
    submit(fresh, ids["waiting"], "rusa", tmp_path)  # the restored database takes new filings
