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
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, make_url, select, text

from .. import __version__
from ..audit import anchor as audit_anchor
from ..audit import log as audit
from ..core import safe_files, storage, stored_shapes
from ..core.config import Settings
from ..core.errors import BadArgumentsError, InputFileError, MissingDependencyError, StorageError
from ..db.database import Database, Entry, make_engine, schema_revision

MANIFEST, INFO = "manifest-sha256.txt", "backup.json"
SQLITE_FILE, PG_FILE = "database/scan-station.db", "database/scan-station.pgdump"
ASIDE = "restored-after-backup"


class DamagedBackupError(InputFileError):
    """A backup whose files do not match its manifest, or that is not a Scan Station backup."""


class ForeignDatabaseError(DamagedBackupError):
    """A backup whose database is not a Scan Station database, or of a schema this version does not know."""


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
    copied, skipped = _copy_storage(settings.storage_dir, dest / "storage")
    sums |= copied
    for name in (audit_anchor.KEY_FILE, str(audit_anchor.FILE)):  # the audit log's anchors, and their key
        if (settings.home / name).is_file() and not (settings.home / name).is_symlink():
            sums[name] = safe_files.copy(settings.home / name, dest / name)
    info = {"made_at": dt.datetime.now(dt.UTC).isoformat(), "scan_station": __version__, "database": kind,
            "schema_revision": schema_revision(db), "files": len(sums) - 1,
            "bytes": sum((dest / rel).stat().st_size for rel in sums), "skipped": skipped}
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
            assert raw.driver_connection is not None  # a connection just taken from the pool is open
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


def _copy_storage(source: Path, dest: Path) -> tuple[dict[str, str], list[dict]]:
    """Every stored file (not temporaries of writes under way), each fsync'd, with its SHA-256; and
    what is skipped, with why: anything that is not a regular file (a link is not followed, a
    named pipe or a device not opened), a name with control characters, a folder that cannot be
    read. A file that vanishes meanwhile was a failed filing's own, never recorded: it is left out."""
    sums: dict[str, str] = {}
    skipped: list[dict] = []
    for item in sorted(safe_files.walk(source), key=lambda i: i.rel):
        if item.rel.name.startswith(storage.TMP_PREFIX):
            continue
        if not item.usable:
            skipped.append({"path": str(item.rel), "why": item.problem})
            continue
        try:
            sums[f"storage/{item.rel}"] = safe_files.copy(source / item.rel, dest / item.rel)
        except FileNotFoundError:
            continue
        except OSError as exc:
            skipped.append({"path": str(item.rel), "why": safe_files.reason(exc)})
    return sums, skipped


# -- restore --------------------------------------------------------------------------------------


_INFO = {"database": stored_shapes.one_of("sqlite", "postgresql"), "made_at": stored_shapes.Optional(
    stored_shapes.maybe(stored_shapes.when)), "files": stored_shapes.Optional(stored_shapes.COUNT)}
_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")


def _refuse(src: Path, problems: list[str], kind: type[DamagedBackupError] = DamagedBackupError) -> None:
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise kind(f"{src}: the backup is damaged, nothing was restored: {'; '.join(problems[:5])}{more}")


def check_backup(src: Path) -> dict:
    """The backup's `backup.json`, once every file matches the manifest and none is extra. Anything
    in it that is not a regular file (a link, a named pipe, a device) is refused before any is opened."""
    items = list(safe_files.walk(src))
    _refuse(src, [f"{safe_files.shown(item.rel)}: {item.problem}" for item in items if not item.usable])
    try:
        lines = safe_files.read_bytes(src / MANIFEST, limit=1 << 30).decode("utf-8").splitlines()
        info = json.loads(safe_files.read_bytes(src / INFO, limit=1 << 20))
    except (OSError, ValueError, RecursionError) as exc:
        reason = safe_files.reason(exc) if isinstance(exc, OSError) else str(exc)[:200]
        raise DamagedBackupError(f"{src}: not a Scan Station backup ({reason}); nothing was restored") from None
    _refuse(src, [f"{INFO}: {p}" for p in [stored_shapes.problem(info, _INFO)] if p])
    listed = _listed(src, lines)
    present = {str(item.rel) for item in items} - {MANIFEST}
    database = SQLITE_FILE if info["database"] == "sqlite" else PG_FILE
    problems = [f"missing {rel}" for rel in sorted(set(listed) - present)]
    problems += [f"not in the manifest: {rel}" for rel in sorted(present - set(listed))]
    if database not in listed:
        problems.append(f"no {database}")
    problems += [f"altered {rel}" for rel in sorted(set(listed) & present)
                 if safe_files.sha256(src / rel) != listed[rel]]
    _refuse(src, problems)
    return info


def _listed(src: Path, lines: list[str]) -> dict[str, str]:
    """The manifest's lines, `<SHA-256>  <path>` each, paths inside the backup and each once."""
    listed: dict[str, str] = {}
    problems = []
    for number, line in enumerate(lines, 1):
        match = _LINE.match(line)
        if not line.strip():
            continue
        if not match or safe_files.relative_problem(match[2]) or match[2] in listed:
            problems.append(f"{MANIFEST} line {number} is not '<SHA-256>  <path inside the backup>', once")
            continue
        listed[match[2]] = match[1]
    _refuse(src, problems)
    return listed


