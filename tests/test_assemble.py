"""A document assembled from its pages' OCR results (`assemble`): PDF/A-2b that the validator
passes, Dublin Core metadata, each page its stored image with tesseract's text layer lying on the
printed words — also where a scanner's JPEG is kept as it is and drawn turned."""

from __future__ import annotations

import io

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from helpers import office
from PIL import Image, ImageDraw

from scan_station.ocr.assemble import assemble
from scan_station.ocr.page import PageJob, ocr_page
from scan_station.pages.images import Kind
from scan_station.pages.source import PageSource, file_digest

pytestmark = pytest.mark.ocr
METADATA = {"title": "Laporan Kegiatan", "identifier": "PPID-2026-000001", "publisher": "Subbagian Umum",
            "subject": ["berkala", "HM.03"], "date": "2025-01-20", "source": "19/PP.07-SOP/HM/I/2025",
            "type": "Text"}


def _text_page(seed: int = 4) -> Image.Image:
    return office.scan(office.text_print("Laporan Kegiatan", dpi=300, seed=seed), None, office.OFFICE, dpi=300,
                       seed=seed)


def _with_photo() -> Image.Image:
    page = _text_page().copy()
    rng = np.random.default_rng(1)
    photo = Image.fromarray(np.clip(rng.normal(128, 40, (700, 1000)), 0, 255).astype("uint8"))
    page.paste(photo, (700, 2400))
    return page


def _result(tmp_path, image: Image.Image | bytes, name: str, *, turn: int = 0, number: int = 1):
    """The page's OCR result; `image` as a PNG, or bytes: the scanner's JPEG file."""
    path = tmp_path / f"{name}.{'jpg' if isinstance(image, bytes) else 'png'}"
    path.write_bytes(image) if isinstance(image, bytes) else image.save(path, dpi=(300, 300))
    return ocr_page(PageJob(number, PageSource(path), file_digest(path), tmp_path / "results", turn=turn))


