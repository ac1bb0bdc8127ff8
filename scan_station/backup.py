"""`scan-station backup` and `restore`: a consistent copy of the database and storage, made while
the kiosk runs, with a SHA-256 manifest, and putting one back into an empty installation.

    DEST/database/scan-station.db       SQLite, by SQLite's online backup API
    DEST/database/scan-station.pgdump   or PostgreSQL, by `pg_dump --format=custom`
    DEST/storage/...                    every stored file, as in the storage folder
    DEST/backup.json                    when, what, the schema revision, counts
    DEST/manifest-sha256.txt            SHA-256 of every file above (`sha256sum -c` reads it)

Why the database first, then storage: stored files are written once, atomically, and only ever
before the database transaction that records them commits; nothing in storage is changed or
removed afterwards. So every file the database copy names exists, complete and final, when the
storage copy starts: the copy of storage is a superset of what the database copy needs. What was
filed while the backup ran is in the storage copy but not in the database copy; `restore` moves
those files aside (`restored-after-backup/` in the home) instead of calling them orphans.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, make_url, select, text

from . import __version__, audit, storage
from .config import Settings
from .db import Database, Entry, make_engine, schema_revision
from .errors import BadArgumentsError, InputFileError, MissingDependencyError, StorageError

MANIFEST, INFO = "manifest-sha256.txt", "backup.json"
SQLITE_FILE, PG_FILE = "database/scan-station.db", "database/scan-station.pgdump"
ASIDE = "restored-after-backup"


class DamagedBackupError(InputFileError):
    """A backup whose files do not match its manifest, or that is not a Scan Station backup."""


# -- backup ---------------------------------------------------------------------------------------


def backup(settings: Settings, db: Database, dest: Path) -> dict:
    """Copy the database, then storage, into the new or empty folder `dest`; write the manifest."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BadArgumentsError(f"{dest}: not an empty folder; give a new folder for the backup")
    dest.mkdir(parents=True, exist_ok=True)
    kind = db.engine.dialect.name
    if kind == "sqlite":
        _sqlite_copy(db, dest / SQLITE_FILE)
    elif kind == "postgresql":
        _pg_dump(settings.database_url, dest / PG_FILE)
    else:
        raise BadArgumentsError(f"backup knows SQLite and PostgreSQL, not {kind}")
    sums = {SQLITE_FILE if kind == "sqlite" else PG_FILE: storage.sha256_file(dest / (SQLITE_FILE if kind == "sqlite"
                                                                                     else PG_FILE))}
    sums |= _copy_storage(settings.storage_dir, dest / "storage")
    info = {"made_at": dt.datetime.now(dt.UTC).isoformat(), "scan_station": __version__, "database": kind,
            "schema_revision": schema_revision(db), "files": len(sums) - 1,
            "bytes": sum((dest / rel).stat().st_size for rel in sums)}
    sums[INFO] = storage.atomic_write_json(dest / INFO, info)
    lines = "".join(f"{sha}  {rel}\n" for rel, sha in sorted(sums.items()))
    storage.atomic_write_bytes(dest / MANIFEST, lines.encode())
    return info | {"path": str(dest)}


def _sqlite_copy(db: Database, target: Path) -> None:
    """SQLite's online backup: a consistent snapshot, even with the kiosk and workers writing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    raw = db.engine.raw_connection()
    try:
        out = sqlite3.connect(part)
        try:
            raw.driver_connection.backup(out)
        finally:
            out.close()
    finally:
        raw.close()
    part.replace(target)


def _pg_args(url: str) -> tuple[str, dict]:
    """A libpq URL for `pg_dump`/`pg_restore`, and the environment with its password."""
    parsed = make_url(url)
    env = os.environ | ({"PGPASSWORD": parsed.password} if parsed.password else {})
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _pg_tool(name: str, args: list[str], url: str) -> None:
    program = shutil.which(name)
    if program is None:
        raise MissingDependencyError(f"{name} is not installed; apt-get install postgresql-client")
    plain, env = _pg_args(url)
    done = subprocess.run([program, *args, f"--dbname={plain}"], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StorageError(f"{name} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")


def _pg_dump(url: str, target: Path) -> None:
    """pg_dump reads in one snapshot: consistent while others write."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _pg_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], url)


