"""Reading a scanned batch: a PDF of page images, a multi-page TIFF, or a folder of page images.

`read_batch` checks everything before anything is written — that the file opens, is not
encrypted, has pages, that each image is a picture of a page and no decompression bomb — and
gives back one PDF with every page in order (the input PDF itself, or the images wrapped
losslessly by img2pdf), plus the list of files as received, which storage keeps unchanged.
Each problem raises an `InputFileError` subclass with a one-line message.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image, ImageSequence, UnidentifiedImageError

from .config import Settings
from .errors import (
    CorruptPdfError,
    DecompressionBombError,
    EmptyBatchError,
    EncryptedPdfError,
    InputFileError,
    NotAnImageError,
    NotAPageError,
)

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
    pdf: Path  # every page of the batch, in order
    origins: list[PageOrigin]

    @property
    def page_count(self) -> int:
        return len(self.origins)


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


# -- PDF -----------------------------------------------------------------------------------------


def _read_pdf(path: Path, settings: Settings) -> BatchInput:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise EncryptedPdfError(
            f"{path.name}: the PDF is password-protected; save an unprotected copy and ingest that"
        ) from None
    except (pikepdf.PdfError, ValueError) as exc:
        raise CorruptPdfError(f"{path.name}: not a readable PDF ({_first_line(exc)})") from None
    with pdf:
        try:
            count = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise CorruptPdfError(f"{path.name}: page tree is damaged ({_first_line(exc)})") from None
        if count == 0:
            raise EmptyBatchError(f"{path.name}: the PDF has no pages")
        for number, page in enumerate(pdf.pages, start=1):
            try:
                box = page.mediabox
                width_mm = abs(float(box[2]) - float(box[0])) / 72 * MM_PER_INCH
                height_mm = abs(float(box[3]) - float(box[1])) / 72 * MM_PER_INCH
                images = list(page.get_images().values())
            except (pikepdf.PdfError, KeyError, TypeError, ValueError) as exc:
                raise CorruptPdfError(f"{path.name}: page {number} is damaged ({_first_line(exc)})") from None
            _check_page_size(f"{path.name} page {number}", width_mm, height_mm)
            for image in images:
                _check_pixels(
                    f"{path.name} page {number}", int(image.get("/Width", 0)), int(image.get("/Height", 0)), settings
                )
    origins = [PageOrigin(path.name, n) for n in range(1, count + 1)]
    return BatchInput(source=path, raw_files=[path], pdf=path, origins=origins)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# -- images --------------------------------------------------------------------------------------


def _open_image(path: Path, settings: Settings) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DecompressionBombError(
            f"{path.name}: the image is far larger than any scanned page (decompression bomb?); "
            "remove it from the batch"
        ) from None
    except UnidentifiedImageError:
        raise NotAnImageError(
            f"{path.name}: not an image Scan Station can read (PNG, JPEG, TIFF or PNM expected)"
        ) from None
    except OSError as exc:
        raise InputFileError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    _check_pixels(path.name, *image.size, settings)
    return image


def _frame_to_pdf_image(frame: Image.Image, dpi: float, is_jpeg: bool, raw: bytes | None) -> bytes:
    """Bytes img2pdf embeds without loss: JPEGs as they are, everything else as PNG."""
    if is_jpeg and raw is not None and frame.info.get("dpi"):
        return raw
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        frame = flat
    elif frame.mode not in ("1", "L", "RGB", "P"):
        frame = frame.convert("L" if frame.mode.startswith(("I", "F")) else "RGB")
    out = io.BytesIO()
    frame.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _read_images(files: list[Path], source: Path, work: Path, settings: Settings) -> BatchInput:
    pages: list[bytes] = []
    origins: list[PageOrigin] = []
    for path in files:
        image = _open_image(path, settings)
        is_jpeg = image.format == "JPEG"
        raw = path.read_bytes() if is_jpeg else None
        try:
            with image:
                for index, frame in enumerate(ImageSequence.Iterator(image), start=1):
                    name = path.name if index == 1 else f"{path.name} frame {index}"
                    _check_pixels(name, *frame.size, settings)
                    dpi = float((frame.info.get("dpi") or (settings.default_image_dpi,))[0] or settings.default_image_dpi)
                    if min(frame.size) < MIN_PAGE_PIXELS:
                        raise NotAPageError(
                            f"{name}: {frame.size[0]} × {frame.size[1]} pixels is too small to be a scanned page"
                        )
                    _check_page_size(name, frame.size[0] / dpi * MM_PER_INCH, frame.size[1] / dpi * MM_PER_INCH)
                    frame.load()
                    pages.append(_frame_to_pdf_image(frame, dpi, is_jpeg and index == 1, raw))
                    origins.append(PageOrigin(path.name, index))
        except (OSError, SyntaxError, ValueError) as exc:  # truncated or damaged image data
            raise InputFileError(f"{path.name}: the image data is damaged ({_first_line(exc)})") from None
    if not pages:
        raise EmptyBatchError(f"{source.name}: no pages")
    work.mkdir(parents=True, exist_ok=True)
    pdf_path = work / "batch.pdf"
    pdf_path.write_bytes(img2pdf.convert(pages, rotation=img2pdf.Rotation.ifvalid))
    return BatchInput(source=source, raw_files=files, pdf=pdf_path, origins=origins)


def _list_folder(folder: Path) -> list[Path]:
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError as exc:
        raise InputFileError(f"{folder}: cannot read the folder ({exc.strerror or exc})") from None
    files = sorted((p for p in entries if p.is_file()), key=_natural_key)
    others = [p.name for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        raise NotAnImageError(
            f"{folder.name}: {others[0]} is not a page image (PNG, JPEG, TIFF or PNM expected); "
            "move it out of the folder"
        )
    if not files:
        raise EmptyBatchError(f"{folder}: the folder holds no page images")
    return files


def read_batch(path: Path, work: Path, settings: Settings) -> BatchInput:
    """Check a batch and return its pages as one PDF; `work` is this batch's scratch folder."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_images(_list_folder(path), path, work, settings)
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{path}: permission denied; make the file readable")
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise EmptyBatchError(f"{path.name}: the file is empty (0 bytes)")
    if b"%PDF-" in head:
        return _read_pdf(path, settings)
    if path.suffix.lower() == ".pdf":
        raise CorruptPdfError(f"{path.name}: not a PDF (no PDF header); the file may be damaged")
    return _read_images([path], path, work, settings)
