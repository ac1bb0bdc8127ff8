"""Folders that are not ours to trust (a bag, a backup) and storage read back (`rebuild`): walked
without following links, opened only when what is there is a regular file.

`walk` lists everything below a folder by `lstat` alone: a symbolic link, a named pipe, a device
or a socket is named for what it is and never opened or followed (opening a named pipe waits for
a writer for ever; a link may lead out of the folder, or round in a loop). `open_regular` opens
with `O_NOFOLLOW | O_NONBLOCK` and checks what it opened, so a file swapped for a pipe or a link
in between is refused too. `relative_problem` says why a path someone else wrote down (in a
sidecar, a manifest, a bag's metadata) cannot name a file inside a folder; `link_on_the_way` finds
a link or a non-folder on the way there.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import storage

#: The longest relative path a stored file has is about 200 characters; a path written down
#: longer than this is not one of ours.
MAX_PATH = 1024
#: A single name's limit on Linux file systems (bytes).
MAX_NAME = 255
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def shown(path: object, most: int = 160) -> str:
    """A path as a one-line message may show it: control characters and bytes that are not UTF-8
    escaped (a name must not move the terminal's cursor), the middle of a long one cut out."""
    text = _CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}", str(path))
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= most else f"{text[:most // 2]}...{text[-most // 4:]}"


class NotRegularFileError(OSError):
    """What is at the path is not a regular file: a symbolic link, a named pipe, a device, a socket."""


def kind(mode: int) -> str:
    """What a file mode says is there, in words."""
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "folder"), (stat.S_ISLNK, "symbolic link"),
                       (stat.S_ISFIFO, "named pipe"), (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def name_problem(name: str) -> str:
    """Why a file name cannot be taken as it is ('' when it can)."""
    if _CONTROLS.search(name):
        return "its name holds control characters"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not UTF-8"
    return ""


@dataclass(frozen=True)
class Item:
    """One thing below the walked folder: `kind` "file" for a regular file; `problem` says why
    anything else (or a file with an unusable name, or a folder that cannot be read) is not taken."""

    rel: Path
    kind: str
    problem: str = ""

    @property
    def usable(self) -> bool:
        return self.kind == "file" and not self.problem


def walk(root: Path) -> Iterator[Item]:
    """Everything below `root` that is not a folder, by `lstat` only: nothing is
    opened and no link is followed. A folder that cannot be listed (too long a path, no
    permission) is an item of its own with the reason."""
    stack = [Path()]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(root / rel) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            yield Item(rel, "folder", f"cannot be listed: {reason(exc)}")
            continue
        for entry in entries:
            here = rel / entry.name
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                yield Item(here, "unknown", f"cannot be looked at: {reason(exc)}")
                continue
            what, problem = kind(mode), name_problem(entry.name)
            if what == "folder" and not problem:
                stack.append(here)
            elif what == "file" or problem:
                yield Item(here, what, problem)
            else:
                yield Item(here, what, f"a {what}, not a regular file (not followed)")


def reason(exc: OSError) -> str:
    """An OS error in words, for a one-line message."""
    if isinstance(exc, NotRegularFileError):
        return exc.strerror or str(exc)
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop (too many levels of links)"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is too long"
    return exc.strerror or str(exc)


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading if it is a regular file; NotRegularFileError for a link (never
    followed), a named pipe (never waited on), a device or a socket."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP and Path(path).is_symlink():
            raise NotRegularFileError(errno.ELOOP, "a symbolic link, not followed", str(path)) from None
        raise
    try:
        what = kind(os.fstat(fd).st_mode)
        if what != "file":
            raise NotRegularFileError(errno.EINVAL, f"a {what}, not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, *, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (ValueError when bigger)."""
    with open_regular(path) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit:,} bytes")
    return data


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy(src: Path, dest: Path) -> str:
    """`storage.atomic_copy` of a regular file only; the SHA-256 of what was written."""
    with open_regular(src) as f:
        return storage.atomic_write(dest, iter(lambda: f.read(1 << 20), b""))


def relative_problem(rel: object) -> str:
    """Why `rel`, written down by someone else, cannot name a file inside a folder ('' when it
    can): not text, empty, too long, absolute, with an empty, '.' or '..' part, control characters."""
    if not isinstance(rel, str) or not rel:
        return "is not a path"
    shown = repr(rel[:80])
    if len(rel) > MAX_PATH:
        return f"{shown}...: the path is too long"
    if _CONTROLS.search(rel):
        return f"{shown}: the path holds control characters"
    if rel.startswith("/"):
        return f"{shown}: an absolute path, not one inside storage"
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return f"{shown}: the path has an empty, '.' or '..' part (it would leave storage)"
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME for part in parts):
        return f"{shown}: a name in the path is too long"
    if name_problem(rel):
        return f"{shown}: the path is not UTF-8"
    return ""


def link_on_the_way(root: Path, rel: str) -> str:
    """Where `root/rel` would not stay inside `root` or not be a regular file ('' when it would):
    a part of it that is a symbolic link, a parent that is not a folder, or an end that exists
    and is not a regular file. `rel` must have passed `relative_problem`."""
    path = root
    parts = rel.split("/")
    for number, part in enumerate(parts, 1):
        path = path / part
        try:
            what = kind(os.lstat(path).st_mode)
        except FileNotFoundError:
            return ""
        except OSError as exc:
            return f"{rel}: {reason(exc)}"
        last = number == len(parts)
        if what == "symbolic link" or (not last and what != "folder") or (last and what != "file"):
            return f"{rel}: {'/'.join(parts[:number])} is a {what} here"
    return ""
