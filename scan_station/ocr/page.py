"""Page-level OCR: every content page OCR'd on its own, as soon as it is known, its result kept
with the page; a document is then only assembled from its pages' results (`assemble`).

What a page needs — its own pixels, which way up it is, levelled and cleaned, its text and text
layer from tesseract, its image stored small — does not depend on where its document starts or
ends. So pages are OCR'd while the officer is still scanning and reviewing (the kiosk queues a
job per page), or while the rest of the batch is still being classified (`ingest`); *Konfirmasi*
then only assembles, stamps and files. A page the officer turns is done again; nothing else is.

    PageJob --`ocr_page`, in an OCR child--> PageResult, kept in <folder>/page-0005/

A result is kept under its job's key — the page file's SHA-256, the turn, the settings that shape
it — so a page scanned again or turned has another key and is done again, and a result is used
only for the job that made it.

Which way up is the page's own evidence: the cover's reading is only a first guess; a glance at
the page's lines (`orientation.which_way_up`) turns a page clearly upside down, tesseract's
orientation detection (OSD) is asked about the pages the glance cannot tell, and only a page with
too little text for either lies as its cover does. Every reading is then judged (`readability`):
a page below the bar is read again — turned 180°, unlevelled, as OSD says — and the better
reading kept; what the officer should still look at is kept with the result (`page_checks`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image

from .._exec import libtesseract
from ..core import storage
from ..core.errors import DiskFullError, StorageError
from ..core.model import PageCheck
from ..pages.images import Kind, StoredImage, as_grey, encode, straightened, stretched
from ..pages.source import PageSource, SourceImage, load
from . import missed_lines, page_checks
from . import testing_cache as testing_ocr_cache
from .orientation import Lie, which_way_up
from .readability import Readability, Verdict, judge, text_marks

#: Changes whenever a result made by older code would differ: older results are made again.
RESULT_VERSION = 4
RESULT_FILE = "result.json"
#: Pages scanned below this are read by tesseract upsampled to it (low-resolution scans read better).
OCR_MIN_DPI = 300
CLOCKWISE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
#: A page with at least this many text-like marks has text enough for orientation detection.
OSD_MARKS = 40
#: Another reading of an unreadable page is kept only with this many times the words that are words.
CLEARLY = 1.5
#: What a kept record may say: the filters and colour spaces `page_images.encode` stores.
FILTERS, COLOURS = ("/CCITTFaxDecode", "/DCTDecode", "/FlateDecode"), ("/DeviceGray", "/DeviceRGB")


@dataclass(frozen=True)
class PageJob:
    number: int  # the batch page
    source: PageSource
    source_sha256: str  # of the source file: the page's identity
    folder: Path  # results go into folder/page-NNNN/
    #: Clockwise degrees known before OCR: the cover's reading, and the officer's turns.
    turn: int = 0
    #: The officer turned the page: it is shown as they saw it, without an orientation check.
    turn_is_final: bool = False
    languages: tuple[str, ...] = ("ind", "eng")
    compact: bool = True  # levelled, cleaned, stored small (`page_images = "compact"`)
    default_dpi: float = 300
    max_image_mpixels: float = 250

    @property
    def key(self) -> str:
        parts = [RESULT_VERSION, self.source_sha256, self.source.index, self.turn % 360, self.turn_is_final,
                 list(self.languages), self.compact, self.default_dpi]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]

    @property
    def place(self) -> Path:
        return self.folder / f"page-{self.number:04d}"


@dataclass(frozen=True)
class PageResult:
    number: int
    key: str
    text: str  # the engine's own text of the page
    text_pdf: Path  # tesseract's invisible text layer, one page
    image_file: Path  # the stored image's data (`image` says how to read it)
    image: StoredImage = field(repr=False)
    page_size: tuple[float, float]  # of the upright page, in points
    #: Clockwise degrees the stored image is turned when drawn (a kept JPEG is not re-encoded to
    #: turn it); 0 when the stored pixels are upright.
    placement: int
    turn: int  # clockwise degrees from the page as scanned to upright, in all
    levelled: bool  # skew or dark borders were corrected
    readability: Readability  # of the reading kept
    checks: tuple[PageCheck, ...]  # what the officer should look at on this page (`page_checks`)
    #: Where the page's time went, in seconds: read, level, orientation, tesseract, readability, store.
    seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        image = {k: v for k, v in asdict(self.image).items() if k != "data"}
        return {"number": self.number, "key": self.key, "text": self.text, "text_pdf": self.text_pdf.name,
                "image_file": self.image_file.name, "image": image | {"kind": image["kind"] and str(image["kind"])},
                "page_size": list(self.page_size), "placement": self.placement, "turn": self.turn,
                "levelled": self.levelled, "readability": self.readability.as_dict(),
                "checks": [c.as_dict() for c in self.checks], "seconds": self.seconds,
                "sha256": [_sha256(self.text_pdf.read_bytes()), _sha256(self.image.data)]}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_result(job: PageJob) -> PageResult | None:
    """The result kept for exactly this job, if there is a whole one: a record of this job's key,
    whose fields are what `to_json` writes and whose files are the ones it was made with (their
    SHA-256). Anything else — none yet, a partial or damaged one — is made again."""
    text_pdf, image_file = job.place / f"{job.key}.text.pdf", job.place / f"{job.key}.image"
    try:
        data = json.loads((job.place / RESULT_FILE).read_text())
        spec, data_bytes = data["image"], image_file.read_bytes()
        if data["key"] != job.key or data["sha256"] != [_sha256(text_pdf.read_bytes()), _sha256(data_bytes)]:
            return None
        image = StoredImage(data_bytes, spec["filter"], spec["colour"], spec["bits"], spec["width"],
                            spec["height"], Kind(spec["kind"]) if spec["kind"] else None, spec["black_is_1"])
        result = PageResult(job.number, job.key, data["text"], text_pdf, image_file, image,
                            tuple(data["page_size"]), data["placement"], data["turn"], data["levelled"],
                            Readability.from_dict(data["readability"]),
                            tuple(PageCheck.from_dict(c) for c in data["checks"]),
                            {str(k): float(v) for k, v in data.get("seconds", {}).items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return result if _sound(result) else None


def _files(job: PageJob) -> tuple[str, ...]:
    """The names of the files a job's result is kept in, in its place."""
    return RESULT_FILE, f"{job.key}.text.pdf", f"{job.key}.image"


