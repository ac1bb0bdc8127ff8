"""One whole PDF OCR'd into PDF/A-2b with its register metadata in the XMP — for softcopies
handed over (pages that carry text keep it) and the berita acara. Scanned pages go page by page
through `page_ocr` instead, which starts before documents are known.

`ocr_document` runs in a child process of `ocr_pool.OcrPool` (a long-lived child saves its
start-up cost on every document after the first); `_exec.ocrmypdf` runs the tool itself.
Metadata uses Dublin Core properties only, which PDF/A-2b knows without an extension schema.
Ghostscript renders a softcopy's pages in a box (`sandbox.ghostscript_boxed`): the PDF comes from
outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf

from .._exec import ocrmypdf
from .._exec.sandbox import ghostscript_boxed
from ..core.model import OcrResult
from . import pdfa_check
from .assemble import write_dublin_core


@dataclass(frozen=True)
class OcrJob:
    key: str
    input_pdf: Path
    output_pdf: Path
    languages: tuple[str, ...]
    jobs: int
    #: The decompression-bomb limit (`max_image_megapixels`), for ocrmypdf and Pillow in the child.
    max_image_mpixels: float
    #: Dublin Core values: title, identifier, description, creator, publisher, subject (list),
    #: date (ISO), source, coverage, type.
    metadata: dict
    #: A softcopy: pages that carry text keep it, only pages without text are OCR'd; a digital
    #: signature is not kept in the PDF/A (the signed original is the record).
    skip_text: bool = False


#: Page keys of presentations (transitions, durations, actions) that PDF/A has no use for, and
#: that ocrmypdf's PDF/A check refuses: reportlab writes /Trans on every page, slide shows more.
PRESENTATION_KEYS = ("/Trans", "/Dur", "/PresSteps", "/AA")


def drop_presentation_keys(page: pikepdf.Page) -> None:
    for name in PRESENTATION_KEYS:
        if name in page.obj:
            del page.obj[name]


def _options(job: OcrJob, sidecar: Path) -> dict:
    options = dict(
        language=list(job.languages),
        output_type="pdfa-2",
        # PDF/A without Ghostscript keeps the scanned images lossless (and ocrmypdf 17 refuses
        # Debian 12's Ghostscript 10.0.0 for that job); Ghostscript still renders the pages for
        # tesseract, which reads better than pypdfium's rendering on the corpus pages.
        pdfa_backend="internal",
        rasterizer="ghostscript",
        plugins=["scan_station.ocr.raster"],  # a scanned page's own pixels, where it can
        oversample=300,  # low-resolution scans (150-200 dpi) read better upsampled
        rotate_pages=True,
        max_image_mpixels=job.max_image_mpixels,  # the same guard as when the batch was read
        jobs=job.jobs,
        use_threads=True,
        sidecar=sidecar,
        progress_bar=False,
        title=job.metadata.get("title"),
        keywords=", ".join(job.metadata.get("subject") or []),
    )
    if job.skip_text:
        options |= dict(skip_text=True, invalidate_digital_signatures=True)  # pages it reads it turns upright
    return options


def ocr_document(job: OcrJob) -> OcrResult:
    ocr_out = job.output_pdf.with_suffix(".ocr.pdf")
    sidecar = job.output_pdf.with_suffix(".txt")
    options = _options(job, sidecar)
    with ghostscript_boxed(job.output_pdf.with_suffix(".scratch")):  # the PDF may come from outside
        _ocr(job, ocr_out, options)
    with pikepdf.open(ocr_out) as pdf:
        write_dublin_core(pdf, job.metadata)
        pdf.save(job.output_pdf)
        page_count = len(pdf.pages)
    ocr_out.unlink()
    report = pdfa_check.validate_written(job.output_pdf, "2b")
    if job.skip_text:  # the sidecar has only what OCR found; the text a page had is in the PDF
        texts = _pdf_texts(job.output_pdf)
    else:
        texts = sidecar.read_text(encoding="utf-8").split("\f")
        texts = [t.strip() for t in texts[:page_count]] + [""] * (page_count - len(texts))
    return OcrResult(
        key=job.key,
        output_pdf=job.output_pdf,
        page_texts=texts,
        pdfa_passed=bool(report.passed),
        pdfa_findings=[str(f) for f in report.findings][:20],
    )


def _ocr(job: OcrJob, ocr_out: Path, options: dict) -> None:
    try:
        ocrmypdf.ocr(job.input_pdf, ocr_out, key=job.key, **options)
    except ocrmypdf.PdfaConversionError:
        if not job.skip_text:
            raise
        # A born-digital PDF with constructs PDF/A cannot carry: its pages become images, and
        # their text comes from OCR (the original is kept as handed over).
        from .vector_pages import drawn_within_limit

        options.pop("skip_text")
        drawn_within_limit(job.input_pdf, job.max_image_mpixels, with_text=True)  # every page is drawn now
        ocrmypdf.ocr(job.input_pdf, ocr_out, key=job.key, **(options | {"force_ocr": True}))


def _pdf_texts(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range().replace("\r\n", "\n").strip() for i in range(len(pdf))]
    finally:
        pdf.close()
