"""Reading a scanned batch: a PDF of page images, a multi-page TIFF, or a folder of page images.

`read_batch` checks everything before anything is written — that each file is a regular file
(never a named pipe or device, which would block), opens, is not encrypted, has pages, that each
image is a picture of a page and no decompression bomb — and gives back one PDF with every page
in order (the input PDF itself, or the images wrapped losslessly by img2pdf), plus the list of
files as received, which storage keeps unchanged. Each problem raises an `InputFileError`
subclass with a one-line message.

The decompression-bomb guard is one rule, `max_image_megapixels`, for every image wherever it
lives: image XObjects anywhere in a PDF (page resources, nested forms, annotation appearances,
patterns), inline images in every content stream, page images and TIFF frames. Pillow's own
limit follows the setting while a batch is read, so it never contradicts it.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image, ImageSequence, UnidentifiedImageError

from ..core.config import Settings, plausible_dpi
from ..core.errors import (
    CorruptPdfError,
    DecompressionBombError,
    EmptyBatchError,
    EncryptedPdfError,
    InputFileError,
    NotAnImageError,
    NotAPageError,
)
from .source import PageSource, pillow_limit, plain, recorded_dpi

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pnm", ".pbm", ".pgm", ".ppm"}
MM_PER_INCH = 25.4
#: A page is between a small receipt and an A0 drawing.
MIN_PAGE_MM, MAX_PAGE_MM, MAX_ASPECT = 40.0, 1200.0, 8.0
MIN_PAGE_PIXELS = 150


@dataclass(frozen=True)
class PageOrigin:
    file: str  # name of the raw file the page came from
    frame: int  # 1-based page or frame within that file


@dataclass(frozen=True)
class BatchInput:
    source: Path
    raw_files: list[Path]  # as received, in page order
    #: Every page of the batch, in order, as one PDF; None for images read without wrapping them
    #: (a scanned batch folder, whose pages were classified as they were scanned).
    pdf: Path | None
    origins: list[PageOrigin]

    @property
    def page_count(self) -> int:
        return len(self.origins)

    def wrapped(self) -> Path:
        if self.pdf is None:
            raise ValueError("this batch's images were not wrapped into a PDF (read_batch(wrap=False))")
        return self.pdf

    def page_sources(self) -> list[PageSource]:
        """Where each page's own pixels are: the PDF's pages, or the image files' frames."""
        if self.raw_files == [self.pdf]:
            assert self.pdf is not None  # it is the batch's one raw file
            return [PageSource(self.pdf, n) for n in range(1, self.page_count + 1)]
        files = {path.name: path for path in self.raw_files}
        return [PageSource(files[origin.file], origin.frame) for origin in self.origins]


def _natural_key(path: Path) -> list[object]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def _check_page_size(name: str, width_mm: float, height_mm: float) -> None:
    short, long = sorted((width_mm, height_mm))
    if short < MIN_PAGE_MM or long > MAX_PAGE_MM or long / max(short, 1e-6) > MAX_ASPECT:
        raise NotAPageError(
            f"{name}: {width_mm:.0f} × {height_mm:.0f} mm is not the size of a scanned page "
            f"(expected {MIN_PAGE_MM:.0f}–{MAX_PAGE_MM:.0f} mm a side); remove it from the batch"
        )


def _check_pixels(name: str, width: int, height: int, settings: Settings) -> None:
    megapixels = width * height / 1e6
    if megapixels > settings.max_image_megapixels:
        raise DecompressionBombError(
            f"{name}: image of {width} × {height} pixels ({megapixels:.0f} MP) is larger than "
            f"max_image_megapixels = {settings.max_image_megapixels:g}; scan at a lower resolution "
            "or raise that setting if the image is genuine"
        )


def _check_regular_file(path: Path, name: str) -> None:
    """Refuse named pipes, devices, sockets and folders before opening (a pipe would block)."""
    try:
        mode = path.stat().st_mode  # follows symbolic links: a link to a file is fine
    except FileNotFoundError:
        raise InputFileError(f"{name}: no such file (a broken link?)") from None
    except OSError as exc:
        raise InputFileError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise InputFileError(
            f"{name}: not a regular file but {kind}; ingest a PDF, a TIFF or a folder of page images"
        )


# -- PDF -----------------------------------------------------------------------------------------


