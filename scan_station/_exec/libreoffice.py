"""LibreOffice, headless: office documents (DOCX, XLSX, PPTX, ODT, ODS) into PDF.

Each conversion starts its own `soffice` with a private profile folder (a shared one would make
a second conversion wait for, or talk to, the first) and a time limit; on the limit the whole
process group is killed, so no converter is left behind.

The document comes from outside: `soffice` runs boxed (`sandbox`), seeing its input and its
scratch folder and no network, so a picture *linked* rather than embedded — to a stored PDF, a
page of a batch in review, the secret key, an address on the network — is not there to load;
its profile also says to block links from untrusted documents (`BlockUntrustedRefererLinks`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from ..core.errors import InputFileError, MissingDependencyError
from . import sandbox
from .probe import Probe, at_least, run_program

MIN_VERSION = (7, 0)
FIX = "run: apt-get install --no-install-recommends libreoffice-writer libreoffice-calc libreoffice-impress"


@functools.cache
def _version() -> str:
    text = run_program("soffice", "--version") or ""
    match = re.search(r"LibreOffice\s+(\d+\.\d+(?:\.\d+)*)", text)
    return match.group(1) if match else ""


def version() -> str:
    return _version() or "unknown"


def probe(_settings) -> Probe:
    found = _version()
    if not found:
        return Probe("libreoffice", False, detail="not installed (office softcopies cannot be taken)", fix=FIX,
                     code="not_installed_office", params={"command": FIX.removeprefix("run: ")})
    if not at_least(found, MIN_VERSION):
        return Probe("libreoffice", False, found, f"{found} is too old", FIX,
                     code="too_old", params={"found": found, "needed": ".".join(map(str, MIN_VERSION)),
                                             "command": FIX.removeprefix("run: ")})
    return Probe("libreoffice", True, found)


#: The profile's settings: links of a document from outside are not followed.
SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks"
 oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


class ConversionError(InputFileError):
    """LibreOffice could not make a PDF of the document."""


def convert_to_pdf(source: Path, out_dir: Path, *, timeout: float) -> Path:
    """`source` as PDF in `out_dir`; ConversionError when LibreOffice cannot open it or takes
    longer than `timeout` seconds."""
    exe = shutil.which("soffice")
    if exe is None:
        raise MissingDependencyError(f"LibreOffice is needed for {source.suffix} softcopies; {FIX}")
    out_dir, source = out_dir.resolve(), source.resolve()
    profile = out_dir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(SETTINGS, encoding="utf-8")
    command = sandbox.boxed([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                             "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "pdf",
                             "--outdir", str(out_dir), str(source)],
                            reads=[source], writes=[out_dir],
                            env=sandbox.ENV | {"HOME": str(profile), "LANG": os.environ.get("LANG", "C.UTF-8")})
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        output, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        raise ConversionError(f"{source.name}: LibreOffice took longer than {timeout:g} s to open it; save it as "
                              "PDF on the computer it came from, or raise convert_timeout_seconds",
                              code="convert_timeout", name=source.name, seconds=f"{timeout:g}") from None
    finally:
        _kill_group(child)  # a converter's helpers may outlive it
        shutil.rmtree(profile, ignore_errors=True)
    result = out_dir / f"{source.stem}.pdf"
    if child.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
        detail = (output or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no PDF was made"]
        raise ConversionError(f"{source.name}: LibreOffice cannot open this document ({detail[0][:200]}); "
                              "check that it opens on a computer, or hand over a PDF of it", code="convert_failed",
                              name=source.name)
    return result


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()
