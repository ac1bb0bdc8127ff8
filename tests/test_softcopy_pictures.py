"""Pictures inside office documents fall under `max_image_megapixels` before LibreOffice opens
them (issue 23, item 8): a DOCX, XLSX, PPTX, ODT or ODS carrying a picture whose header claims
more pixels than the limit — in every format Pillow reads — is refused with a clear message, and
nothing is filed; a document with ordinary pictures is not. The headers are crafted by hand, as
an attacker would: no pixel is ever decoded, so the test needs no memory for them."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from test_softcopy import entry

from scan_station.core.config import load_settings
from scan_station.core.errors import ExitCode
from scan_station.filing.softcopy import SoftcopyError, examine


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b""))


def jpeg(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 12, 3) + b"\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    return b"\xff\xd8" + sof + sos + b"\x00" * 10 + b"\xff\xd9"


def bmp(width: int, height: int) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + 16, 0, 0, 54) + info + b"\0" * 16


def gif(width: int, height: int) -> bytes:
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b","
            + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x4c\x01\x00;")


PICTURES = {"png": png, "jpeg": jpeg, "bmp": bmp, "gif": gif}
#: Where each kind of office document keeps its pictures, and the part that tells its kind.
CONTAINERS = {
    "docx": ("word/media/image1.{ext}", {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}),
    "xlsx": ("xl/media/image1.{ext}", {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}),
    "pptx": ("ppt/media/image1.{ext}", {"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}),
    "odt": ("Pictures/gambar.{ext}", {"mimetype": "application/vnd.oasis.opendocument.text",
                                      "content.xml": "<office:document-content/>"}),
    "ods": ("Pictures/gambar.{ext}", {"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                                      "content.xml": "<office:document-content/>"}),
}


def office(path: Path, kind: str, picture: bytes, ext: str) -> Path:
    member, parts = CONTAINERS[kind]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text, compress_type=zipfile.ZIP_STORED if name == "mimetype" else None)
        archive.writestr(member.format(ext=ext), picture)
    return path


@pytest.fixture
def settings(home):
    home.mkdir(parents=True, exist_ok=True)
    return load_settings(home)


@pytest.mark.parametrize("kind", sorted(CONTAINERS))
@pytest.mark.parametrize("fmt", sorted(PICTURES))
@pytest.mark.parametrize("size", [(13000, 12000), (60000, 60000)])  # just over 150 MP, and far over (Pillow's own bomb)
def test_a_picture_over_the_limit_is_refused_before_conversion(settings, tmp_path, kind, fmt, size):
    if fmt in ("gif", "jpeg") and max(size) > 65535:
        size = (65000, 65000)
    path = office(tmp_path / f"laporan.{kind}", kind, PICTURES[fmt](*size), fmt)
    with pytest.raises(SoftcopyError) as refused:
        examine(path, settings)
    assert refused.value.code == "office_image" and "max_image_megapixels" in str(refused.value)


@pytest.mark.parametrize("kind", sorted(CONTAINERS))
def test_ordinary_pictures_and_pictures_pillow_does_not_know_pass(settings, tmp_path, kind):
    path = office(tmp_path / f"laporan.{kind}", kind, png(2480, 3508), "png")  # an A4 page at 300 dpi
    assert examine(path, settings).kind == kind
    odd = office(tmp_path / f"lain.{kind}", kind, b"\x01\x00\x00\x00 EMF, not read by Pillow", "png")
    assert examine(odd, settings).kind == kind


def test_the_limit_follows_the_setting(home, tmp_path):
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text("max_image_megapixels = 5\n")
    path = office(tmp_path / "laporan.docx", "docx", png(2480, 3508), "png")  # 8.7 MP
    with pytest.raises(SoftcopyError):
        examine(path, load_settings(home))


@pytest.mark.ocr
def test_submit_refuses_it_with_exit_3_and_files_nothing(run, tmp_path):
    target = entry(run)
    path = office(tmp_path / "laporan.docx", "docx", png(20000, 20000), "png")
    refused = run("submit", path, "--entry", target)
    assert refused.code == ExitCode.input_file and "max_image_megapixels" in refused.stderr
    assert run("search", "--json", "laporan").json["hits"] == []


def _drawing_pdf(path: Path, side: float) -> Path:
    """A born-digital PDF as a CAD or GIS program writes one: a page of text on a map, and a page
    of vector lines alone, `side` points square."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    c = canvas.Canvas(str(path), pagesize=(side, side))
    c.setFont("DejaVuSans", side / 30)
    c.drawString(side / 20, side / 2, "Peta wilayah kecamatan Cibodas")
    c.rect(10, 10, side - 20, side - 20)
    c.showPage()
    c.rect(10, 10, side - 20, side - 20)
    c.line(0, 0, side, side)
    c.showPage()
    c.save()
    return path


@pytest.mark.ocr
def test_vector_pages_are_drawn_within_the_limit(run, home, tmp_path):
    """Ocrmypdf draws a page without images at 400 dpi: a 1000-point page is 31 MP, over a limit
    of 20. It is drawn within it instead, and the softcopy is filed with its text."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text("max_image_megapixels = 20\n")
    target = entry(run, title="Peta wilayah")
    filed = run("submit", _drawing_pdf(tmp_path / "peta.pdf", 1000), "--entry", target, "--json")
    assert filed.code == 0, filed.stderr
    assert filed.json["documents"][0]["page_count"] == 2
    assert target in {h["register_id"] for h in run("search", "Cibodas", "--json").json["hits"]}


def test_drawn_pages_keep_their_size_and_stay_within_the_limit(tmp_path):
    import pikepdf

    from scan_station.ocr.vector_pages import drawn_within_limit

    path = _drawing_pdf(tmp_path / "peta.pdf", 1000)
    assert drawn_within_limit(path, 20) == [2]  # the page with text is ocrmypdf's to keep
    assert 1 in drawn_within_limit(path, 20, with_text=True)  # when every page becomes an image
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            assert [float(v) for v in page.mediabox] == [0, 0, 1000, 1000]
            (image,) = page.get_images().values()
            assert image.Width * image.Height <= 20e6


@pytest.mark.parametrize("member", ["word/media/image1.dat", "word/media/image1", "word/media/image1.PNG ",
                                    "word/media/IMAGE1.Png", "customXml/item1.bin", "word/media/gambar.emf"])
def test_a_picture_is_known_by_its_bytes_not_its_name(settings, tmp_path, member):
    """LibreOffice reads a picture by what it is; so does the check."""
    path = tmp_path / "laporan.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in CONTAINERS["docx"][1].items():
            archive.writestr(name, text)
        archive.writestr(member, png(40000, 40000))
    with pytest.raises(SoftcopyError) as refused:
        examine(path, settings)
    assert refused.value.code == "office_image"


@pytest.mark.parametrize("outer", ["docx", "xlsx", "odt"])
def test_a_picture_in_a_document_embedded_in_the_document_is_checked_too(settings, tmp_path, outer):
    inner = office(tmp_path / "lampiran.docx", "docx", png(20000, 20000), "png").read_bytes()
    path = office(tmp_path / f"laporan.{outer}", outer, png(100, 100), "png")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/embeddings/Microsoft_Word_Document.docx", inner)
    with pytest.raises(SoftcopyError) as refused:
        examine(path, settings)
    assert refused.value.code == "office_image"
