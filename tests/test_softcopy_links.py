"""Files from outside are opened in a box. An office softcopy whose picture is a *link*, not
embedded, as an attacker writes one: to a stored exempt PDF, to a page of a batch in review
(absolute, and relative into the home), to a file under /etc, and to an address on loopback where
the test listens. LibreOffice converts it in its box (`_exec/sandbox.py`): nothing linked is
embedded, the listener hears nothing, and the softcopy is filed without the picture.

Each crafted document is first converted outside the box, by `soffice` as it comes, to show that
the link is one LibreOffice follows: the test attacks something real. Ghostscript, which renders a
softcopy's pages for OCR, reads nothing outside its scratch folder even when told to."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image
from test_softcopy import entry

from scan_station._exec.libreoffice import convert_to_pdf
from scan_station._exec.sandbox import ghostscript_boxed

pytestmark = [pytest.mark.ocr]

RED = (255, 0, 0)

ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2">
<office:body><office:text>
<text:p>Laporan kegiatan sosialisasi Cibodas</text:p>
<text:p><draw:frame draw:name="gambar" text:anchor-type="as-char" svg:width="15cm" svg:height="10cm">
<draw:image xlink:href="{href}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
</office:text></office:body></office:document-content>
"""
ODT_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
DOCX_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>
"""
DOCX_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="word/document.xml"/>
</Relationships>
"""
DOCX_DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
 Target="{href}" TargetMode="External"/>
</Relationships>
"""
DOCX_DOCUMENT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">
<w:body>
<w:p><w:r><w:t>Laporan kegiatan sosialisasi Cibodas</w:t></w:r></w:p>
<w:p><w:r><w:drawing><wp:inline><wp:extent cx="5400000" cy="3600000"/><wp:docPr id="1" name="gambar"/>
<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>
<pic:nvPicPr><pic:cNvPr id="1" name="gambar"/><pic:cNvPicPr/></pic:nvPicPr>
<pic:blipFill><a:blip r:link="rIdImg"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>
<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="3600000"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr>
</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>
</w:body></w:document>
"""


def linked_odt(path: Path, href: str) -> Path:
    with zipfile.ZipFile(path, "w") as odt:
        odt.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        odt.writestr("content.xml", ODT_CONTENT.format(href=href))
        odt.writestr("META-INF/manifest.xml", ODT_MANIFEST)
    return path


def linked_docx(path: Path, href: str) -> Path:
    with zipfile.ZipFile(path, "w") as docx:
        docx.writestr("[Content_Types].xml", DOCX_TYPES)
        docx.writestr("_rels/.rels", DOCX_RELS)
        docx.writestr("word/document.xml", DOCX_DOCUMENT)
        docx.writestr("word/_rels/document.xml.rels", DOCX_DOCUMENT_RELS.format(href=href))
    return path


def red_share(pdf: Path) -> float:
    """The share of the first page that is the secret's red, rendered."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=50 / 72).to_pil().convert("RGB")
    finally:
        document.close()
    pixels = np.asarray(image).astype(int)
    return float(((pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)).mean())


def red_png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (600, 400), RED).save(path)
    return path


def red_pdf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (600, 400), RED).save(path, "PDF", resolution=72)
    return path


def unboxed(source: Path, out: Path) -> Path:
    """`soffice` as it comes, outside the box: what the link would do without it."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(source)], check=True, capture_output=True,
                   timeout=120)
    return out / f"{source.stem}.pdf"


class Listener:
    """An HTTP server on loopback that serves a red PNG and counts what asks for anything."""

    def __init__(self, png: bytes):
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the standard library's name
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/gambar.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def secrets(home, tmp_path):
    """What a link may point at: a stored exempt PDF and a page of a batch in review (in the
    home), a file under /etc, an address on loopback."""
    stored = red_pdf(home / "storage" / "2026" / "umum" / "PPID-2026-000009" / "PPID-2026-000009_v1.pdf")
    page = red_png(home / "work" / "scans" / "B20261207-000000-AAAA" / "pages" / "1.png")
    etc = red_png(Path("/etc") / f"scan-station-test-{tmp_path.name}.png")
    listener = Listener(etc.read_bytes())
    yield {"stored": stored, "page": page, "etc": etc, "listener": listener}
    listener.close()
    etc.unlink(missing_ok=True)


@pytest.mark.parametrize("make", [linked_odt, linked_docx], ids=["odt", "docx"])
def test_linked_pictures_are_not_loaded_by_the_converter(make, secrets, home, tmp_path):
    listener = secrets["listener"]
    folder = home / "work" / "uploads" / "u1"
    folder.mkdir(parents=True)
    hrefs = {"stored exempt PDF": secrets["stored"].as_uri(), "batch page": secrets["page"].as_uri(),
             "/etc": secrets["etc"].as_uri(), "loopback": listener.url,
             "relative into the home": "../../scans/B20261207-000000-AAAA/pages/1.png"}
    suffix = ".odt" if make is linked_odt else ".docx"
    for n, (what, href) in enumerate(hrefs.items()):
        source = make(folder / f"tautan{suffix}", href)
        if what in ("/etc", "loopback"):  # the attack is real: as it comes, LibreOffice loads the link
            assert red_share(unboxed(source, tmp_path / f"unboxed-{n}")) > 0.05, what
            if what == "loopback":
                assert listener.requests
                listener.requests.clear()
        out = tmp_path / f"out-{n}"
        pdf = convert_to_pdf(source, out, timeout=120)
        assert red_share(pdf) == 0, f"{what}: the linked picture was embedded"
        assert "Cibodas" in pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
        shutil.rmtree(out)
    assert listener.requests == [], "the converter reached the network"


def test_a_softcopy_with_a_linked_picture_is_filed_without_it(run, home, tmp_path, secrets):
    target = entry(run, "Laporan dengan gambar tertaut")
    source = linked_docx(tmp_path / "laporan.docx", secrets["stored"].as_uri())
    result = run("submit", source, "--entry", target, "--json")
    assert result.code == 0, result.stderr
    filed = home / result.json["documents"][0]["path"]
    assert red_share(filed) == 0
    with pikepdf.open(filed) as pdf:
        assert len(pdf.pages) == 1
    assert [h["register_id"] for h in run("search", "Cibodas", "--json").json["hits"]] == [target]
    assert secrets["listener"].requests == []


def test_ghostscript_rendering_a_softcopy_reads_nothing_outside_its_scratch_folder(home, tmp_path):
    secret = home / "secret_key"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("RAHASIA\n")
    program = f"({secret}) (r) file 100 string readstring pop print flush\n"
    command = ["gs", "-q", "-dNOSAFER", "-dBATCH", "-dNODISPLAY"]  # told to read anything it likes
    outside = tmp_path / "baca.ps"
    outside.write_text(program)
    assert subprocess.run([*command, str(outside)], capture_output=True, text=True).stdout.strip() == "RAHASIA"
    scratch = tmp_path / "scratch"
    with ghostscript_boxed(scratch):
        import tempfile

        inside = Path(tempfile.mkdtemp()) / "baca.ps"  # where ocrmypdf's work folder goes now
        inside.write_text(program)
        boxed = subprocess.run([*command, str(inside)], capture_output=True, text=True)
    assert boxed.returncode != 0 and "RAHASIA" not in boxed.stdout and "undefinedfilename" in boxed.stdout
    assert not scratch.exists()  # the scratch folder goes with the job
