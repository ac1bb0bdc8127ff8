"""The rasterizer plugin gives what Ghostscript gives for a scanned page, and defers otherwise."""

import io

import img2pdf
import pikepdf
import pytest
from helpers import batches
from ocrmypdf._exec import ghostscript
from ocrmypdf.helpers import Resolution
from ocrmypdf.pluginspec import GhostscriptRasterDevice as Device
from PIL import Image, ImageChops

from scan_station.ocr.raster import rasterize_pdf_page
from scan_station.papers.cover_sheet import coversheets_pdf

R300 = Resolution(300.0, 300.0)
pytestmark = pytest.mark.slow


def scanned_pdf(tmp_path, *, dpi=300, rotate=0, fmt="JPEG"):
    page = batches.content("Halaman uji")
    if dpi != 300:
        page = page.resize((page.width * dpi // 300, page.height * dpi // 300))
    buffer = io.BytesIO()
    page.save(buffer, format=fmt, dpi=(dpi, dpi), **({"quality": 85} if fmt == "JPEG" else {"compress_level": 1}))
    path = tmp_path / "page.pdf"
    path.write_bytes(img2pdf.convert(buffer.getvalue()))
    if rotate:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            pdf.pages[0].rotate(rotate, relative=False)
            pdf.save(path)
    return path


def ours(pdf, tmp_path, device=Device.PNGGRAY, dpi=R300, rotation=0):
    return rasterize_pdf_page(pdf, tmp_path / "ours.png", device, dpi, 1, dpi, rotation, False, True, None, False)


def ghostscripts(pdf, tmp_path, device=Device.PNGGRAY, rotation=0):
    out = tmp_path / "gs.png"
    ghostscript.rasterize_pdf(
        pdf, out, raster_device=device, raster_dpi=R300, pageno=1, page_dpi=R300, rotation=rotation
    )
    return out


def differing_pixels(a, b):
    with Image.open(a) as x, Image.open(b) as y:
        assert x.size == y.size and x.mode == y.mode
        diff = ImageChops.difference(x, y).point(lambda v: 255 if v > 8 else 0)
        return diff.histogram()[255] / (x.width * x.height)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("rotate, rotation", [(0, 0), (180, 0), (90, 0), (0, 180), (180, 90)])
def test_same_picture_as_ghostscript(tmp_path, fmt, rotate, rotation):
    pdf = scanned_pdf(tmp_path, rotate=rotate, fmt=fmt)
    assert ours(pdf, tmp_path, rotation=rotation) is not None
    # JPEG decoders may differ by a grey level or two; nothing more
    assert differing_pixels(tmp_path / "ours.png", ghostscripts(pdf, tmp_path, rotation=rotation)) < 0.001


def test_preview_for_the_orientation_check(tmp_path):
    pdf = scanned_pdf(tmp_path)
    out = rasterize_pdf_page(pdf, tmp_path / "p.jpg", Device.JPEGGRAY, R300, 1, R300, 0, False, True, None, False)
    with Image.open(out) as image:
        assert image.format == "JPEG" and image.mode == "L"


def test_leaves_everything_else_to_ghostscript(tmp_path):
    assert ours(scanned_pdf(tmp_path, dpi=150), tmp_path) is None  # upsampling: Ghostscript's job
    vector = tmp_path / "cover.pdf"
    vector.write_bytes(coversheets_pdf([batches.entry("PPID-2026-000001")]))
    assert ours(vector, tmp_path) is None  # drawn, not scanned
    assert ours(scanned_pdf(tmp_path), tmp_path, device=Device.PNGMONO) is None
