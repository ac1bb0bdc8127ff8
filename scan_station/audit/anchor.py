"""The audit log's head, anchored outside the database, under a key the database does not hold.

Whoever can write the database can cut the log's tail or rewrite it with recomputed hashes; the
chain alone cannot tell. So the head (sequence number and hash) is also appended to
`audit-anchors.jsonl` in the home folder, each line with an HMAC-SHA256 under a key kept beside it
(`audit-anchor.key`, mode 0600): neither is in the database (nor in storage, which holds what
was filed and nothing else). `backup` copies both; `restore` puts them back.

- after a transaction that wrote audit records commits, when the newest line is older than
  `audit_anchor_minutes` (default 5) — so while records are written, at least that often;
- at once after every view, download or copy of a "dikecualikan" document (`now`);
- by the worker every few minutes, when records were written since the newest line (`catch_up`),
  so the last records before a quiet spell are anchored too.

`audit verify` (`problems`, `anchors`) checks each line's HMAC — a line written without the key is
found — and that the chain still holds every anchored head: a tail cut or rewritten after an
anchor no longer holds it. What can still go unseen is a rewrite of the records after the newest
anchor, at most a few minutes' worth and never a view of an exempt document. Lines are one
`write` each on a file opened for appending, so the kiosk and the worker can both write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, overload

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..core import storage
from ..core.config import Settings

FILE = Path("audit-anchors.jsonl")
KEY_FILE = "audit-anchor.key"
_PENDING, _URGENT, _LISTENING = "audit_anchor_head", "audit_anchor_now", "audit_anchor_listening"


@overload
def key(home: Path, *, create: Literal[True] = ...) -> bytes: ...


@overload
def key(home: Path, *, create: bool) -> bytes | None: ...


def key(home: Path, *, create: bool = True) -> bytes | None:
    """This installation's anchor key; made on first use (None if absent and not `create`)."""
    path = home / KEY_FILE
    if not path.exists():
        if not create:
            return None
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def _mac(secret: bytes, seq: int, head_hash: str, at: str) -> str:
    return hmac.new(secret, f"{seq}:{head_hash}:{at}".encode(), hashlib.sha256).hexdigest()


def write(settings: Settings, seq: int, head_hash: str) -> None:
    """Append the head (`seq`, `head_hash`) as one signed line."""
    at = dt.datetime.now(dt.UTC).isoformat()
    line = json.dumps({"seq": seq, "hash": head_hash, "at": at,
                       "mac": _mac(key(settings.home), seq, head_hash, at)}, separators=(",", ":")) + "\n"
    path = settings.home / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _age_seconds(settings: Settings) -> float:
    try:
        return time.time() - (settings.home / FILE).stat().st_mtime
    except OSError:
        return float("inf")


# -- when to anchor -------------------------------------------------------------------------------

def noted(session: Session, seq: int, head_hash: str) -> None:
    """Called for every append to the chain: anchor this head once the transaction commits, if due."""
    if session.info.get("settings") is None:
        return
    session.info[_PENDING] = (seq, head_hash)
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _forget)


def now(session: Session) -> None:
    """Anchor the head right after this transaction commits (a view of an exempt document, say)."""
    session.info[_URGENT] = True


def _after_commit(session: Session) -> None:
    settings, pending = session.info.get("settings"), session.info.pop(_PENDING, None)
    urgent = session.info.pop(_URGENT, False)
    if pending is None:
        return
    assert settings is not None  # `noted` leaves a head pending only in a session that has settings
    if urgent or _age_seconds(settings) >= settings.audit_anchor_minutes * 60:
        try:
            write(settings, *pending)
        except OSError:
            pass  # storage not writable now: the worker's catch_up anchors it, and fixity reports storage


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_URGENT, None)


def catch_up(settings: Settings, db, *, when_due: bool = False) -> bool:
    """Anchor the committed head if the newest line is not it; `when_due`: only once the newest
    line is `audit_anchor_minutes` old (the worker asks every minute)."""
    from . import log as audit

    if when_due and _age_seconds(settings) < settings.audit_anchor_minutes * 60:
        return False
    head = audit.head(db)
    if head.seq == 0:
        return False
    last = _last_line(settings)
    if last is not None and (last.get("seq"), last.get("hash")) == (head.seq, head.hash):
        return False
    write(settings, head.seq, head.hash)
    return True


def _last_line(settings: Settings) -> dict | None:
    path = settings.home / FILE
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - 4096))
            tail = f.read().splitlines()
        return json.loads(tail[-1]) if tail else None
    except (OSError, ValueError):
        return None


def set_aside_after(settings: Settings, seq: int, aside: Path) -> int:
    """Move the lines that anchor records after `seq` to `aside` (a restore from a backup whose
    database copy ends at `seq`); how many were moved."""
    path = settings.home / FILE
    if not path.is_file() or path.is_symlink():
        return 0
    kept: list[bytes] = []
    moved: list[bytes] = []
    for raw in path.read_bytes().splitlines(keepends=True):
        try:
            later = int(json.loads(raw)["seq"]) > seq
        except (ValueError, KeyError, TypeError):
            later = False  # not an anchor: left where `audit verify` names it
        (moved if later else kept).append(raw)
    if moved:
        aside.parent.mkdir(parents=True, exist_ok=True)
        aside.write_bytes(b"".join(moved))
        storage.atomic_write_bytes(path, b"".join(kept))
    return len(moved)


# -- verification ---------------------------------------------------------------------------------

def lines(settings: Settings) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, the anchor or None, what is wrong with it or "") for every line."""
    path = settings.home / FILE
    if path.is_symlink() or (path.exists() and not path.is_file()):
        yield 0, None, "is not a regular file"
        return
    if not path.exists():
        return
    secret = key(settings.home, create=False)
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = json.loads(raw)
                seq, head_hash, at, mac = int(line["seq"]), str(line["hash"]), str(line["at"]), str(line["mac"])
            except (ValueError, KeyError, TypeError):
                yield number, None, "is not an anchor (damaged or written by hand)"
                continue
            if secret is None:
                yield number, None, f"cannot be checked: the key {KEY_FILE} is missing from the home folder"
            elif not hmac.compare_digest(mac, _mac(secret, seq, head_hash, at)):
                yield number, None, "is not signed with this installation's key (forged or altered)"
            else:
                yield number, {"seq": seq, "hash": head_hash}, ""


def anchors(settings: Settings) -> Iterator[tuple[str, dict]]:
    """The signed heads, as `audit.check_chain` takes anchors."""
    for number, anchor, _fault in lines(settings):
        if anchor is not None:
            yield f"{FILE}, line {number}", anchor


def faults(settings: Settings) -> list[str]:
    """Lines that are no valid anchor of this installation."""
    return [f"{FILE}, line {number}: {fault}" for number, _anchor, fault in lines(settings) if fault]
