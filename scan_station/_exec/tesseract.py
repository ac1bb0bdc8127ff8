"""Tesseract: its version and installed languages, and running it on one page image (it has no
library interface we use).

Languages are read from `tesseract --list-langs`, which honours `TESSDATA_PREFIX`; the probe
wants every language of `ocr_languages` and `osd` (orientation detection). `recognise` makes a
page's text and its invisible text layer in one run; `orientation` asks which way up a page is.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import MissingDependencyError, OcrError
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
def _languages(_tessdata: str | None) -> frozenset[str] | None:
    text = run_program("tesseract", "--list-langs")
    if text is None:
        return None
    return frozenset(line.strip() for line in text.splitlines()[1:] if line.strip() and " " not in line.strip())


def languages() -> frozenset[str]:
    """The installed language data (for the tessdata folder in force now)."""
    return _languages(os.environ.get("TESSDATA_PREFIX")) or frozenset()


def probe(settings) -> Probe:
    found = _version()
    if not found:
        return Probe("tesseract", False, detail="not installed", fix="run: apt-get install tesseract-ocr")
    if not at_least(found, MIN_VERSION):
        wanted_version = ".".join(map(str, MIN_VERSION))
        return Probe("tesseract", False, found, f"{found} is too old", f"{wanted_version} or newer is needed")
    wanted = [*dict.fromkeys([*settings.ocr_languages.split("+"), "osd"])]
    missing = [lang for lang in wanted if lang not in languages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        return Probe("tesseract", False, found, f"language data {', '.join(missing)} not installed",
                     f"run: apt-get install {packages}")
    return Probe("tesseract", True, found, f"languages {', '.join(wanted)}")


# -- running it ------------------------------------------------------------------------------------

#: Tesseract's orientation confidence below which a page is left as it is (ocrmypdf's default).
ORIENTATION_THRESHOLD = 14.0
#: A page that takes longer than this is not a page: its OCR fails, and the batch with it.
TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Recognised:
    text: str  # what tesseract read, as its `txt` output gives it
    text_pdf: Path  # one page: tesseract's own invisible text layer (`textonly_pdf`), at the page's size


@dataclass(frozen=True)
class Orientation:
    turn: int  # clockwise degrees that make the page upright
    confidence: float


def _environment() -> dict[str, str]:
    """One thread per tesseract: pages run side by side, one per core (OpenMP threads only fight)."""
    return os.environ | {"OMP_THREAD_LIMIT": "1"}


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(["tesseract", *args], capture_output=True, env=_environment(),
                              timeout=TIMEOUT_SECONDS, check=True)
    except FileNotFoundError:
        raise MissingDependencyError("tesseract is not installed; run: apt-get install tesseract-ocr") from None
    except subprocess.TimeoutExpired:
        raise OcrError(f"{what}: tesseract took longer than {TIMEOUT_SECONDS} s") from None
    except subprocess.CalledProcessError as exc:
        _check_languages(exc.stderr or b"")
        said = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"{what}: tesseract failed ({said[-1] if said else f'exit {exc.returncode}'})") from None
    _check_languages(done.stderr)  # with one language missing it reads on with the others: not with ours
    return done


def _check_languages(stderr: bytes) -> None:
    said = stderr.decode("utf-8", "replace")
    missing = re.findall(r"Failed loading language '([^']+)'", said)
    if missing or "couldn't load any languages" in said:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing) or "tesseract-ocr-ind tesseract-ocr-eng"
        raise MissingDependencyError(f"tesseract: language data {', '.join(missing) or 'missing'} not installed; "
                                     f"run: apt-get install {packages}")


def recognise(image: Path, out_base: Path, *, languages: tuple[str, ...], dpi: int) -> Recognised:
    """OCR one page image: its text, and its text layer as a one-page PDF of invisible words over
    where they are printed — the engine's own output, nothing redrawn. The files are `out_base`
    with .txt and .pdf added."""
    _run([str(image), str(out_base), "-l", "+".join(languages), "--dpi", str(dpi), "-c", "textonly_pdf=1",
          "-c", "tessedit_create_pdf=1", "-c", "tessedit_create_txt=1"], image.name)  # not the config files
    text = Path(f"{out_base}.txt").read_text(encoding="utf-8", errors="replace")
    return Recognised(text.replace("\f", "").strip(), Path(f"{out_base}.pdf"))


def orientation(image: Path) -> Orientation:
    """Which way up the page is, by tesseract's orientation detection (OSD); a page with too little
    text to tell is upright, with no confidence."""
    try:
        done = _run([str(image), "stdout", "--psm", "0", "-l", "osd"], image.name)
    except OcrError:  # "Too few characters", "Image too large": nothing to go by
        return Orientation(0, 0.0)
    found = dict(line.split(":", 1) for line in done.stdout.decode("utf-8", "replace").splitlines() if ":" in line)
    try:
        angle, confidence = int(found["Orientation in degrees"]), float(found["Orientation confidence"])
    except (KeyError, ValueError):
        return Orientation(0, 0.0)
    # The page is printed `angle` degrees clockwise of upright: turn it back.
    return Orientation((360 - angle) % 360, confidence)
