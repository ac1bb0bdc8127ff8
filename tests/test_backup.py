"""`scan-station backup` and `restore`: a consistent copy made while filing goes on, checked
against its manifest, restored into a fresh home, and `verify` clean there."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from helpers.filed import WORDS, add_entry, cli, deep_folders, error_line, file_some, found, run_within, submit

from scan_station.archive import backup as backup_module
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


# -- hostile storage and backups ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A home with one filing, and a backup of it."""
    root = tmp_path_factory.mktemp("made")
    home = root / "home"
    submit(home, add_entry(home, "Laporan"), "kambing", root)
    cli(home, "backup", root / "backup")
    return home, root / "backup"


def _storage_folder(root: Path) -> Path:
    return next(p.parent for p in root.rglob("*.pdf") if "batches" not in p.parts)


ODD = {  # things that are not regular files, as they could turn up in a storage folder
    "named pipe": lambda folder: os.mkfifo(folder / "pipa.pdf"),
    "link to /etc/passwd": lambda folder: (folder / "passwd.pdf").symlink_to("/etc/passwd"),
    "link loop": lambda folder: (folder / "loop.pdf").symlink_to("loop.pdf"),
    "link to a folder": lambda folder: (folder / "etc").symlink_to("/etc"),
    "control character in a name": lambda folder: (folder / "a\x1bb.pdf").write_bytes(b"x"),
    "path longer than PATH_MAX": deep_folders,
}


@pytest.mark.slow
def test_a_backup_skips_what_is_not_a_regular_file_names_it_and_ends(made, tmp_path):
    original, _backup = made
    home = tmp_path / "home"
    shutil.copytree(original, home, symlinks=True)
    for make in ODD.values():
        make(_storage_folder(home / "storage"))
    code, out = run_within(home, "backup", tmp_path / "backup", "--json", seconds=60, stdout=True)
    assert code == 5
    skipped = {p["path"].rsplit("/", 1)[-1][:20]: p["why"] for p in json.loads(out)["skipped"]}
    assert {"pipa.pdf", "passwd.pdf", "loop.pdf", "etc", "a\x1bb.pdf", "d" * 20} == set(skipped), skipped
    assert "named pipe" in skipped["pipa.pdf"] and "symbolic link" in skipped["passwd.pdf"]
    assert "too long" in skipped["d" * 20]
    copied = {p.name for p in (tmp_path / "backup" / "storage").rglob("*")}
    assert not copied & {"pipa.pdf", "passwd.pdf", "loop.pdf", "etc", "a\x1bb.pdf"}
    assert all(p.is_file() and not p.is_symlink() for p in (tmp_path / "backup").rglob("*") if not p.is_dir())
    assert cli(tmp_path / "fresh", "restore", tmp_path / "backup")["verify"]["ok"]


def _remanifest(backup: Path) -> None:
    """The manifest made again, as `sha256sum` would: every checksum adds up (links followed)."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(backup)}\n"
             for p in sorted(backup.rglob("*")) if p.is_file() and p.name != "manifest-sha256.txt"]
    (backup / "manifest-sha256.txt").write_text("".join(lines))


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _json(name: str, value):
    return lambda backup: (backup / name).write_text(json.dumps(value))


def _foreign_sqlite(backup: Path) -> None:
    (backup / "database" / "scan-station.db").unlink()
    connection = sqlite3.connect(backup / "database" / "scan-station.db")
    with connection:
        connection.execute("CREATE TABLE invoice (id INTEGER PRIMARY KEY, total REAL)")
    connection.close()


def _newer_schema(backup: Path) -> None:
    connection = sqlite3.connect(backup / "database" / "scan-station.db")
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()


def _postgres_garbage(backup: Path) -> None:
    info = json.loads((backup / "backup.json").read_text())
    (backup / "backup.json").write_text(json.dumps(info | {"database": "postgresql"}))
    (backup / "database" / "scan-station.db").rename(backup / "database" / "scan-station.pgdump")
    (backup / "database" / "scan-station.pgdump").write_bytes(b"PGDMP" + b"\0" * 200)


# (what is wrong, how it is made, whether the manifest is made again after, a word the message has)
DAMAGED = [
    ("named pipe in storage", lambda b: os.mkfifo(_storage_folder(b) / "pipa.pdf"), False, "named pipe"),
    ("named pipe as a PDF", lambda b: _fifo(next(b.glob("storage/2*/**/*.pdf"))), False, "named pipe"),
    ("named pipe as the manifest", lambda b: _fifo(b / "manifest-sha256.txt"), False, "named pipe"),
    ("named pipe as the database", lambda b: _fifo(b / "database" / "scan-station.db"), False, "named pipe"),
    ("link to /etc/passwd", lambda b: (_storage_folder(b) / "passwd.pdf").symlink_to("/etc/passwd"), True,
     "symbolic link"),
    ("link as the database", lambda b: (b / "database" / "scan-station.db").unlink()
     or (b / "database" / "scan-station.db").symlink_to("/etc/passwd"), True, "symbolic link"),
    ("link loop", lambda b: (_storage_folder(b) / "loop.pdf").symlink_to("loop.pdf"), False, "symbolic link"),
    ("path longer than PATH_MAX", lambda b: deep_folders(b / "storage"), False, "too long"),
    ("manifest line malformed", lambda b: (b / "manifest-sha256.txt").open("a").write("garbage\n"), False,
     "manifest-sha256.txt line"),
    ("manifest path leaving the backup", lambda b: (b / "manifest-sha256.txt").open("a").write(
        f"{'0' * 64}  ../../etc/passwd\n"), False, "manifest-sha256.txt line"),
    ("manifest path absolute", lambda b: (b / "manifest-sha256.txt").open("a").write(f"{'0' * 64}  /etc/passwd\n"),
     False, "manifest-sha256.txt line"),
    ("backup.json not JSON", lambda b: (b / "backup.json").write_text("{"), True, "not a Scan Station backup"),
    ("backup.json a list", _json("backup.json", []), True, "backup.json"),
    ("backup.json without database", _json("backup.json", {"made_at": "2026-01-01T00:00:00"}), True, "database"),
    ("backup.json of another database", _json("backup.json", {"database": "oracle"}), True, "database"),
    ("database not SQLite", lambda b: (b / "database" / "scan-station.db").write_bytes(b"\0" * 4096), True,
     "not an SQLite database"),
    ("database of another program", _foreign_sqlite, True, "not a Scan Station database"),
    ("database of a newer schema", _newer_schema, True, "schema revision '9999'"),
    ("PostgreSQL dump that is none", _postgres_garbage, True, "not a PostgreSQL dump"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("damage", "remanifest", "word"), [d[1:] for d in DAMAGED], ids=[d[0] for d in DAMAGED])
def test_a_hostile_backup_is_refused_and_nothing_is_restored(made, tmp_path, damage, remanifest, word):
    _home, original = made
    backup, fresh = tmp_path / "backup", tmp_path / "fresh"
    shutil.copytree(original, backup, symlinks=True)
    damage(backup)
    if remanifest:
        _remanifest(backup)
    code, err = run_within(fresh, "restore", backup, seconds=30)
    assert code == 3, err
    line = error_line(err)
    assert word in line and "nothing was restored" in line, line
    assert not [p for p in (fresh / "storage").rglob("*") if not p.is_dir()]
    assert not (fresh / "scan-station.db").exists()