def _copy_storage(source: Path, dest: Path) -> dict[str, str]:
    """Every stored file (not temporaries of writes under way), each fsync'd, with its SHA-256. A
    file that vanishes meanwhile was a failed filing's own, never recorded: it is skipped."""
    sums: dict[str, str] = {}
    for rel in sorted(storage.stored_files(source)):
        if rel.name.startswith(storage.TMP_PREFIX):
            continue
        try:
            sums[f"storage/{rel}"] = storage.atomic_copy(source / rel, dest / rel)
        except FileNotFoundError:
            continue
    return sums


# -- restore --------------------------------------------------------------------------------------


def check_backup(src: Path) -> dict:
    """The backup's `backup.json`, once every file matches the manifest and none is extra."""
    try:
        lines = (src / MANIFEST).read_text(encoding="utf-8").splitlines()
        listed = dict(reversed(line.split("  ", 1)) for line in lines if line.strip())
        info = json.loads((src / INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DamagedBackupError(f"{src}: not a Scan Station backup ({exc})") from None
    present = {str(p) for p in storage.stored_files(src)} - {MANIFEST}
    problems = [f"missing {rel}" for rel in sorted(set(listed) - present)]
    problems += [f"not in the manifest: {rel}" for rel in sorted(present - set(listed))]
    problems += [f"altered {rel}" for rel in sorted(set(listed) & present) if storage.sha256_file(src / rel)
                 != listed[rel]]
    if problems:
        raise DamagedBackupError(f"{src}: the backup is damaged, nothing was restored: {'; '.join(problems[:5])}"
                                 + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    return info


def restore(settings: Settings, src: Path) -> dict:
    """Put a checked backup into this installation, whose database and storage must be empty.
    Returns what was restored, the files set aside as newer than the database, and `verify`'s result."""
    from .search_rebuild import reindex
    from .verify import verify

    info = check_backup(src)
    if any(storage.stored_files(settings.storage_dir)) if settings.storage_dir.exists() else False:
        raise BadArgumentsError(f"{settings.storage_dir} holds files already; restore into a new home")
    _restore_database(settings, src, info)
    for rel in storage.stored_files(src / "storage"):
        storage.atomic_copy(src / "storage" / rel, settings.storage_dir / rel)
    db = Database(settings)  # upgrades an older backup's schema to this version's
    try:
        aside = _set_aside_newer(settings, verify(db, settings))
        reindex(settings, db)  # the search index is not in a backup: it is made again from the sidecars
        result = verify(db, settings)
        chain = [str(p) for p in audit.verify_all(settings, db)]
    finally:
        db.close()
    return {"restored": str(src), "made_at": info.get("made_at"), "database": info["database"],
            "files": info.get("files"), "set_aside": aside, "verify": result,
            "audit": {"ok": not chain, "problems": chain}}


def _restore_database(settings: Settings, src: Path, info: dict) -> None:
    engine = make_engine(settings.database_url)
    try:
        kind = engine.dialect.name
        if kind != info.get("database"):
            raise BadArgumentsError(f"the backup holds a {info.get('database')} database, this installation uses "
                                    f"{kind}; set database_url to a {info.get('database')} database")
        tables = set(inspect(engine).get_table_names())
        if "entry" in tables:
            with engine.connect() as connection:
                if connection.execute(select(Entry.id).limit(1)).first() is not None:
                    raise BadArgumentsError("this installation's database is not empty; restore into a new home "
                                            "or a new database_url")
        if kind == "postgresql":
            if tables:
                with engine.begin() as connection:
                    connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            raw = engine.raw_connection()
            try:
                source = sqlite3.connect(src / SQLITE_FILE)
                try:
                    source.backup(raw.driver_connection)
                finally:
                    source.close()
            finally:
                raw.close()
    finally:
        engine.dispose()
    if kind == "postgresql":
        _pg_tool("pg_restore", ["--no-owner", "--exit-on-error", str(src / PG_FILE)], settings.database_url)


def _set_aside_newer(settings: Settings, checked: dict) -> list[str]:
    """Files filed while the backup ran are in the storage copy but not in the database copy: they
    are moved to `restored-after-backup/` in the home, to be filed again if wanted."""
    moved = []
    for problem in checked["problems"]:
        if problem["kind"] == "orphan":
            target = settings.home / ASIDE / problem["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            (settings.storage_dir / problem["path"]).replace(target)
            moved.append(problem["path"])
    return moved
