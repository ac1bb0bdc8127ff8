"""A box for programs that open files from outside (bubblewrap, `bwrap`): LibreOffice converting
a softcopy, Ghostscript rendering a softcopy's pages for OCR. In it a program sees the system's
programs, libraries, fonts and its own configuration, its input (read-only) and its scratch folder
— not the home, not storage, not the rest of /etc — and has a network of its own with nothing on
it, so a document's linked picture (`file:///…`, a path into the home, `http://…`) loads nothing.

`boxed` only builds the command line; the caller runs it as it runs any program. Ghostscript is
run by ocrmypdf, so `ghostscript_boxed` puts a `gs` first on PATH that runs the real one boxed.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.errors import MissingDependencyError
from .probe import Probe, run_program

FIX = "run: apt-get install bubblewrap"
#: What a converter may read of the machine besides its input: programs and libraries (/bin, /lib
#: are links into /usr on Debian 12), fonts and their cache, the converters' own configuration.
SYSTEM = ("/usr", "/etc/fonts", "/etc/libreoffice", "/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime",
          "/var/cache/fontconfig", "/etc/ghostscript")
LINKS = {"/bin": "usr/bin", "/sbin": "usr/sbin", "/lib": "usr/lib", "/lib64": "usr/lib64"}
#: The whole environment of a boxed program (a caller may add to it).
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def version() -> str:
    return (run_program("bwrap", "--version") or "").replace("bubblewrap", "").strip()


def probe(_settings) -> Probe:
    found = version()
    if not found:
        return Probe("bubblewrap", False, detail="not installed (untrusted softcopies cannot be converted safely)",
                     fix=FIX, code="not_installed_sandbox", params={"command": FIX.removeprefix("run: ")})
    return Probe("bubblewrap", True, found)


def boxed(argv: Sequence[str], *, reads: Sequence[Path] = (), writes: Sequence[Path] = (),
          env: dict[str, str] | None = None) -> list[str]:
    """`argv` to be run in the box: `reads` bound read-only and `writes` read-write at their own
    paths, the working folder the first of `writes`, the environment only `env`."""
    exe = shutil.which("bwrap")
    if exe is None:
        raise MissingDependencyError(f"bubblewrap is needed to open files from outside safely; {FIX}")
    command = [exe, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run"]
    for system_path in SYSTEM:
        if Path(system_path).exists():
            command += ["--ro-bind", system_path, system_path]
    for link, target in LINKS.items():
        if Path(link).is_symlink():
            command += ["--symlink", target, link]
        elif Path(link).exists():
            command += ["--ro-bind", link, link]
    for path in reads:
        command += ["--ro-bind", str(path), str(path)]
    for path in writes:
        command += ["--bind", str(path), str(path)]
    for name, value in (env or {}).items():
        command += ["--setenv", name, value]
    if writes:
        command += ["--chdir", str(writes[0])]
    return [*command, "--", *argv]


@contextlib.contextmanager
def ghostscript_boxed(scratch: Path) -> Iterator[None]:
    """While inside, `gs` on PATH is Ghostscript in the box, which can read and write only
    `scratch`, where this process's temporary files go now (ocrmypdf's work folder among them):
    a PDF from outside rendered for OCR reaches nothing else. For one job at a time in a process
    (an OCR child)."""
    gs = shutil.which("gs")
    if gs is None:
        raise MissingDependencyError("Ghostscript is needed to read PDF pages; run: apt-get install ghostscript")
    scratch = scratch.resolve()
    bin_dir = scratch / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "gs"
    shim.write_text("#!/bin/sh\nexec " + shlex.join(boxed([gs], writes=[scratch], env=ENV)) + ' "$@"\n')
    shim.chmod(0o755)
    saved = os.environ.get("PATH", ""), os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{saved[0]}"
    os.environ["TMPDIR"] = tempfile.tempdir = str(scratch)
    try:
        yield
    finally:
        os.environ["PATH"], tempfile.tempdir = saved[0], saved[2]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        shutil.rmtree(scratch, ignore_errors=True)
