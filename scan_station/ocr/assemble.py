"""A document's PDF/A-2b, assembled from its pages' OCR results (`page_ocr`): what *Konfirmasi*
leaves to do once the pages are read.

Each page is its stored image drawn over the whole page, with tesseract's invisible text layer
laid over it — the engine's own words where they are printed, so that text can be searched,
selected and copied. The register fields go into the XMP as Dublin Core, which PDF/A-2b knows
without an extension schema. `pikepdf.pdfa` prepares the file (output intent, metadata), writes
it and validates what it wrote, once per document.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

from ..core.model import OcrResult
from ..pages.images import StoredImage
from . import pdfa_check
from .page import PageResult

#: The stored image drawn turned clockwise by so many degrees over an upright page of width w and
#: height h: the matrix that maps the image's unit square onto the page.
_PLACEMENT = {
    0: lambda w, h: (w, 0, 0, h, 0, 0),
    90: lambda w, h: (0, -h, w, 0, 0, h),
    180: lambda w, h: (-w, 0, 0, -h, w, h),
    270: lambda w, h: (0, h, -w, 0, w, 0),
}


def dublin_core(entry) -> dict:
    """The entry's register fields as the PDF's Dublin Core metadata."""
    return {
        "title": entry.title,
        "identifier": entry.id,
        "description": entry.summary,
        "creator": entry.responsible or None,
        "publisher": entry.unit,
        "subject": [s for s in (entry.category, entry.classification, entry.unit) if s],
        "date": entry.created_date.isoformat() if entry.created_date else None,
        "source": entry.number or None,
        "coverage": entry.place or None,
        "type": "Text",
    }


def write_dublin_core(pdf: pikepdf.Pdf, metadata: dict) -> None:
    """The register fields as Dublin Core XMP: title, description, identifier (the register id),
    source (nomor naskah), coverage, creator, publisher, subject (list), type, date (ISO)."""
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        for key in ("title", "description", "identifier", "source", "coverage"):
            if metadata.get(key):
                meta[f"dc:{key}"] = metadata[key]
        for key in ("creator", "publisher", "subject", "type"):
            values = metadata.get(key)
            if values:
                meta[f"dc:{key}"] = [values] if isinstance(values, str) else list(values)
        if metadata.get("date"):
            meta["dc:date"] = [metadata["date"]]


def image_stream(pdf: pikepdf.Pdf, stored: StoredImage) -> pikepdf.Stream:
    """The stored page image as an image XObject of `pdf`, its bytes as they are."""
    image = pikepdf.Stream(pdf, b"")
    parms = None
    if stored.filter == "/CCITTFaxDecode":
        parms = pikepdf.Dictionary(K=-1, Columns=stored.width, Rows=stored.height, BlackIs1=stored.black_is_1)
    image.write(stored.data, filter=pikepdf.Name(stored.filter), decode_parms=parms)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = stored.width, stored.height, stored.bits
    image.ColorSpace = pikepdf.Name(stored.colour)
    return image


def _add_page(pdf: pikepdf.Pdf, result: PageResult) -> None:
    width, height = result.page_size
    page = pdf.add_blank_page(page_size=(width, height))
    name = page.add_resource(image_stream(pdf, result.image), pikepdf.Name.XObject, prefix="Im")
    matrix = " ".join(f"{v:.4f}" for v in _PLACEMENT[result.placement](width, height))
    page.contents_add(pikepdf.Stream(pdf, f"q {matrix} cm {name} Do Q".encode()))
    with pikepdf.open(result.text_pdf) as text:
        layer = pdf.copy_foreign(text.pages[0].as_form_xobject())
    page.add_overlay(layer, pikepdf.Rectangle(0, 0, width, height))


def assemble(pages: list[PageResult], *, key: str, metadata: dict, out: Path) -> OcrResult:
    """Write the document of these pages, in order, to `out` as PDF/A-2b, and validate it. A file
    the validator does not pass is still written, and said so in the result (the sidecar records
    it; `verify` and the tests look)."""
    import pikepdf.pdfa  # a fifth of a second to import: not before the first document is assembled

    with pikepdf.new() as pdf:
        for result in pages:
            _add_page(pdf, result)
        write_dublin_core(pdf, metadata)
        try:
            pdfa_check.save(pdf, out, "2b")
            passed, findings = True, []
        except pikepdf.pdfa.PdfaError as exc:
            pdf.save(out)
            passed, findings = False, [str(f) for f in exc.report.findings][:20]
    return OcrResult(key=key, output_pdf=out, page_texts=[p.text for p in pages], pdfa_passed=passed,
                     page_readability=[p.readability.as_dict() for p in pages],
                     page_checks=tuple(c for p in pages for c in p.checks),
                     pdfa_findings=findings)