#: Tables every Scan Station schema has had since the first migration.
_TABLES = {"alembic_version", "entry", "batch", "document"}


def check_database(src: Path, info: dict) -> None:
    """Refuse, before anything is restored, a database that is not Scan Station's (no register
    tables, not a database at all) or that is at a schema revision this version does not know
    (made by a newer version, or another program's)."""
    if info["database"] == "sqlite":
        revision, tables = _sqlite_schema(src / SQLITE_FILE)
    else:
        revision, tables = _pg_schema(src / PG_FILE)
    if not _TABLES <= tables or not revision:
        raise ForeignDatabaseError(f"{src}: its database is not a Scan Station database (it has no register "
                                   "tables, or no schema revision); nothing was restored")
    if revision not in _known_revisions():
        raise ForeignDatabaseError(f"{src}: its database is at schema revision {revision!r}, which Scan Station "
                                   f"{__version__} does not know (a newer version's, or another program's); "
                                   "restore it with the version that made it; nothing was restored")


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parents[1] / "db" / "migrations"))
    return {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}


def _sqlite_schema(path: Path) -> tuple[str | None, set[str]]:
    """The schema revision and the tables of an SQLite file, opened read-only and as immutable
    (nothing is written beside it, no journal is replayed)."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            row = (connection.execute("SELECT version_num FROM alembic_version").fetchone()
                   if "alembic_version" in tables else None)
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise ForeignDatabaseError(f"{path}: not an SQLite database ({exc}); nothing was restored") from None
    return (str(row[0]) if row else None), tables


def _pg_schema(path: Path) -> tuple[str | None, set[str]]:
    """The schema revision and the tables of a `pg_dump --format=custom` file, read by `pg_restore`
    into text (no database is touched)."""
    program = shutil.which("pg_restore")
    if program is None:
        raise MissingDependencyError("pg_restore is not installed; apt-get install postgresql-client")
    listing = subprocess.run([program, "--list", str(path)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        reason = (listing.stderr.strip().splitlines() or ["?"])[-1]
        raise ForeignDatabaseError(f"{path}: not a PostgreSQL dump ({reason}); nothing was restored")
    tables = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing.stdout, re.M))
    data = subprocess.run([program, "--data-only", "--table=alembic_version", "--file=-", str(path)],
                          capture_output=True, text=True, check=False).stdout
    rows = re.search(r"^COPY \S*alembic_version .*?FROM stdin;\n([^\n\\]+)\n", data, re.M)
    return (rows[1].strip() if rows else None), tables


def restore(settings: Settings, src: Path) -> dict:
    """Put a checked backup into this installation, whose database and storage must be empty.
    Returns what was restored, the files set aside as newer than the database, and `verify`'s result."""
    from ..search.rebuild import reindex
    from .verify import verify

    info = check_backup(src)
    check_database(src, info)
    if any(storage.stored_files(settings.storage_dir)) if settings.storage_dir.exists() else False:
        raise BadArgumentsError(f"{settings.storage_dir} holds files already; restore into a new home")
    _restore_database(settings, src, info)
    for rel in storage.stored_files(src / "storage"):
        safe_files.copy(src / "storage" / rel, settings.storage_dir / rel)
    _restore_anchors(settings, src)
    db = Database(settings)  # upgrades an older backup's schema to this version's
    try:
        aside = _set_aside_newer(settings, verify(db, settings)) + _set_aside_newer_anchors(settings, db)
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
                source = sqlite3.connect(f"{(src / SQLITE_FILE).resolve().as_uri()}?mode=ro&immutable=1", uri=True)
                try:
                    assert raw.driver_connection is not None  # a connection just taken from the pool is open
                    source.backup(raw.driver_connection)
                finally:
                    source.close()
            finally:
                raw.close()
    finally:
        engine.dispose()
    if kind == "postgresql":
        _pg_tool("pg_restore", ["--no-owner", "--exit-on-error", str(src / PG_FILE)], settings.database_url)


def _restore_anchors(settings: Settings, src: Path) -> None:
    """The backup's audit anchors and the key they were signed with, into the home: they go with
    the database copy, which replaces this home's (whose own, if any, go to `restored-after-backup/`)."""
    for name, limit in ((audit_anchor.KEY_FILE, 4096), (str(audit_anchor.FILE), 1 << 30)):
        source, target = src / name, settings.home / name
        if target.exists() or target.is_symlink():
            aside = settings.home / ASIDE / f"{name}.before-restore"
            aside.parent.mkdir(parents=True, exist_ok=True)
            target.replace(aside)
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(safe_files.read_bytes(source, limit=limit))


def _set_aside_newer_anchors(settings: Settings, db: Database) -> list[str]:
    """Audit anchors written while the backup ran name records newer than the database copy: they
    are moved to `restored-after-backup/`, as the files filed meanwhile are."""
    newer = audit_anchor.set_aside_after(settings, audit.head(db).seq, settings.home / ASIDE / audit_anchor.FILE)
    return [str(audit_anchor.FILE)] if newer else []


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
