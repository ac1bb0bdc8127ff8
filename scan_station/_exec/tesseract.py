"""Tesseract, the program: its version, its installed languages and where their data is.

Languages are read from `tesseract --list-langs`, which honours `TESSDATA_PREFIX`; the probe
wants every language of `ocr_languages` and `osd` (orientation detection). Scanned pages are read
by the same engine as a library (`libtesseract`), from this tessdata folder; ocrmypdf runs the
program for softcopies.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from .probe import Probe, at_least, run_program

MIN_VERSION = (4, 1)


@functools.cache
def _version() -> str:
    text = run_program("tesseract", "--version") or ""
    match = re.search(r"tesseract\s+v?(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else ""


def version() -> str:
    return _version() or "unknown"


@functools.cache
def _list_langs(_tessdata: str | None) -> str | None:
    return run_program("tesseract", "--list-langs")


def languages() -> frozenset[str]:
    """The installed language data (for the tessdata folder in force now)."""
    text = _list_langs(os.environ.get("TESSDATA_PREFIX"))
    if text is None:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines()[1:] if line.strip() and " " not in line.strip())


def tessdata() -> Path:
    """The folder tesseract reads its language data from: `TESSDATA_PREFIX`, else the one it
    names in `--list-langs` (Debian: /usr/share/tesseract-ocr/5/tessdata)."""
    if os.environ.get("TESSDATA_PREFIX"):
        return Path(os.environ["TESSDATA_PREFIX"])
    found = re.search(r'"([^"]+)"', (_list_langs(None) or "").split("\n", 1)[0])
    return Path(found.group(1)) if found else Path("/usr/share/tesseract-ocr/5/tessdata")


def probe(settings) -> Probe:
    found = _version()
    if not found:
        return Probe("tesseract", False, detail="not installed", fix="run: apt-get install tesseract-ocr",
                     code="not_installed", params={"command": "apt-get install tesseract-ocr"})
    if not at_least(found, MIN_VERSION):
        wanted_version = ".".join(map(str, MIN_VERSION))
        return Probe("tesseract", False, found, f"{found} is too old", f"{wanted_version} or newer is needed",
                     code="too_old", params={"found": found, "needed": wanted_version,
                                             "command": "apt-get install tesseract-ocr"})
    wanted = [*dict.fromkeys([*settings.ocr_languages.split("+"), "osd"])]
    missing = [lang for lang in wanted if lang not in languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        return Probe("tesseract", False, found, f"language data {', '.join(missing)} not installed",
                     f"run: apt-get install {packages}", code="languages_missing",
                     params={"languages": ", ".join(missing), "command": f"apt-get install {packages}"})
    return Probe("tesseract", True, found, f"languages {', '.join(wanted)}", code="languages",
                 params={"languages": ", ".join(wanted)})
