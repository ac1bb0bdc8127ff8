"""Pages of a born-digital PDF drawn within `max_image_megapixels` before ocrmypdf draws them."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from ..pages.source import bounded_scale

#: The resolution ocrmypdf draws a page at when it holds no image to take one from (vector art).
VECTOR_PAGE_DPI = 400


def drawn_within_limit(path: Path, max_megapixels: float, *, with_text: bool = False) -> list[int]:
    """Pages that ocrmypdf would draw beyond `max_megapixels` at its 400 dpi (a vector drawing a
    metre wide: 350 MP, which it then refuses as a decompression bomb) are drawn here instead,
    grey, as large as the limit allows, and put in their place: ocrmypdf reads them at that
    resolution. Pages with text are left as they are (ocrmypdf keeps them) unless `with_text`
    (when every page is to become an image anyway). The original is stored unchanged. The
    numbers (1-based) of the pages drawn."""
    import pypdfium2 as pdfium

    drawn: dict[int, tuple] = {}
    document = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            if width * height * (VECTOR_PAGE_DPI / 72) ** 2 <= max_megapixels * 1e6:
                continue
            if not with_text and page.get_textpage().count_chars() > 0:
                continue
            scale = bounded_scale(width, height, VECTOR_PAGE_DPI, max_megapixels * 0.9)
            drawn[index] = (page.render(scale=scale, grayscale=True).to_pil().convert("L"), width, height)
    finally:
        document.close()
    if drawn:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            for index, (image, width, height) in drawn.items():
                pdf.pages.insert(index, _image_page(pdf, image, width, height))
                del pdf.pages[index + 1]
            pdf.save(path)
    return [index + 1 for index in drawn]


def _image_page(pdf: pikepdf.Pdf, image, width: float, height: float) -> pikepdf.Page:
    """A page of `width` × `height` points that is one grey image."""
    import zlib

    picture = pikepdf.Stream(pdf, zlib.compress(image.tobytes(), 6), Type=pikepdf.Name.XObject,
                             Subtype=pikepdf.Name.Image, Width=image.width, Height=image.height,
                             ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
                             Filter=pikepdf.Name.FlateDecode)
    contents = pikepdf.Stream(pdf, f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Im0 Do Q".encode())
    return pikepdf.Page(pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height], Contents=contents,
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture)))))
