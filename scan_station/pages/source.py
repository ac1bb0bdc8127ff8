"""A batch page's own pixels, wherever the page lives: a scanned page file (PNG from the scanner),
a frame of an image file, or a page of a PDF.

A page of a scanned PDF is one image drawn over the whole page: its image is taken as it is,
decoded once, with the resolution its size on the page gives — never rendered (rendering decodes
the same pixels and resamples them). A page with anything else on it (text, several images, a
mask), or whose image pikepdf cannot decode within its size (`decoded_image`), is rendered at
`RENDER_DPI` instead. The scanner's JPEG bytes come along, so that the filed copy can keep them
rather than compress the page a second time.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pikepdf
from PIL import Image, ImageOps, ImageSequence

from ..core.config import plausible_dpi
from ..core.errors import DecompressionBombError, InputFileError

RENDER_DPI = 300
#: Filters pikepdf decodes to no more than the image's size (a JPEG's own size is checked when the
#: batch is read). JBIG2 (its own page size, and jbig2dec), LZW, run-length and chains of filters
#: are rendered instead.
BOUNDED_FILTERS = ("/DCTDecode", "/JPXDecode", "/CCITTFaxDecode")
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
    if image.mode.startswith(("I", "F")):  # 16 bits a sample: brought down to 8, not clipped to white
        values = np.asarray(image)
        if image.mode.startswith("I;16") or values.max() > 255:
            values = values / 257
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
    if image.mode in ("1", "L"):
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


def recorded_dpi(recorded: object, default: float) -> tuple[float, float]:
    """An image's resolution across and down as it records it (Pillow's `info["dpi"]`; a fax is
    204 × 98 dpi); `default` both ways when it records none a scan can have (`plausible_dpi`)."""
    if plausible_dpi(recorded) is None:
        return float(default), float(default)
    values: list[Any] = list(recorded) if isinstance(recorded, tuple | list) else [recorded]  # numbers: checked
    return float(values[0]), float(values[1] if len(values) > 1 else values[0])


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
                dpi = recorded_dpi(frame.info.get("dpi"), default_dpi)
                turned = frame.getexif().get(EXIF_ORIENTATION, 1) not in (1, None)
                upright = ImageOps.exif_transpose(frame) if turned else frame  # a camera's "this way up"
                dpi = dpi if upright.size == frame.size else dpi[::-1]
                kept = image.format == "JPEG" and number == 1 and not turned and frame.mode in ("L", "RGB")
                return SourceImage(plain(upright), dpi, source.path.read_bytes() if kept else None)
    raise InputFileError(f"{source.path.name}: has no frame {source.index}")


def _pdf_page(source: PageSource, max_megapixels: float) -> SourceImage:
    with pikepdf.open(source.path) as pdf:
        page = pdf.pages[source.index - 1]
        found = whole_page_image(page)
        if found is not None:
            stream, (width_pt, height_pt) = found
            _check(f"{source.path.name} page {source.index}", int(stream.Width), int(stream.Height), max_megapixels)
            image = decoded_image(stream)
            if image is None:
                return _rendered(source, max_megapixels)
            jpeg = stream.read_raw_bytes() if stream.get("/Filter") == "/DCTDecode" else None
            rotate = rotation(page)
            dpi = (image.width / width_pt * 72, image.height / height_pt * 72)
            if rotate in _ROTATE:  # shown turned: the page as a reader sees it
                image, jpeg = image.transpose(_ROTATE[rotate]), None
                dpi = dpi if rotate == 180 else dpi[::-1]
            return SourceImage(plain(image), dpi, jpeg if image.mode in ("L", "RGB") else None)
    return _rendered(source, max_megapixels)


def decoded_image(stream: pikepdf.Stream) -> Image.Image | None:
    """The image's pixels, decoded now; None when pikepdf cannot decode them (a Separation or
    DeviceN colour space, damaged data), could decode more than the image holds (`_bounded`), or
    they are not the size the PDF says: such a page is rendered, as it was when it was classified
    (the renderer decodes what the page shows, no more)."""
    try:
        if not _bounded(stream):
            return None
        image = pikepdf.PdfImage(stream).as_pil_image()
        if image.size != (int(stream.Width), int(stream.Height)):
            return None
        image.load()
    except (pikepdf.PikepdfError, NotImplementedError, ValueError, OSError, zlib.error, Image.DecompressionBombError):
        return None
    return image


def _bounded(stream: pikepdf.Stream) -> bool:
    """Whether pikepdf decodes the image to no more data than its pixels can need. It decodes a
    stream whole, and 1 MB of Flate can inflate to gigabytes behind an ordinary /Width and /Height
    (a decompression bomb): Flate is inflated here first, only as far as 8 bytes a pixel."""
    kind = stream.get("/Filter")
    if kind is None or kind in BOUNDED_FILTERS:
        return True
    if kind != "/FlateDecode":
        return False
    most = (int(stream.Width) * 8 + 1) * int(stream.Height)
    return len(zlib.decompressobj().decompress(stream.read_raw_bytes(), most + 1)) <= most


def rotation(page: pikepdf.Page) -> int:
    """The page's /Rotate in clockwise degrees, 0, 90, 180 or 270; anything else is 0, as viewers take it."""
    try:
        degrees = int(page.obj.get("/Rotate", 0))
    except (TypeError, ValueError):
        return 0
    return degrees % 360 if degrees % 90 == 0 else 0


