"""Ghostscript: ocrmypdf renders pages that are not one plain scanned image with it."""

from __future__ import annotations

import functools

from .probe import Probe, at_least, run_program

MIN_VERSION = (9, 50)


@functools.cache
def version() -> str:
    return (run_program("gs", "--version") or "").strip()


def probe(_settings) -> Probe:
    found = version()
    if not found:
        return Probe("ghostscript", False, detail="not installed", fix="run: apt-get install ghostscript",
                     code="not_installed", params={"command": "apt-get install ghostscript"})
    if not at_least(found, MIN_VERSION):
        return Probe("ghostscript", False, found, f"{found} is too old", "9.50 or newer is needed",
                     code="too_old",
                     params={"found": found, "needed": "9.50", "command": "apt-get install ghostscript"})
    return Probe("ghostscript", True, found)