def _rendered(path, index: int = 0) -> Image.Image:
    pdf = pdfium.PdfDocument(path)
    try:
        return pdf[index].render(scale=100 / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()


def _words(path, index: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The text layer's characters with their boxes (PDF points, origin bottom left)."""
    pdf = pdfium.PdfDocument(path)
    try:
        text = pdf[index].get_textpage()
        return [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
    finally:
        pdf.close()


def test_a_document_of_text_grey_and_colour_pages_is_pdfa_with_its_metadata(tmp_path):
    stamp = _text_page(seed=5).convert("RGB")
    ImageDraw.Draw(stamp).ellipse((1500, 2800, 1850, 3150), outline=(200, 30, 40), width=18)
    pages = [_result(tmp_path, _text_page(), "text", number=1), _result(tmp_path, _with_photo(), "grey", number=2),
             _result(tmp_path, stamp, "colour", number=3)]
    assert [p.image.kind for p in pages] == [Kind.TEXT, Kind.GREY, Kind.COLOUR]
    out = assemble(pages, key="doc", metadata=METADATA, out=tmp_path / "doc.pdf")
    assert out.pdfa_passed, out.pdfa_findings
    assert all("Laporan Kegiatan" in t for t in out.page_texts)
    with pikepdf.open(out.output_pdf) as pdf:
        assert len(pdf.pages) == 3
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Laporan Kegiatan" and meta["dc:identifier"] == "PPID-2026-000001"
        assert meta["pdfaid:part"] == "2" and str(pdf.docinfo["/Title"]) == "Laporan Kegiatan"
        images = [next(iter(p.get_images(recursive=False).values())) for p in pdf.pages]
        assert [str(i.Filter) for i in images] == ["/CCITTFaxDecode", "/DCTDecode", "/DCTDecode"]
        sizes_kb = [len(i.read_raw_bytes()) / 1024 for i in images]
    assert all(size <= budget for size, budget in zip(sizes_kb, (60, 300, 500), strict=True)), sizes_kb


def test_the_text_layer_lies_on_the_printed_words(tmp_path):
    page = _text_page()
    out = assemble([_result(tmp_path, page, "text")], key="doc", metadata=METADATA, out=tmp_path / "doc.pdf")
    chars = _words(out.output_pdf)
    found = "".join(c for c, _box in chars)
    at = found.index("Laporan")
    left, bottom, right, top = chars[at][1]
    ink = np.asarray(page.convert("L").crop((round(left * 300 / 72), round((842 - top) * 300 / 72),
                                             round(right * 300 / 72), round((842 - bottom) * 300 / 72))))
    assert ink.min() < 100  # the box of the "L" holds ink


def test_a_scanners_jpeg_read_upside_down_is_kept_as_it_is_and_shown_upright(tmp_path):
    upright = _with_photo()
    scanned = upright.rotate(180)  # the stack went through the feeder upside down
    jpeg = io.BytesIO()
    scanned.save(jpeg, "JPEG", quality=90, dpi=(300, 300))
    result = _result(tmp_path, jpeg.getvalue(), "turned", turn=180)
    assert result.placement == 180 and result.image.filter == "/DCTDecode"
    assert result.image_file.read_bytes() == (tmp_path / "turned.jpg").read_bytes()  # not JPEG'd again
    out = assemble([result], key="doc", metadata=METADATA, out=tmp_path / "doc.pdf")
    assert out.pdfa_passed, out.pdfa_findings
    shown = np.asarray(_rendered(out.output_pdf), dtype=np.float64)
    expected = np.asarray(upright.convert("L").resize((shown.shape[1], shown.shape[0])), dtype=np.float64)
    assert np.corrcoef(shown.ravel(), expected.ravel())[0, 1] > 0.9  # upright, as the reader sees it
    chars = _words(out.output_pdf)
    first = "".join(c for c, _box in chars).index("Laporan")
    assert chars[first][1][1] > 600  # the title's words are near the top of the page, where it is printed


class _ElsewhereWarning(UserWarning):
    """What another thread warns while a document is validated (an unclosed connection, say)."""


def test_a_warning_raised_elsewhere_while_a_document_is_validated_is_not_the_documents(tmp_path, monkeypatch):
    """The validator (pikepdf's) records every warning of the process while it parses a content stream.
    Here another thread warns each time the first validation of a document starts recording (as a
    connection collected at that moment would): the document, which is valid, is still said to be."""
    import threading
    import warnings

    import pikepdf.pdfa._engine as engine

    real_run, real_filter, first, runs = engine.run, warnings.simplefilter, threading.Event(), []

    def run(*args, **kwargs):  # the real validator
        runs.append(1)
        if len(runs) == 1:
            first.set()
        try:
            return real_run(*args, **kwargs)
        finally:
            first.clear()

    def simplefilter(action, *args, **kwargs):
        real_filter(action, *args, **kwargs)
        if action == "always" and first.is_set():  # the validator records from here on
            elsewhere = threading.Thread(target=warnings.warn, args=("unclosed connection", _ElsewhereWarning))
            elsewhere.start()
            elsewhere.join()

    monkeypatch.setattr(engine, "run", run)
    monkeypatch.setattr(warnings, "simplefilter", simplefilter)
    out = assemble([_result(tmp_path, _text_page(), "text")], key="doc", metadata=METADATA, out=tmp_path / "doc.pdf")
    assert out.pdfa_passed, out.pdfa_findings
    assert len(runs) == 2, "the other thread's warning was not recorded: this test tests nothing"


def test_a_content_stream_pikepdf_warns_about_fails_every_time(tmp_path, monkeypatch):
    """A warning the document itself causes repeats: validated again, it fails again."""
    import pikepdf.pdfa._engine as engine

    from scan_station.ocr import pdfa_check

    out = assemble([_result(tmp_path, _text_page(), "text")], key="doc", metadata=METADATA, out=tmp_path / "doc.pdf")
    with pikepdf.open(out.output_pdf, allow_overwriting_input=True) as pdf:
        pdf.pages[0].contents_add(pikepdf.Stream(pdf, b"q (an unterminated string Q"), prepend=False)
        pdf.save()
    real_run, runs = engine.run, []
    monkeypatch.setattr(engine, "run", lambda *args, **kwargs: runs.append(1) or real_run(*args, **kwargs))
    report = pdfa_check.validate_written(out.output_pdf)
    assert len(runs) == 2  # taken again, as a finding that may have been another's
    assert not report.passed and pdfa_check.only_recorded_warnings(report.findings), report.findings


def test_a_document_that_makes_pikepdf_warn_is_not_saved_as_pdfa_however_often_tried(tmp_path, monkeypatch):
    """The same through `save` (the path assembly takes): tried twice, refused twice, nothing written."""
    import pikepdf.pdfa._engine as engine

    from scan_station.ocr import pdfa_check

    out = assemble([_result(tmp_path, _text_page(), "text")], key="doc", metadata=METADATA, out=tmp_path / "doc.pdf")
    real_run, runs = engine.run, []
    monkeypatch.setattr(engine, "run", lambda *args, **kwargs: runs.append(1) or real_run(*args, **kwargs))
    with pikepdf.open(out.output_pdf) as pdf:
        pdf.pages[0].contents_add(pikepdf.Stream(pdf, b"q (an unterminated string Q"), prepend=False)
        with pytest.raises(pikepdf.pdfa.PdfaError) as refused:
            pdfa_check.save(pdf, tmp_path / "again.pdf")
    assert len(runs) == 2 and pdfa_check.only_recorded_warnings(refused.value.report.findings)
    assert not (tmp_path / "again.pdf").exists()
