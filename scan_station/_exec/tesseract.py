"""Tesseract: its version and installed languages (it has no library interface we use)."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from ..errors import MissingDependencyError

MIN_VERSION = (4, 1)


def _run(*args: str) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise MissingDependencyError("tesseract is not installed; run: apt-get install tesseract-ocr")
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


@functools.cache
def version() -> str:
    match = re.search(r"tesseract\s+v?(\d+\.\d+(?:\.\d+)?)", _run("--version"))
    return match.group(1) if match else "unknown"


@functools.cache
def languages() -> frozenset[str]:
    lines = _run("--list-langs").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def check(language_spec: str) -> None:
    """Raise MissingDependencyError naming the Debian package for each missing piece."""
    found = tuple(int(p) for p in version().split(".")[:2]) if version() != "unknown" else (0, 0)
    if found < MIN_VERSION:
        raise MissingDependencyError(
            f"tesseract {version()} is too old; {'.'.join(map(str, MIN_VERSION))} or newer is needed"
        )
    missing = [lang for lang in language_spec.split("+") if lang not in languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise MissingDependencyError(
            f"tesseract language data {', '.join(missing)} not installed; run: apt-get install {packages}"
        )
