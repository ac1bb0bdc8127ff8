"""What a probe says about one external tool: present and usable (with its version), or not,
with a one-line fix. Each module of `_exec` has a `probe(settings)`; `doctor` runs them."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

from ..core.errors import MissingDependencyError, ScanStationError


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    version: str = ""
    detail: str = ""  # what was found, or what is wrong
    fix: str = ""  # one line: what to do
    error: type[ScanStationError] = MissingDependencyError  # raised when work needs it and it fails
    warn: bool = False  # usable, but a part of the work cannot be done until `fix` is done
    #: What `detail` says, as a code and parameters a screen translates (`fix`'s command, if any,
    #: is the parameter "command"): not_installed, too_old, cannot_load, languages_missing, …
    code: str = ""
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def as_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "warn": self.warn, "version": self.version, "detail": self.detail,
                "fix": self.fix}

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise self.error(f"{self.name}: {self.detail}; {self.fix}")


def run_program(program: str, *args: str, timeout: float = 20) -> str | None:
    """The program's stdout and stderr, or None when it is not on PATH or does not start."""
    exe = shutil.which(program)
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout + done.stderr


def version_tuple(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+(?:\.\d+)+)", text)
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def at_least(found: str, wanted: tuple[int, ...]) -> bool:
    return version_tuple(found)[: len(wanted)] >= wanted if version_tuple(found) else False
