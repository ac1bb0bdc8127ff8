"""PPID storage on the local disk: atomic, never-overwriting writes in a layout a person can browse.

    storage/
      <year>/<unit>/<register-id>/<register-id>_v<N>.pdf     filed PDF/A
      <year>/<unit>/<register-id>/<register-id>_v<N>.json    its sidecar (metadata, pages, text)
      <year>/<unit>/<register-id>/<register-id>_v<N>.event-<K>.json   handover decision K (K >= 2)
      batches/<year>/<batch-id>/page-0001.png ...            the batch exactly as scanned
      batches/<year>/<batch-id>/batch.json                   its manifest, with SHA-256 per file

Every write goes to a temporary file in the destination folder, is fsync'd, and is then linked to
its final name, which fails if the name exists: a file, once written, is never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import time
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

from . import crash_points
from .errors import DiskFullError, StorageError

TMP_PREFIX = ".tmp-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def slug(text: str) -> str:
    """A folder name from free text: ASCII, lower case, dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "lainnya"


def id_folder(register_id: str) -> str:
    return register_id.replace("/", "_")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _storage_error(exc: OSError, dest: Path) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"the disk holding {dest.parent} is full; free some space, then run the command again "
            "(nothing was filed)", code="disk_full"
        )
    if exc.errno == errno.EEXIST:
        return StorageError(f"{dest} exists already; Scan Station never overwrites a stored file")
    return StorageError(f"cannot write {dest}: {exc.strerror or exc}", code="storage_unwritable")


def atomic_write(dest: Path, chunks: Iterator[bytes] | bytes) -> str:
    """Write `dest` completely or not at all, and never over an existing file. Returns the
    SHA-256 of what was written, so nobody has to read the file back to checksum it."""
    tmp = dest.parent / _temporary_name(dest.name)
    digest = hashlib.sha256()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("xb") as f:
            for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                f.write(chunk)
                digest.update(chunk)
            f.flush()
            os.fsync(f.fileno())
        crash_points.point("storage.tmp_written")
        os.link(tmp, dest)
        _fsync_dir(dest.parent)
        crash_points.point("storage.linked")
    except OSError as exc:
        raise _storage_error(exc, dest) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest()


def atomic_write_bytes(dest: Path, data: bytes) -> str:
    return atomic_write(dest, data)


def atomic_copy(src: Path, dest: Path) -> str:
    with src.open("rb") as f:
        return atomic_write(dest, iter(lambda: f.read(1 << 20), b""))


def replace_file(dest: Path, data: bytes) -> None:
    """Write `dest` completely or not at all, replacing what is there: for state and cache files
    outside storage, never for a stored document."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / _temporary_name(dest.name)
    try:
        with tmp.open("xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(dest)
    except OSError as exc:
        raise _storage_error(exc, dest) from exc
    finally:
        tmp.unlink(missing_ok=True)


def replace_json(dest: Path, data: object) -> None:
    replace_file(dest, json.dumps(data, indent=2, ensure_ascii=False, default=str).encode() + b"\n")


def overwrite_in_place(path: Path, data: object) -> bool:
    """A full disk has no room for a new copy, but an existing file's own blocks are allocated
    already: overwrite it in place (for state files, so that what happened is still recorded)."""
    try:
        with path.open("r+b") as f:
            f.write(json.dumps(data, indent=2, ensure_ascii=False, default=str).encode())
            f.truncate()
            os.fsync(f.fileno())
    except OSError:
        return False
    return True


def atomic_write_json(dest: Path, data: object) -> str:
    return atomic_write(dest, json.dumps(data, indent=2, ensure_ascii=False, default=str).encode() + b"\n")


def check_free_space(folder: Path, needed: int) -> None:
    """Refuse early, before anything is written, when `needed` bytes will not fit."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise DiskFullError(
            f"not enough free space in {folder}: {needed // 1024} KiB needed, {free // 1024} KiB "
            "free; free some space, then run the command again (nothing was filed)", code="disk_full"
        )


def document_relpath(*, year: int, unit: str, register_id: str, version: int) -> Path:
    folder = Path(str(year)) / slug(unit) / id_folder(register_id)
    return folder / f"{id_folder(register_id)}_v{version}.pdf"


def event_relpath(sidecar_path: str | Path, number: int) -> Path:
    """Where a document's handover event `number` is recorded (number 1, "submitted", is the sidecar)."""
    sidecar = Path(sidecar_path)
    return sidecar.with_name(f"{sidecar.stem}.event-{number}.json")


def batch_relpath(*, year: int, batch_id: str) -> Path:
    return Path("batches") / str(year) / batch_id


def stored_files(storage: Path) -> Iterator[Path]:
    """Every file under the storage folder, relative to it."""
    for root, _dirs, files in os.walk(storage):
        for name in files:
            yield (Path(root) / name).relative_to(storage)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:40] or "host"


def _temporary_name(name: str) -> str:
    """A temporary file's name says who writes it (machine, process), for `sweep_temporaries`."""
    return f"{TMP_PREFIX}{_host()}-{os.getpid()}-{uuid.uuid4().hex[:12]}-{name}"


def sweep_temporaries(root: Path, *, older_than_hours: float = 24) -> list[Path]:
    """Remove what interrupted writes left under `root`: temporary files of a process of this
    machine that is gone (a kill, a power cut), and anybody's older than `older_than_hours`. A
    temporary file is never a record: its write did not finish. The files removed."""
    host, removed = _host(), []
    for path in root.rglob(f"{TMP_PREFIX}*"):
        parts = path.name[len(TMP_PREFIX):].split("-", 2)
        mine_and_dead = (len(parts) == 3 and parts[0] == host and parts[1].isdigit()
                         and not pid_alive(int(parts[1])))
        try:
            stale = time.time() - path.stat().st_mtime > older_than_hours * 3600
            if path.is_file() and (mine_and_dead or stale):
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue
    return removed


def pid_alive(pid: int) -> bool:
    """Whether process `pid` of this machine exists (signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Every other `exclusive` of this file (any thread or process of this machine) waits until
    the block ends: for a check of a state file and the change it allows."""
    with lock_file.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