def _open_pdf(path: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError:
        raise EncryptedPdfError(
            f"{path.name}: the PDF is password-protected; save an unprotected copy and ingest that"
        ) from None
    except (pikepdf.PdfError, ValueError) as exc:
        raise CorruptPdfError(f"{path.name}: not a readable PDF ({_first_line(exc)})") from None


def _read_pdf(path: Path, settings: Settings) -> BatchInput:
    with _open_pdf(path) as pdf:
        try:
            count = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise CorruptPdfError(f"{path.name}: page tree is damaged ({_first_line(exc)})") from None
        if count == 0:
            raise EmptyBatchError(f"{path.name}: the PDF has no pages")
        for number, page in enumerate(pdf.pages, start=1):
            with _damaged(f"{path.name} page {number}"):
                box = page.mediabox
                width_mm = abs(float(box[2]) - float(box[0])) / 72 * MM_PER_INCH
                height_mm = abs(float(box[3]) - float(box[1])) / 72 * MM_PER_INCH
            _check_page_size(f"{path.name} page {number}", width_mm, height_mm)
            _check_inline_images(f"{path.name} page {number}", page, settings)
        _check_pdf_images(path.name, pdf, settings)
    origins = [PageOrigin(path.name, n) for n in range(1, count + 1)]
    return BatchInput(source=path, raw_files=[path], pdf=path, origins=origins)


@contextmanager
def _damaged(name: str) -> Iterator[None]:
    """PDF objects that are not what the format says they are: a CorruptPdfError."""
    try:
        yield
    except (pikepdf.PdfError, KeyError, TypeError, ValueError, AttributeError, NotImplementedError) as exc:
        raise CorruptPdfError(f"{name} is damaged ({_first_line(exc)})") from None


def _pixel_size(name: str, image: pikepdf.Object) -> tuple[int, int]:
    """/Width and /Height (inline images may say /W and /H); anything but positive whole numbers
    means a damaged PDF."""
    width, height = image.get("/Width", image.get("/W")), image.get("/Height", image.get("/H"))
    for value in (width, height):
        if type(value) is not int or value <= 0:
            raise CorruptPdfError(f"{name} is damaged (an image is {width!r} × {height!r} pixels)")
    assert isinstance(width, int) and isinstance(height, int)  # checked just above
    return width, height


def _check_inline_images(name: str, content: pikepdf.Page | pikepdf.Stream, settings: Settings) -> None:
    """Inline images (`BI ... ID ... EI`) in one content stream; their data is not decoded."""
    with _damaged(name):
        instructions = pikepdf.parse_content_stream(content, "BI ID EI")
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            with _damaged(name):
                image = instruction.iimage.obj
            _check_pixels(name, *_pixel_size(name, image), settings)


def _content_streams(obj: pikepdf.Object) -> list[pikepdf.Stream]:
    """Content streams other than pages': form XObjects (annotation appearances too), tiling
    patterns, and the glyph procedures of Type 3 fonts."""
    if isinstance(obj, pikepdf.Stream):
        return [obj] if "/BBox" in obj or obj.get("/Subtype") == "/Form" else []
    if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type3":
        procs = obj.get("/CharProcs")
        if isinstance(procs, pikepdf.Dictionary):
            return [p for p in procs.values() if isinstance(p, pikepdf.Stream)]
    return []


def _check_pdf_images(name: str, pdf: pikepdf.Pdf, settings: Settings) -> None:
    """Every image XObject in the file, wherever it is used, and the inline images of every
    content stream that is not a page's."""
    with _damaged(name):
        objects = list(pdf.objects)
    for obj in objects:
        with _damaged(name):
            is_image = isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
            streams = [] if is_image else _content_streams(obj)
        if is_image:
            assert isinstance(obj, pikepdf.Stream)  # is_image says so
            _check_pixels(name, *_pixel_size(name, obj), settings)
            _check_coded_size(name, obj, settings)
        for stream in streams:
            _check_inline_images(name, stream, settings)


def _check_coded_size(name: str, image: pikepdf.Stream, settings: Settings) -> None:
    """A JPEG or JPEG 2000 image is as large as its own header says, whatever /Width and /Height
    claim: that size is checked too (its data is not decoded)."""
    if image.get("/Filter") not in ("/DCTDecode", "/JPXDecode"):
        return
    try:
        with pillow_limit(settings.max_image_megapixels), Image.open(io.BytesIO(image.read_raw_bytes())) as coded:
            size = coded.size
    except Image.DecompressionBombError:  # over twice the limit
        raise DecompressionBombError(f"{name}: an image whose data is larger than its size says, and than "
                                     f"max_image_megapixels = {settings.max_image_megapixels:g}") from None
    except (OSError, SyntaxError, ValueError, pikepdf.PdfError):  # damaged data: drawn as it is by the renderer
        return
    _check_pixels(name, *size, settings)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# -- images --------------------------------------------------------------------------------------


def _open_image(path: Path, settings: Settings) -> Image.Image:
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:  # more than twice Pillow's limit
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f" of {int(found.group(1)) / 1e6:.0f} MP" if found else ""
        raise DecompressionBombError(
            f"{path.name}: image{size} is larger than max_image_megapixels = "
            f"{settings.max_image_megapixels:g}; scan at a lower resolution or raise that setting "
            "if the image is genuine"
        ) from None
    except UnidentifiedImageError:
        raise NotAnImageError(
            f"{path.name}: not an image Scan Station can read (PNG, JPEG, TIFF or PNM expected)"
        ) from None
    except OSError as exc:
        raise InputFileError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    _check_pixels(path.name, *image.size, settings)
    return image


def _frame_to_pdf_image(frame: Image.Image, dpi: tuple[float, float], is_jpeg: bool, raw: bytes | None) -> bytes:
    """Bytes img2pdf embeds without loss: JPEGs that record a believable resolution as they are
    (img2pdf takes the page size from it), everything else as PNG at `dpi` (quickly: a work file)."""
    if is_jpeg and raw is not None and plausible_dpi(frame.info.get("dpi")) is not None:
        return raw
    if frame.mode not in ("1", "P") or "transparency" in frame.info:
        frame = plain(frame)
    out = io.BytesIO()
    frame.save(out, format="PNG", dpi=dpi, compress_level=1)
    return out.getvalue()


def _read_images(files: list[Path], source: Path, work: Path, settings: Settings, *, wrap: bool) -> BatchInput:
    with pillow_limit(settings.max_image_megapixels):  # img2pdf opens every page with Pillow too
        return _images_to_pdf(files, source, work, settings, wrap=wrap)


def _images_to_pdf(files: list[Path], source: Path, work: Path, settings: Settings, *, wrap: bool) -> BatchInput:
    pages: list[bytes] = []
    origins: list[PageOrigin] = []
    for path in files:
        for page, origin in _image_pages(path, settings, wrap=wrap):
            pages.append(page)
            origins.append(origin)
    if not origins:
        raise EmptyBatchError(f"{source.name}: no pages")
    if not wrap:
        return BatchInput(source=source, raw_files=files, pdf=None, origins=origins)
    work.mkdir(parents=True, exist_ok=True)
    pdf_path = work / "batch.pdf"
    pdf_path.write_bytes(img2pdf.convert(pages, rotation=img2pdf.Rotation.ifvalid))
    return BatchInput(source=source, raw_files=files, pdf=pdf_path, origins=origins)


def _image_pages(path: Path, settings: Settings, *, wrap: bool) -> list[tuple[bytes, PageOrigin]]:
    """Each frame of one image file, checked, as bytes for img2pdf (`wrap`); without `wrap` the
    frames are checked by their headers only (a scanned batch's own page files) and no bytes made."""
    image = _open_image(path, settings)
    is_jpeg = image.format == "JPEG"
    raw = path.read_bytes() if is_jpeg else None
    pages = []
    try:
        with image:
            for index, frame in enumerate(ImageSequence.Iterator(image), start=1):
                name = path.name if index == 1 else f"{path.name} frame {index}"
                _check_pixels(name, *frame.size, settings)
                dpi = recorded_dpi(frame.info.get("dpi"), settings.default_image_dpi)
                if min(frame.size) < MIN_PAGE_PIXELS:
                    raise NotAPageError(
                        f"{name}: {frame.size[0]} × {frame.size[1]} pixels is too small to be a scanned page"
                    )
                _check_page_size(name, frame.size[0] / dpi[0] * MM_PER_INCH, frame.size[1] / dpi[1] * MM_PER_INCH)
                if not wrap:
                    pages.append((b"", PageOrigin(path.name, index)))
                    continue
                frame.load()
                data = _frame_to_pdf_image(frame, dpi, is_jpeg and index == 1, raw)
                pages.append((data, PageOrigin(path.name, index)))
    except Image.DecompressionBombError:  # a frame's tiles larger than the frame says
        raise DecompressionBombError(
            f"{path.name}: an image frame is larger than max_image_megapixels = "
            f"{settings.max_image_megapixels:g}; remove it from the batch"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or damaged image data
        raise InputFileError(f"{path.name}: the image data is damaged ({_first_line(exc)})") from None
    return pages


def _list_folder(folder: Path) -> list[Path]:
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError as exc:
        raise InputFileError(f"{folder}: cannot read the folder ({exc.strerror or exc})") from None
    for entry in entries:
        _check_regular_file(entry, f"{folder.name}/{entry.name}")
    files = sorted(entries, key=_natural_key)
    others = [p.name for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        raise NotAnImageError(
            f"{folder.name}: {others[0]} is not a page image (PNG, JPEG, TIFF or PNM expected); "
            "move it out of the folder"
        )
    if not files:
        raise EmptyBatchError(f"{folder}: the folder holds no page images")
    return files


def read_batch(path: Path, work: Path, settings: Settings, *, wrap: bool = True) -> BatchInput:
    """Check a batch and return its pages, as one PDF; `work` is this batch's scratch folder.
    Without `wrap`, images are not wrapped into a PDF, and only their headers are checked: for a
    scanned batch folder, whose page files Scan Station wrote itself and classified already."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_images(_list_folder(path), path, work, settings, wrap=wrap)
    _check_regular_file(path, str(path))
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{path}: permission denied; make the file readable")
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise EmptyBatchError(f"{path.name}: the file is empty (0 bytes)")
    if b"%PDF-" in head:
        return _read_pdf(path, settings)
    if path.suffix.lower() == ".pdf":
        raise CorruptPdfError(f"{path.name}: not a PDF (no PDF header); the file may be damaged")
    return _read_images([path], path, work, settings, wrap=wrap)