def _sound(result: PageResult) -> bool:
    """Fields a document can be assembled from (a record that lies is made again, not filed)."""
    image, turns = result.image, (0, 90, 180, 270)
    return (isinstance(result.text, str) and result.placement in turns and result.turn in turns
            and image.filter in FILTERS and image.colour in COLOURS and image.bits in (1, 8)
            and isinstance(image.black_is_1, bool)
            and all(type(v) is int and v > 0 for v in (image.width, image.height))
            and len(result.page_size) == 2
            and all(isinstance(v, int | float) and 0 < v <= 14400 for v in result.page_size))


def kept_result(job: PageJob) -> PageResult | None:
    """The result kept for this job (`load_result`); in the test suite also one cached from an
    earlier test (`testing_cache`), so that no OCR child is started for it."""
    return load_result(job) or (load_result(job) if testing_ocr_cache.restore(job, _files(job)) else None)


def ocr_page(job: PageJob) -> PageResult:
    """The page's result: the one kept for this job, else made now and kept (in an OCR child)."""
    kept = kept_result(job)
    if kept is not None:
        return kept
    seconds: dict[str, float] = {}
    with _timed(seconds, "read"):
        source = load(job.source, default_dpi=job.default_dpi, max_megapixels=job.max_image_mpixels)
    work = job.place / f"{job.key}.{os.getpid()}.work"
    try:
        job.folder.mkdir(exist_ok=True)  # not its parents: a batch filed or removed meanwhile stays gone
        job.place.mkdir(exist_ok=True)
        page = _upright(job, source, work, seconds)
        reading = _read(page, work, job.languages, seconds)
        if reading.verdict.verdict is Verdict.CHECK:
            page, reading = _read_again(job, source, page, reading, work, seconds)
        result = _keep(job, page, reading, seconds)
        testing_ocr_cache.keep(job, _files(job))
        return result
    except OSError as exc:
        if exc.errno is None:  # not the folder's: an image a library could not handle
            raise
        kind = DiskFullError if exc.errno in (errno.ENOSPC, errno.EDQUOT) else StorageError
        raise kind(f"cannot keep the OCR of page {job.number} in {job.folder}: {exc.strerror}") from None
    finally:
        for leftover in job.place.glob(f"{work.name}*"):
            leftover.unlink(missing_ok=True)


