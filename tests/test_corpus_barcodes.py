"""Barcode reading on the shared corpus: every symbol the manifest says pyzbar/zbar reads, we read.

Samples that zbar cannot read (the manifest's `observed.pyzbar` lacks them) are documented
limits of the reader, not of Scan Station; they are listed in the manifest's caveats.
"""

import json
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

import batches
from conftest import CORPUS
from scan_station.barcodes import decode

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
                cases.append(pytest.param(f["path"], [(1, b["value"]) for b in f["expected"]["barcodes"]], id=f["path"]))
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


@pytest.mark.parametrize("rel, expected", _cases())
def test_reads_what_zbar_is_known_to_read(corpus, rel, expected):
    pages = _pages(corpus / rel)
    for page, value in expected:
        values = {s.value for s in decode(pages[page - 1])}
        assert value in values, f"page {page}: wanted {value!r}, read {sorted(values)}"


def test_the_manifest_yields_cases():
    # guards against a manifest change that would silently leave the test above with nothing
    assert len(_cases()) > 50