def whole_page_image(page: pikepdf.Page) -> tuple[pikepdf.Stream, tuple[float, float]] | None:
    """(the image, the page's width and height in points) when the page is just one image drawn
    over its whole MediaBox, as a scanner's PDF is; else None."""
    try:
        commands = pikepdf.parse_content_stream(page)
        # an instruction unpacks by __getitem__ (pikepdf's stub declares no __iter__)
        if [str(op) for _operands, op in commands] != ["q", "cm", "Do", "Q"]:  # type: ignore[misc]
            return None
        images = page.get_images(recursive=False)
        if len(images) != 1:
            return None
        # an image XObject is a stream (get_images gives those with /Subtype /Image); typed as any Object
        stream = cast(pikepdf.Stream, next(iter(images.values())))
        if any(key in stream for key in ("/SMask", "/Mask", "/Decode")) or stream.get("/ImageMask"):
            return None
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        a, b, c, d, e, f = (float(v) for v in commands[1][0])
    except (pikepdf.PdfError, ValueError, TypeError, KeyError, IndexError):
        return None
    if b or c or abs(a - (x1 - x0)) > 0.5 or abs(d - (y1 - y0)) > 0.5 or abs(e - x0) > 0.5 or abs(f - y0) > 0.5:
        return None
    return stream, (x1 - x0, y1 - y0)


def bounded_scale(width_pt: float, height_pt: float, dpi: float, max_megapixels: float) -> float:
    """The scale to render a page of this size at `dpi`, or less where that would make more than
    `max_megapixels` (a vector page may be metres wide: it is drawn coarser, never bigger)."""
    return min(dpi / 72, (max_megapixels * 1e6 / max(1.0, width_pt * height_pt)) ** 0.5)


def _rendered(source: PageSource, max_megapixels: float) -> SourceImage:
    """A page that is not one scanned image, rendered as it is shown (its /Rotate applied)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source.path)
    try:
        page = pdf[source.index - 1]
        width_pt, height_pt = page.get_size()
        scale = bounded_scale(width_pt, height_pt, RENDER_DPI, max_megapixels)
        image = page.render(scale=scale).to_pil()
    finally:
        pdf.close()
    dpi = scale * 72
    return SourceImage(plain(image), (dpi, dpi))


def carries_text(pdf: Path) -> bool:
    """Whether any page of the PDF carries text of its own (born digital), rather than being only
    pictures of pages."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            try:
                if textpage.count_chars() > 0:
                    return True
            finally:
                textpage.close()
        return False
    finally:
        document.close()