@dataclass
class _Page:
    """The page on its way to upright, and what was done to it."""

    image: Image.Image
    dpi: tuple[float, float]
    jpeg: bytes | None  # the scanner's JPEG, while the pixels are still exactly it (turns aside)
    turn: int = 0
    levelled: bool = False
    skew: float = 0.0  # measured; levelled only up to page_images.MAX_SKEW
    asked_osd: bool = False

    def square(self) -> None:
        """Pixels as high as they are wide (a fax is 204 × 98 dpi): levelling, punch holes and which
        way up are measured in them."""
        dpi = max(self.dpi)
        if min(self.dpi) < 0.99 * dpi:
            size = (round(self.image.width * dpi / self.dpi[0]), round(self.image.height * dpi / self.dpi[1]))
            self.image, self.dpi, self.jpeg = self.image.resize(size, Image.Resampling.BICUBIC), (dpi, dpi), None

    def turned(self, degrees: int) -> _Page:
        if degrees % 360:
            self.image = self.image.transpose(CLOCKWISE[degrees % 360])
            self.dpi = self.dpi if degrees % 180 == 0 else self.dpi[::-1]
            self.turn = (self.turn + degrees) % 360
        return self

    def level(self) -> None:
        done = straightened(self.image, self.dpi[0])
        self.skew = done.skew
        if done.image is not None:
            self.image, self.jpeg, self.levelled = done.image, None, True

    def copy(self) -> _Page:
        return dataclasses.replace(self)


@dataclass(frozen=True)
class _Reading:
    """One reading of the page by the engine, and the verdict on it."""

    recognised: libtesseract.Recognised
    verdict: Readability


@contextlib.contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = round(seconds.get(stage, 0.0) + time.perf_counter() - started, 3)


def _upright(job: PageJob, source: SourceImage, work: Path, seconds: dict[str, float]) -> _Page:
    """Turned as known (the officer's turn is final; the cover's only a first guess), levelled,
    and turned by the page's own evidence: its lines' ascenders at a glance, else the engine's
    orientation detection. A page with too little text to tell stays as its cover lies."""
    page = _Page(source.image, source.dpi, source.jpeg)
    page.square()
    page.turned(job.turn)
    if job.compact:
        with _timed(seconds, "level"):
            page.level()
    if job.turn_is_final:
        return page
    with _timed(seconds, "orientation"):
        lie = which_way_up(page.image, page.dpi[0])
        if lie is Lie.UPSIDE_DOWN:
            page.turned(180)
        elif lie is Lie.SIDEWAYS or (lie is Lie.UNCLEAR and _has_text(page)):
            _ask_osd(page, work)
    if job.compact and page.turn % 180 != job.turn % 180:  # sideways text is not levelled: now it can be
        with _timed(seconds, "level"):
            page.level()
    return page


def _has_text(page: _Page) -> bool:
    """Enough text-like marks for the engine's orientation detection to tell which way up."""
    return text_marks(page.image, page.dpi[0]).count >= OSD_MARKS


def _ask_osd(page: _Page, work: Path) -> None:
    """Turn the page as tesseract's orientation detection says, when it is confident."""
    page.asked_osd = True
    found = libtesseract.orientation(_ocr_image(page, work)[0])
    if found.turn and found.confidence >= libtesseract.ORIENTATION_THRESHOLD:
        page.turned(found.turn)


def _read(page: _Page, work: Path, languages: tuple[str, ...], seconds: dict[str, float]) -> _Reading:
    """The engine's reading of the page as it lies now, judged (`readability`)."""
    with _timed(seconds, "tesseract"):
        image, dpi = _ocr_image(page, work)
        out = work.with_name(f"{work.name}-{page.turn}-{int(page.levelled)}")
        recognised = libtesseract.recognise(image, out, languages=languages, dpi=dpi)
    with _timed(seconds, "readability"):
        marks = text_marks(page.image, page.dpi[0])
    with _timed(seconds, "missed_lines"):
        recognised = missed_lines.read_again(recognised, marks, image=image, scale=dpi / page.dpi[0], dpi=dpi,
                                             languages=languages, out_base=out)
    with _timed(seconds, "readability"):
        verdict = judge(recognised.words, marks)
    return _Reading(recognised, verdict)


