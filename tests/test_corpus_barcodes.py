"""Barcode reading on the shared corpus: every symbol the manifest says pyzbar/zbar reads, we read.

Samples that zbar cannot read (the manifest's `observed.pyzbar` lacks them) are documented
limits of the reader, not of Scan Station; they are listed in the manifest's caveats.
"""

import json
from pathlib import Path

import pytest
from conftest import CORPUS
from helpers import batches
from PIL import Image, ImageSequence

from scan_station.pages.barcodes import READERS, decode

pytestmark = pytest.mark.corpus


def _cases():
    if not (CORPUS / "MANIFEST.json").is_file():
        return []
    files = json.loads((CORPUS / "MANIFEST.json").read_text())["files"]
    cases = []
    for f in files:
        if f["role"] != "sample" or not f.get("expected", {}).get("barcodes"):
            continue
        seen = f.get("observed", {}).get("pyzbar")
        if isinstance(seen, dict):  # zxing-cpp / zbar images: one image, did zbar decode it?
            if seen.get("decoded_expected"):
                cases.append(
                    pytest.param(f["path"], [(1, b["value"]) for b in f["expected"]["barcodes"]], id=f["path"])
                )
        elif seen:  # paperless-ngx: the symbols zbar read, per page
            expected = {(b["page"], b["value"]) for b in f["expected"]["barcodes"]}
            readable = sorted({(b.get("page", 1), b.get("value")) for b in seen} & expected)
            if readable:
                cases.append(pytest.param(f["path"], readable, id=f["path"]))
    return cases


def _pages(path: Path):
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        count = len(pdfium.PdfDocument(path))
        return [batches.render(path, n, dpi=300) for n in range(1, count + 1)]
    with Image.open(path) as image:
        return [frame.convert("RGB").copy() for frame in ImageSequence.Iterator(image)]


#: What was read on a page of the corpus, by (file, page, readers): both tests ask most pages the same
#: question (both readers together), and each is asked once a run.
_READ: dict[tuple[str, int, tuple[str, ...]], set[str]] = {}


def _values(pages: list, rel: str, page: int, readers: tuple[str, ...] = READERS) -> set[str]:
    key = (rel, page, readers)
    if key not in _READ:
        _READ[key] = {s.value for s in decode(pages[page - 1], readers=readers)}
    return _READ[key]


@pytest.mark.parametrize("rel, expected", _cases())
def test_reads_what_zbar_is_known_to_read(corpus, rel, expected):
    pages = _pages(corpus / rel)
    for page, value in expected:
        values = _values(pages, rel, page)
        assert value in values, f"page {page}: wanted {value!r}, read {sorted(values)}"


def test_the_manifest_yields_cases():
    # guards against a manifest change that would silently leave the test above with nothing
    assert len(_cases()) > 50


#: Expected symbols of the corpus read by each reader at its defaults (PDFs at 300 dpi, images as
#: they are), as measured when zxing-cpp was added (shared/STACK-NOTES.md): ours must read every
#: symbol either reads.
READ_AT_LEAST = {("zbar",): 115, ("zxing-cpp",): 126, READERS: 129}


def _expected_symbols():
    files = json.loads((CORPUS / "MANIFEST.json").read_text())["files"]
    for f in files:
        if f["role"] == "sample" and f.get("expected", {}).get("barcodes"):
            yield f["path"], [(b["page"], b["value"]) for b in f["expected"]["barcodes"]]


def test_each_reader_and_both_together_read_the_corpus(corpus):
    read = dict.fromkeys(READ_AT_LEAST, 0)
    total = 0
    for rel, expected in _expected_symbols():
        pages = _pages(corpus / rel)
        for page, value in expected:
            total += 1
            for readers in READ_AT_LEAST:
                read[readers] += value in _values(pages, rel, page, readers)
    assert total >= 134
    assert all(read[readers] >= wanted for readers, wanted in READ_AT_LEAST.items()), read
    assert read[READERS] >= max(read[("zbar",)], read[("zxing-cpp",)])


def _page_that_trips_databar():
    """A printed page as office.scan once made it (paper tone, toner, noise drawn for this page),
    for the one seed found to trip zbar's DataBar assertion; pages that do are rare."""
    import numpy as np
    from helpers import office
    from PIL import Image

    printed, paper = office.text_print("Laporan Kegiatan", dpi=300, seed=36), office.OFFICE
    ink = 1 - np.asarray(printed, dtype=np.float32) / 255
    page = paper.tone - ink * (paper.tone - paper.toner)
    rng = np.random.default_rng(36)
    page += rng.standard_normal(page.shape, dtype=np.float32) * paper.noise
    for _ in range(paper.specks):
        y, x = rng.integers(0, page.shape[0] - 3), rng.integers(0, page.shape[1] - 3)
        page[y:y + 2, x:x + 2] = paper.toner + 60
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8), "L")


def test_looking_for_cover_sheets_keeps_zbars_assertions_off_stderr(capfd):
    """Zbar's DataBar decoder prints assertions for some text (here: a generated page at 300 dpi)
    when every symbology is asked for; classification asks only for the covers' two."""
    from pyzbar import pyzbar

    from scan_station.pages.classify import classify_image

    page = _page_that_trips_databar()
    pyzbar.decode(page)  # every symbology, as before
    assert "Assertion" in capfd.readouterr().err  # the page does trigger it
    for image, dpi in ((page, 300), (page.reduce(3), 100)):
        classify_image(image, 1, dpi=dpi)
        decode(image, symbologies=("CODE128", "QRCODE"))
    assert "Assertion" not in capfd.readouterr().err
