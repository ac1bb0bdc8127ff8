"""libsane (through python-sane) and the backends its configuration enables."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .probe import Probe


@functools.cache
def init() -> tuple[int, int, int]:
    """Initialise libsane once per process (it reads SANE_CONFIG_DIR then); returns its version."""
    import sane

    return tuple(sane.init()[1:])


def backends() -> list[str]:
    """The backends `dll.conf` enables (in SANE_CONFIG_DIR, else /etc/sane.d), with dll.d."""
    folder = Path(os.environ.get("SANE_CONFIG_DIR") or "/etc/sane.d")
    files = [folder / "dll.conf", *sorted((folder / "dll.d").glob("*"))] if folder.is_dir() else []
    names = []
    for path in files:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        names += [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    return list(dict.fromkeys(names))


def probe(_settings) -> Probe:
    try:
        version = ".".join(map(str, init()))
    except (ImportError, OSError, RuntimeError) as exc:
        return Probe("sane", False, detail=f"libsane cannot be loaded ({exc})", fix="run: apt-get install libsane1",
                     code="cannot_load", params={"command": "apt-get install libsane1"})
    enabled = backends()
    if not enabled:
        return Probe("sane", False, version, "no backend enabled in dll.conf",
                     "install your scanner's backend (e.g. apt-get install sane-utils) or set SANE_CONFIG_DIR",
                     code="no_backend", params={"command": "apt-get install sane-utils"})
    return Probe("sane", True, version, f"backends: {', '.join(enabled[:8])}{' …' if len(enabled) > 8 else ''}",
                 code="backends", params={"backends": ", ".join(enabled[:8]) + (" …" if len(enabled) > 8 else "")})