def _read_again(job: PageJob, source: SourceImage, page: _Page, reading: _Reading, work: Path,
                seconds: dict[str, float]) -> tuple[_Page, _Reading]:
    """A page below the readability bar read again the other ways it could be right: turned
    180° (unless the officer turned it), as scanned rather than levelled (levelling may have
    been the harm), turned as the orientation detection says if it was not asked yet; the
    best reading is kept (`Readability.score`: letters in words that are words)."""
    best = (page, reading)

    def better(candidate: _Page) -> bool:
        nonlocal best
        found = _read(candidate, work, job.languages, seconds)
        if _better(found.verdict, best[1].verdict):
            best = (candidate, found)
        return found.verdict.readable

    if not job.turn_is_final and better(page.copy().turned(180)):
        return best
    if page.levelled:
        unlevelled = _Page(source.image, source.dpi, source.jpeg)
        unlevelled.square()
        if better(unlevelled.turned(best[0].turn)):
            return best
    if not job.turn_is_final and not page.asked_osd:
        asked = best[0].copy()
        with _timed(seconds, "orientation"):
            _ask_osd(asked, work)
        if asked.turn != best[0].turn:
            better(asked)
    return best


def _better(found: Readability, kept: Readability) -> bool:
    """Whether another reading of a page is better than the one kept: readable where the kept one
    is not, or clearly more words that are words — not a few letters of garbage more, which would
    turn a page nobody can read any which way."""
    if found.readable != kept.readable:
        return found.readable
    return found.score > max(CLEARLY * kept.score, kept.score + 20)


def _ocr_image(page: _Page, work: Path) -> tuple[Path, int]:
    """The page as tesseract reads it, and its resolution: grey, its contrast stretched from ink to
    paper (`page_images.stretched`), at least OCR_MIN_DPI and the same resolution both ways, in an
    uncompressed TIFF (nothing to encode or decode; leptonica reads a PGM a byte at a time, 0.15 s
    more of a 300 dpi A4 page)."""
    dpi = round(max(OCR_MIN_DPI, *page.dpi))
    width, height = (round(page.image.width * dpi / page.dpi[0]), round(page.image.height * dpi / page.dpi[1]))
    grey = stretched(as_grey(page.image))
    if (width, height) != grey.size:
        grey = grey.resize((width, height), Image.Resampling.BICUBIC)
    path = work.with_suffix(".work.tif")
    grey.save(path, format="TIFF", compression="raw")  # not the source's own (a fax's group4 cannot take grey)
    return path, dpi


def _keep(job: PageJob, page: _Page, reading: _Reading, seconds: dict[str, float]) -> PageResult:
    """Store the page image small, and keep the result with the page (its record last)."""
    started = time.perf_counter()
    stored, placement = encode(page.image, compact=job.compact, jpeg=page.jpeg), 0
    if page.jpeg is not None and stored.data is page.jpeg and page.turn:  # kept as scanned: drawn turned
        width, height = (stored.width, stored.height) if page.turn == 180 else (stored.height, stored.width)
        stored, placement = dataclasses.replace(stored, width=width, height=height), page.turn
    text_pdf, image_file = job.place / f"{job.key}.text.pdf", job.place / f"{job.key}.image"
    storage.replace_file(text_pdf, reading.recognised.text_pdf.read_bytes())
    storage.replace_file(image_file, stored.data)
    size = (page.image.width / page.dpi[0] * 72, page.image.height / page.dpi[1] * 72)
    checks = page_checks.of_page(page.image, page.dpi[0], number=job.number, skew=page.skew,
                                 readability=reading.verdict)
    seconds["store"] = round(time.perf_counter() - started, 3)
    result = PageResult(job.number, job.key, reading.recognised.text, text_pdf, image_file, stored, size, placement,
                        page.turn, page.levelled, reading.verdict, checks, seconds)
    storage.replace_json(job.place / RESULT_FILE, result.to_json())
    return result
