"""A batch page's own pixels, wherever the page lives: a scanned page file (PNG from the scanner),
a frame of an image file, or a page of a PDF.

A page of a scanned PDF is one image drawn over the whole page: its image is taken as it is,
decoded once, with the resolution its size on the page gives — never rendered (rendering decodes
the same pixels and resamples them). A page with anything else on it (text, several images, a
mask) is rendered at `RENDER_DPI` instead. The scanner's JPEG bytes come along, so that the filed
copy can keep them rather than compress the page a second time.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageOps, ImageSequence

from .config import plausible_dpi
from .errors import DecompressionBombError, InputFileError

RENDER_DPI = 300
EXIF_ORIENTATION = 0x0112
_ROTATE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class PageSource:
    path: Path  # an image file or a PDF
    index: int = 1  # 1-based frame of an image file, page of a PDF

    @property
    def is_pdf(self) -> bool:
        with self.path.open("rb") as f:
            return b"%PDF-" in f.read(1024)


@dataclass
class SourceImage:
    image: Image.Image  # mode "L" or "RGB"
    dpi: tuple[float, float]
    #: The page's JPEG as the scanner made it, when the image is exactly that JPEG decoded.
    jpeg: bytes | None = None

    @property
    def size_inches(self) -> tuple[float, float]:
        return self.image.width / self.dpi[0], self.image.height / self.dpi[1]


def file_digest(path: Path) -> str:
    """SHA-256 of a file: a page's identity, for results kept with it."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plain(image: Image.Image) -> Image.Image:
    """The image as grey or RGB pixels; transparency flattened onto white paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("1", "L") or image.mode.startswith(("I", "F")):
        return image if image.mode == "L" else image.convert("L")
    return image if image.mode == "RGB" else image.convert("RGB")


_pillow_lock = threading.Lock()
_pillow_limits: list[int] = []
_pillow_default: int | None = Image.MAX_IMAGE_PIXELS


@contextlib.contextmanager
def pillow_limit(megapixels: float) -> Iterator[None]:
    """Pillow's decompression-bomb limit set from `max_image_megapixels` while pages are read
    (the largest of the limits in force at once, in threads; our own check stays exact)."""
    global _pillow_default
    pixels = int(megapixels * 1e6)
    with _pillow_lock:
        if not _pillow_limits:
            _pillow_default = Image.MAX_IMAGE_PIXELS
        _pillow_limits.append(pixels)
        Image.MAX_IMAGE_PIXELS = max(_pillow_limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our check follows
            yield
    finally:
        with _pillow_lock:
            _pillow_limits.remove(pixels)
            Image.MAX_IMAGE_PIXELS = max(_pillow_limits) if _pillow_limits else _pillow_default


def load(source: PageSource, *, default_dpi: float, max_megapixels: float) -> SourceImage:
    """The page's pixels (see the module), checked against `max_megapixels` before decoding."""
    with pillow_limit(max_megapixels):
        if source.is_pdf:
            return _pdf_page(source, max_megapixels)
        return _image_frame(source, default_dpi, max_megapixels)


def _check(name: str, width: int, height: int, max_megapixels: float) -> None:
    if width * height > max_megapixels * 1e6:
        raise DecompressionBombError(f"{name}: {width} × {height} pixels is larger than max_image_megapixels = "
                                     f"{max_megapixels:g}")


def _image_frame(source: PageSource, default_dpi: float, max_megapixels: float) -> SourceImage:
    try:
        return _decode_frame(source, default_dpi, max_megapixels)
    except Image.DecompressionBombError:  # tiles larger than the frame says
        raise DecompressionBombError(f"{source.path.name}: larger than max_image_megapixels = "
                                     f"{max_megapixels:g}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputFileError(f"{source.path.name}: the image data is damaged ({exc}); scan the page again") from None


def _decode_frame(source: PageSource, default_dpi: float, max_megapixels: float) -> SourceImage:
    with Image.open(source.path) as image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number == source.index:
                _check(source.path.name, *frame.size, max_megapixels)
                frame.load()
                dpi = plausible_dpi(frame.info.get("dpi")) or default_dpi
                turned = frame.getexif().get(EXIF_ORIENTATION, 1) not in (1, None)
                upright = ImageOps.exif_transpose(frame) if turned else frame  # a camera's "this way up"
                kept = image.format == "JPEG" and number == 1 and not turned and frame.mode in ("L", "RGB")
                return SourceImage(plain(upright), (dpi, dpi), source.path.read_bytes() if kept else None)
    raise InputFileError(f"{source.path.name}: has no frame {source.index}")


def _pdf_page(source: PageSource, max_megapixels: float) -> SourceImage:
    with pikepdf.open(source.path) as pdf:
        page = pdf.pages[source.index - 1]
        found = whole_page_image(page)
        if found is not None:
            stream, (width_pt, height_pt) = found
            _check(f"{source.path.name} page {source.index}", int(stream.Width), int(stream.Height), max_megapixels)
            try:
                image = pikepdf.PdfImage(stream).as_pil_image()
            except (pikepdf.PdfError, NotImplementedError, ValueError, OSError):  # a kind pikepdf cannot decode
                return _rendered(source, max_megapixels)
            jpeg = stream.read_raw_bytes() if stream.get("/Filter") == "/DCTDecode" else None
            rotate = int(page.obj.get("/Rotate", 0)) % 360
            dpi = (image.width / width_pt * 72, image.height / height_pt * 72)
            if rotate in _ROTATE:  # shown turned: the page as a reader sees it
                image, jpeg = image.transpose(_ROTATE[rotate]), None
                dpi = dpi if rotate == 180 else dpi[::-1]
            return SourceImage(plain(image), dpi, jpeg if image.mode in ("L", "RGB") else None)
    return _rendered(source, max_megapixels)


def whole_page_image(page: pikepdf.Page) -> tuple[pikepdf.Stream, tuple[float, float]] | None:
    """(the image, the page's width and height in points) when the page is just one image drawn
    over its whole MediaBox, as a scanner's PDF is; else None."""
    try:
        commands = pikepdf.parse_content_stream(page)
        if [str(op) for _operands, op in commands] != ["q", "cm", "Do", "Q"]:
            return None
        images = page.get_images(recursive=False)
        if len(images) != 1:
            return None
        stream = next(iter(images.values()))
        if any(key in stream for key in ("/SMask", "/Mask", "/Decode")) or stream.get("/ImageMask"):
            return None
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        a, b, c, d, e, f = (float(v) for v in commands[1][0])
    except (pikepdf.PdfError, ValueError, TypeError, KeyError, IndexError):
        return None
    if b or c or abs(a - (x1 - x0)) > 0.5 or abs(d - (y1 - y0)) > 0.5 or abs(e - x0) > 0.5 or abs(f - y0) > 0.5:
        return None
    return stream, (x1 - x0, y1 - y0)


def _rendered(source: PageSource, max_megapixels: float) -> SourceImage:
    """A page that is not one scanned image, rendered as it is shown (its /Rotate applied)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source.path)
    try:
        page = pdf[source.index - 1]
        width_pt, height_pt = page.get_size()
        scale = min(RENDER_DPI / 72, (max_megapixels * 1e6 / max(1.0, width_pt * height_pt)) ** 0.5)
        image = page.render(scale=scale).to_pil()
    finally:
        pdf.close()
    dpi = scale * 72
    return SourceImage(plain(image), (dpi, dpi))
