"""What the JSON files in storage hold, as `rebuild` and `import-bag` read them: a sidecar, a
handover decision file, a batch manifest. `problem(value, shape)` says, in one line, the first way
a value is not of its shape (a key missing, a wrong type, a time that is not a time), or ''.

A shape is a dict (an object with these keys; `Optional(shape)` for a key that may be absent; other
keys are allowed), a one-item list (a list of that shape), or a check: a function from the value
to its problem ('' when fine). The register fields inside a sidecar get their types checked here;
what they say is `register.clean_fields`'s to judge.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from . import safe_files
from .entry_fields import FIELDS
from .safe_files import relative_problem

Check = Callable[[object], str]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Optional:
    shape: object


def problem(value: object, shape: object, where: str = "") -> str:
    """The first way `value` differs from `shape`, naming where ('' when it does not)."""
    here = where.rstrip(".") or "the value"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{here} is not an object"
        for key, sub in shape.items():
            if key not in value:
                if isinstance(sub, Optional):
                    continue
                return f"{where}{key} is missing"
            found = problem(value[key], sub.shape if isinstance(sub, Optional) else sub, f"{where}{key}.")
            if found:
                return found
        return ""
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{here} is not a list"
        for number, item in enumerate(value):
            found = problem(item, shape[0], f"{where.rstrip('.')}[{number}].")
            if found:
                return found
        return ""
    found = cast(Check, shape)(value)  # neither an object nor a list: a shape is then a check
    return f"{here} {found}" if found else ""


def integer(least: int = 0) -> Check:
    def check(value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            return f"is not a whole number of at least {least}"
        return ""
    return check


def text(most: int = 1_000_000, *, least: int = 0) -> Check:
    def check(value: object) -> str:
        if not isinstance(value, str):
            return "is not text"
        if len(value.strip()) < least:
            return "is empty"
        return f"has more than {most:,} characters" if len(value) > most else ""
    return check


def flag(value: object) -> str:
    return "" if isinstance(value, bool) else "is not true or false"


def one_of(*allowed: str) -> Check:
    def check(value: object) -> str:
        return "" if value in allowed else f"is not one of {', '.join(allowed)}"
    return check


def maybe(shape: object) -> Check:
    """`shape`, or null."""
    def check(value: object) -> str:
        return "" if value is None else problem(value, shape, "").removeprefix("the value ")
    return check


def once(key: str, item: dict) -> Check:
    """A list of objects of shape `item`, no two with the same `key`."""
    def check(value: object) -> str:
        found = problem(value, [item], "")
        if found:
            return found.removeprefix("the value ")
        assert isinstance(value, list)  # `problem` found it a list of objects
        keys = [entry[key] for entry in value]
        return f"has {key} {next(k for k in keys if keys.count(k) > 1)!r} twice" if len(set(keys)) < len(keys) else ""
    return check


def sha256(value: object) -> str:
    return "" if isinstance(value, str) and _SHA256.match(value) else "is not a SHA-256 (64 hex digits)"


def when(value: object) -> str:
    try:
        dt.datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "is not a time (ISO 8601)"
    return ""


def day(value: object) -> str:
    try:
        dt.date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "is not a date (YYYY-MM-DD)"
    return ""


def file_name(value: object) -> str:
    """A plain name in the same folder: no '/', not '.' or '..', no control characters."""
    if isinstance(value, str) and "/" in value:
        return "is not a plain file name"
    found = relative_problem(value)
    return f"is not a usable file name ({found})" if found else ""


def anything(_value: object) -> str:
    return ""


def an_object(value: object) -> str:
    return "" if isinstance(value, dict) else "is not an object"


COUNT, NUMBER = integer(0), integer(1)
REGISTER = {f.name: text() if f.required else Optional(maybe(day if f.name == "created_date" else text()))
            for f in FIELDS if f.name != "id"}
SIDECAR = {
    "register_id": text(64), "version": NUMBER, "sha256": sha256, "file": file_name, "page_count": COUNT,
    "register": REGISTER, "batch": {"id": text(40), "batch_pages": [COUNT], "raw_dir": Optional(text())},
    "pages": once("page", {"page": NUMBER, "batch_page": COUNT, "text": text()}), "filed_at": when,
    "registered_at": Optional(maybe(when)), "updated_at": Optional(maybe(when)), "document_id": Optional(maybe(NUMBER)),
    "submitted_by": Optional(maybe(text(64))), "origin": Optional(maybe(an_object)),
}
DECISION = {"action": one_of("accepted", "returned"), "status": Optional(one_of("accepted", "returned")),
            "actor": text(64), "at": when, "reason": Optional(text())}
MANIFEST = {
    "batch": text(40), "received_at": Optional(maybe(when)), "source": Optional(text()),
    "pages": Optional([{"page": COUNT}]), "blank_pages": Optional([COUNT]), "removed_pages": Optional([COUNT]),
    "held": Optional([{"batch_pages": [COUNT], "cover_page": maybe(COUNT), "register_id": maybe(text(64)),
                       "reason": text()}]),
    "submitted_by": Optional(text(64)), "files": Optional([{"name": file_name, "sha256": sha256}]),
    "previous_manifest": Optional(maybe({"name": file_name, "sha256": sha256})),
    "audit_head": Optional(maybe({"seq": COUNT, "hash": text(64)})),
    "cancelled": Optional(flag),
}


#: A JSON file in storage bigger than this is not one Scan Station wrote (a sidecar holds page texts).
MAX_JSON_BYTES = 256 << 20


def raw_batch_files(root, raw_dir: str, name: str, sha256: str) -> dict[str, str]:
    """A raw batch's manifest, the files it lists, and the manifests of earlier attempts to file
    the batch it names in turn (`previous_manifest`), each with its SHA-256."""
    expected: dict[str, str] = {}
    while name and f"{raw_dir}/{name}" not in expected:
        expected[f"{raw_dir}/{name}"] = sha256
        try:
            manifest = json.loads(safe_files.read_bytes(root / raw_dir / name, limit=MAX_JSON_BYTES))
        except (OSError, ValueError, RecursionError):
            break  # reported as missing or mismatched
        if problem(manifest, MANIFEST):
            break  # not a manifest (`rebuild` names it unreadable); what it would list shows as orphans
        for item in manifest.get("files", []):
            expected.setdefault(f"{raw_dir}/{item['name']}", item["sha256"])
        previous = manifest.get("previous_manifest") or {}
        name, sha256 = previous.get("name", ""), previous.get("sha256", "")
    return expected
