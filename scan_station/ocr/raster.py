"""An ocrmypdf plugin: give tesseract a scanned page's own pixels instead of re-rendering it.

A page of a scanned batch is one image drawn over the whole page. ocrmypdf asks for each page
twice at the page's resolution (a preview for the orientation check, then the image to OCR), and
Ghostscript decodes and re-renders the image both times — about a second of a page's three or
four. When the request is for exactly the image's own resolution, decoding the image is exact and
cheap. Everything else (other content, another resolution, 1-bit devices, masks) returns None,
which leaves the page to ocrmypdf's own Ghostscript rasterizer.
"""

from __future__ import annotations

import pikepdf
from ocrmypdf import hookimpl
from PIL import Image

from ..pages.source import decoded_image, whole_page_image
from ..pages.source import rotation as page_rotation

_DEVICES = {"pnggray": ("L", "PNG"), "png16m": ("RGB", "PNG"), "jpeggray": ("L", "JPEG"), "jpeg": ("RGB", "JPEG")}
_CLOCKWISE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
# ocrmypdf's Ghostscript rasterizer applies its `rotation` argument this way; do the same.
_CORRECTION = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
_SIMPLE = {"/DeviceGray", "/DeviceRGB"}


def _full_page_image(input_file, pageno: int) -> tuple[Image.Image, int, float, float] | None:
    """(image, page /Rotate, page width pt, page height pt) when the page is just one plain 8-bit
    grey or RGB image (JPEG or Flate) drawn over the whole MediaBox; else None."""
    with pikepdf.open(input_file) as pdf:
        page = pdf.pages[pageno - 1]
        found = whole_page_image(page)
        if found is None:
            return None
        stream, (width, height) = found
        filters: object = stream.get("/Filter")
        filters = [str(f) for f in (filters if isinstance(filters, pikepdf.Array) else [filters])]
        if (
            filters not in (["/DCTDecode"], ["/FlateDecode"])
            or str(stream.get("/ColorSpace")) not in _SIMPLE
            or int(stream.get("/BitsPerComponent", 0)) != 8
        ):
            return None
        image = decoded_image(stream)  # None: damaged, or more than its pixels: Ghostscript renders it
        return (image, page_rotation(page), width, height) if image is not None else None


@hookimpl
def rasterize_pdf_page(input_file, output_file, raster_device, raster_dpi, pageno, page_dpi, rotation,
                       filter_vector, stop_on_soft_error, options, use_cropbox):
    target = _DEVICES.get(str(raster_device))
    if target is None or filter_vector or use_cropbox:
        return None
    try:
        found = _full_page_image(input_file, pageno)
    except (pikepdf.PdfError, ValueError, KeyError, IndexError, NotImplementedError):
        return None
    if found is None:
        return None
    image, page_rotate, width_pt, height_pt = found
    wanted = (round(width_pt * raster_dpi.x / 72), round(height_pt * raster_dpi.y / 72))
    if abs(image.width - wanted[0]) > 1 or abs(image.height - wanted[1]) > 1:
        return None  # another resolution: Ghostscript resamples
    mode, fmt = target
    if image.mode != mode:
        image = image.convert(mode)
    if page_rotate in _CLOCKWISE:
        image = image.transpose(_CLOCKWISE[page_rotate])
    if rotation in _CORRECTION:
        image = image.transpose(_CORRECTION[rotation])
    dpi = page_dpi or raster_dpi
    extra = {"compress_level": 1} if fmt == "PNG" else {"quality": 90}
    image.save(output_file, format=fmt, dpi=(float(dpi.x), float(dpi.y)), **extra)
    return output_file
