"""Tesseract as a library (libtesseract, through tesserocr), loaded once in each OCR child: a page
costs the engine's reading only, not a program start and its language models loaded again.

`recognise` makes a page's text and its invisible text layer in one pass — tesseract's own text
and PDF renderers (`textonly_pdf`), the same output as `tesseract PAGE out pdf txt`; `orientation`
asks tesseract's orientation detection (OSD) which way up a page is. The language data is the
tessdata folder the `tesseract` program reads (`tesseract.tessdata`). One thread per engine:
pages run side by side, one per core.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import MissingDependencyError, OcrError
from . import tesseract
from .probe import Probe

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before libtesseract starts OpenMP, if it uses it

#: Tesseract's orientation confidence below which a page is left as it is (ocrmypdf's default).
ORIENTATION_THRESHOLD = 14.0
#: A page that takes longer than this is not a page: its OCR fails, and the batch with it.
TIMEOUT_SECONDS = 300
_lock = threading.Lock()  # an engine reads one page at a time


@dataclass(frozen=True)
class Word:
    """One word as the engine read it."""

    text: str
    confidence: float  # 0-100, the engine's own
    dictionary: bool  # a word of the languages' dictionaries (the engine's word lists)


#: A box on the page image: left, top, right, bottom, in its pixels.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Line:
    """One line as the engine read it, and where it stands on the image read."""

    text: str
    box: Box


@dataclass(frozen=True)
class Recognised:
    text: str  # what tesseract read, as its text renderer gives it
    text_pdf: Path  # one page: tesseract's own invisible text layer, at the page's size
    words: tuple[Word, ...] = ()
    lines: tuple[Line, ...] = ()  # the lines with text, in the order read


@dataclass(frozen=True)
class Orientation:
    turn: int  # clockwise degrees that make the page upright
    confidence: float


def version() -> str:
    import tesserocr

    return tesserocr.tesseract_version().split()[1]


def probe(_settings) -> Probe:
    try:
        found = version()
    except (ImportError, OSError) as exc:
        return Probe("libtesseract", False, detail=f"tesserocr cannot be loaded ({exc})",
                     fix="run: scripts/setup.sh", code="cannot_load", params={"command": "scripts/setup.sh"})
    return Probe("libtesseract", True, found, "tesserocr")


@functools.cache
def _engine(languages: tuple[str, ...], tessdata: Path):
    """The engine with these languages loaded, kept for the life of this process."""
    from tesserocr import PyTessBaseAPI

    try:
        api = PyTessBaseAPI(path=f"{tessdata}/", lang="+".join(languages))
    except RuntimeError:
        api = None
    missing = [lang for lang in languages if api is None or lang not in api.GetLoadedLanguages()]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise MissingDependencyError(f"tesseract: language data {', '.join(missing)} not installed in {tessdata}; "
                                     f"run: apt-get install {packages}")
    for name in ("textonly_pdf", "tessedit_create_pdf", "tessedit_create_txt"):
        api.SetVariable(name, "1")
    return api


def load(languages: tuple[str, ...]) -> None:
    """Load the engine now (an OCR child warming up while the batch is still being read); a
    language missing is said when a page is read."""
    try:
        _engine(tuple(languages), tesseract.tessdata())
    except MissingDependencyError:
        pass


@functools.cache
def _osd(tessdata: Path):
    from tesserocr import PSM, PyTessBaseAPI

    try:
        return PyTessBaseAPI(path=f"{tessdata}/", lang="osd", psm=PSM.OSD_ONLY)
    except RuntimeError:
        raise MissingDependencyError(f"tesseract: orientation data (osd) not installed in {tessdata}; "
                                     "run: apt-get install tesseract-ocr-osd") from None


def recognise(image: Path, out_base: Path, *, languages: tuple[str, ...], dpi: int,
              block: bool = False) -> Recognised:
    """OCR one page image: its text, and its text layer as a one-page PDF of invisible words over
    where they are printed — the engine's own output, nothing redrawn. The files are `out_base`
    with .txt and .pdf added. The page's layout is analysed (`--psm 3`), unless `block`: then
    what is on it is read as one block of text (`--psm 6`)."""
    from tesserocr import PSM

    with _lock:
        api = _engine(tuple(languages), tesseract.tessdata())
        api.SetVariable("user_defined_dpi", str(dpi))
        api.SetPageSegMode(PSM.SINGLE_BLOCK if block else PSM.AUTO)
        done = api.ProcessPages(str(out_base), str(image), timeout=TIMEOUT_SECONDS * 1000)
        words, lines = (_words(api), _lines(api)) if done else ((), ())
    text_file, text_pdf = Path(f"{out_base}.txt"), Path(f"{out_base}.pdf")
    if not done or not text_file.is_file() or not text_pdf.is_file():
        raise OcrError(f"{image.name}: tesseract could not read the page (took over {TIMEOUT_SECONDS} s, or "
                       "the image is not one it reads)")
    text = text_file.read_text(encoding="utf-8", errors="replace")
    return Recognised(text.replace("\f", "").strip(), text_pdf, words, lines)


def _words(api) -> tuple[Word, ...]:
    """The words of the page just read, with the engine's confidence and whether each is a word
    of its dictionaries (the results stay with the engine until the next page)."""
    from tesserocr import RIL, iterate_level

    found = []
    iterator = api.GetIterator()
    if iterator is None:
        return ()
    for word in iterate_level(iterator, RIL.WORD):
        try:
            text = word.GetUTF8Text(RIL.WORD)
        except RuntimeError:  # an empty word
            continue
        found.append(Word(text, round(float(word.Confidence(RIL.WORD)), 1), bool(word.WordIsFromDictionary())))
    return tuple(found)


def _lines(api) -> tuple[Line, ...]:
    """The lines with text of the page just read, where each stands."""
    from tesserocr import RIL, iterate_level

    iterator = api.GetIterator()
    if iterator is None:
        return ()
    found = []
    for line in iterate_level(iterator, RIL.TEXTLINE):
        try:
            text, box = line.GetUTF8Text(RIL.TEXTLINE).strip(), line.BoundingBox(RIL.TEXTLINE)
        except RuntimeError:  # an empty line
            continue
        if text and box:
            found.append(Line(text, tuple(box)))
    return tuple(found)


def orientation(image: Path) -> Orientation:
    """Which way up the page is, by tesseract's orientation detection; a page with too little
    text to tell is upright, with no confidence."""
    with _lock:
        api = _osd(tesseract.tessdata())
        api.SetImageFile(str(image))
        found = api.DetectOrientationScript()
    if not found:
        return Orientation(0, 0.0)
    # The page is printed `orient_deg` degrees clockwise of upright: turn it back.
    return Orientation((360 - int(found["orient_deg"])) % 360, float(found["orient_conf"]))
