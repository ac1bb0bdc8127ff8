"""Softcopies handed over (SOP step 2), with real LibreOffice, pikepdf, pyHanko and tesseract:
office documents, images and PDFs filed and found; text PDFs keep their text without OCR; a signed
PDF stays signed byte for byte; every kind of bad file refused with nothing filed."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pikepdf
import pytest
from helpers import batches
from helpers.kiosk import login, make_app, run_queued_jobs, token
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from test_bad_input import assert_refused

from scan_station.core.errors import ExitCode

pytestmark = [pytest.mark.ocr]


@pytest.fixture(scope="session")
def office_files(tmp_path_factory) -> dict[str, Path]:
    """A DOCX and an XLSX made by LibreOffice itself from plain text and CSV."""
    folder = tmp_path_factory.mktemp("office")
    (folder / "keputusan.txt").write_text("Keputusan tentang penetapan rekapitulasi suara kecamatan Cibodas.\n")
    (folder / "anggaran.csv").write_text("Uraian,Anggaran\nBelanja perjalanan dinas Batuceper,1250000\n")
    profile = (folder / "profile").as_uri()
    for source, target in (("keputusan.txt", "docx"), ("anggaran.csv", "xlsx")):
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
                        "--outdir", str(folder), str(folder / source)], check=True, capture_output=True, timeout=120)
    return {"docx": folder / "keputusan.docx", "xlsx": folder / "anggaran.xlsx"}


def text_pdf(path: Path, lines: list[str], pages: int = 1) -> Path:
    """A born-digital PDF as word processors write them: real text in an embedded font, no image."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    c = canvas.Canvas(str(path), pagesize=A4, initialFontName="DejaVuSans", initialFontSize=12)
    for n in range(pages):
        for i, line in enumerate(lines):
            c.drawString(72, 760 - 18 * i, f"{line} ({n + 1})")
        c.showPage()
    c.save()
    return path


def entry(run, title="Keputusan KPU", category="berkala") -> str:
    return run("register", "add", "--title", title, "--unit", "Sekretariat", "--category", category,
               "--json").json["id"]


def _texts(run, word) -> list[str]:
    return sorted({h["register_id"] for h in run("search", word, "--json").json["hits"]})


@pytest.mark.slow
def test_office_documents_images_and_pdfs_are_filed_and_found(run, home, tmp_path, office_files):
    ids = {kind: entry(run, f"Softcopy {kind}") for kind in ("docx", "xlsx", "jpeg", "pdf")}
    jpeg = tmp_path / "papan-pengumuman.jpg"
    batches.content("Pengumuman", paragraphs=["Pengumuman jadwal rapat pleno Karawaci."]).convert("RGB").save(
        jpeg, dpi=(200, 200), quality=90)
    pdf = text_pdf(tmp_path / "surat.pdf", ["Surat edaran tentang pelayanan informasi Periuk."])
    for kind, path in (("docx", office_files["docx"]), ("xlsx", office_files["xlsx"]), ("jpeg", jpeg),
                       ("pdf", pdf)):
        result = run("submit", path, "--entry", ids[kind], "--json")
        assert result.code == 0, result.stderr
        (filed,) = result.json["documents"]
        assert filed["register_id"] == ids[kind] and filed["version"] == 1
        raw = home / result.json["raw_batch"]
        assert (raw / path.name.lower()).read_bytes() == path.read_bytes()  # the original, byte for byte
        with pikepdf.open(home / filed["path"]) as out:
            assert "PDF/A" in str(out.open_metadata().pdfa_status) or out.open_metadata().pdfa_status == "2B"
    assert _texts(run, "Cibodas") == [ids["docx"]]
    assert _texts(run, "Batuceper") == [ids["xlsx"]]
    assert _texts(run, "Karawaci") == [ids["jpeg"]]
    assert _texts(run, "Periuk") == [ids["pdf"]]
    assert run("verify", "--json").json["ok"]


@pytest.fixture
def counting_tesseract(tmp_path, monkeypatch) -> Path:
    """`tesseract` first on PATH: a wrapper that notes every OCR run (not version or language
    queries), then runs the real one. OCR children inherit PATH."""
    log = tmp_path / "tesseract-runs.log"
    wrapper = tmp_path / "bin" / "tesseract"
    wrapper.parent.mkdir()
    wrapper.write_text(f"""#!/bin/sh
case "$1" in --version|--list-langs|--help) ;; *) echo "$@" >> {log} ;; esac
exec {shutil.which("tesseract")} "$@"
""")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def test_a_text_pdf_keeps_its_text_and_runs_no_ocr(run, home, tmp_path, counting_tesseract):
    target = entry(run)
    pdf = text_pdf(tmp_path / "keputusan.pdf", ["Keputusan tentang daftar pemilih Neglasari."], pages=3)
    result = run("submit", pdf, "--entry", target, "--json")
    assert result.code == 0, result.stderr
    assert not counting_tesseract.exists(), counting_tesseract.read_text()  # no tesseract process ran
    assert _texts(run, "Neglasari") == [target]
    with pikepdf.open(home / result.json["documents"][0]["path"]) as out:
        assert len(out.pages) == 3


def test_pages_without_text_in_a_pdf_are_ocrd(run, home, tmp_path):
    """A scanned PDF handed over is read page by page as a scan is: each page judged readable."""
    target = entry(run)
    scanned = batches.write_pdf([batches.content("Notulen", paragraphs=["Notulen rapat koordinasi Jatiuwung."])],
                                tmp_path / "scan.pdf")
    result = run("submit", scanned, "--entry", target, "--json")
    assert result.code == 0, result.stderr
    assert _texts(run, "Jatiuwung") == [target]  # the page had no text: OCR found it
    sidecar = json.loads((home / result.json["documents"][0]["path"]).with_suffix(".json").read_text())
    assert sidecar["pages"][0]["readability"]["verdict"] == "terbaca" and sidecar["pages_to_check"] == []


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ketua KPU Kota Tangerang"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KPU Kota Tangerang")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def signed_pdf(tmp_path: Path) -> tuple[Path, Path]:
    """A PDF signed (PAdES) with a self-signed certificate, as BSrE's TTE signs with its own."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key, cert = _self_signed(tmp_path)
    unsigned = text_pdf(tmp_path / "unsigned.pdf", ["Keputusan Ketua tentang tata kerja Larangan."])
    signer = signers.SimpleSigner.load(str(key), str(cert))
    out = io.BytesIO()
    with unsigned.open("rb") as f:
        signers.sign_pdf(IncrementalPdfFileWriter(f), signers.PdfSignatureMetadata(field_name="TTE"),
                         signer=signer, output=out)
    path = tmp_path / "keputusan-bertanda-tangan.pdf"
    path.write_bytes(out.getvalue())
    return path, cert


def _signature_intact(path: Path, cert: Path) -> bool:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    with path.open("rb") as f:
        (embedded,) = PdfFileReader(f).embedded_signatures
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[load_cert_from_pemder(str(cert))]))
        return status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"


def test_a_signed_pdf_stays_signed_and_is_shown_with_its_checked_verdict(home, tmp_path):
    signed, cert = signed_pdf(tmp_path)
    assert _signature_intact(signed, cert)
    app = make_app(home)
    client = login(app.test_client(), "dok")
    from helpers.kiosk import add

    target = add(app, title="Keputusan Ketua")
    answer = client.post(f"/register/{target}/softcopy", data={
        "files": (signed.open("rb"), signed.name), "csrf_token": token(client, f"/register/{target}/softcopy")},
        content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert run_queued_jobs(app) == 1
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    from scan_station.db.database import Batch, Document

    with db.session() as s:
        (document,) = s.query(Document).all()
        raw = settings.storage_dir / s.get(Batch, document.batch_id).raw_dir
        pdf_path, doc_id = settings.storage_dir / document.path, document.id
        (signature,) = document.origin["files"][0]["signatures"]
        assert "Common Name: Ketua KPU Kota Tangerang" in signature["signer"]
        assert signature["verdict"] == "untrusted"  # self-signed, and no signature_trust_roots configured
    kept = raw / signed.name
    assert kept.read_bytes() == signed.read_bytes() and _signature_intact(kept, cert)  # the record, unchanged
    with pikepdf.open(pdf_path) as access:
        assert "Salinan akses" in str(access.open_metadata().get("dc:source"))
    client = login(app.test_client(), "ppid")
    page = client.get(f"/handover/{doc_id}").get_data(as_text=True)
    assert "Tanda tangan utuh, tetapi penanda tangan belum diperiksa terhadap daftar tepercaya" in page
    assert "Ketua KPU Kota Tangerang" in page and "Tanda tangan elektronik sah" not in page  # never "sah" unchecked
    assert "salinan akses" in page


def _encrypted_pdf(tmp_path) -> Path:
    path = tmp_path / "terkunci.pdf"
    with pikepdf.open(text_pdf(tmp_path / "plain.pdf", ["Rahasia"])) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="sandi", owner="sandi"))
    return path


def _ole_docx(tmp_path) -> Path:
    path = tmp_path / "terkunci.docx"  # Office keeps a password-protected DOCX in an OLE container
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 4000)
    return path


def _pdf_named_docx(tmp_path) -> Path:
    path = tmp_path / "laporan.docx"
    path.write_bytes(text_pdf(tmp_path / "x.pdf", ["Laporan"]).read_bytes())
    return path


def _broken_docx(tmp_path) -> Path:
    import zipfile

    path = tmp_path / "rusak.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "this is not XML at all")
    return path


def _zip_bomb_xlsx(tmp_path) -> Path:
    import zipfile

    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/big.xml", "w", force_zip64=True) as big:
            block = b"0" * (1 << 20)
            for _ in range(2100):  # 2.1 GB unpacked, a few MB packed
                big.write(block)
    return path


def _ten_thousand_pages(tmp_path) -> Path:
    path = tmp_path / "sepuluh-ribu.pdf"
    with pikepdf.new() as pdf:
        for _ in range(10_000):
            pdf.add_blank_page(page_size=(595, 842))
        pdf.save(path)
    return path


@pytest.mark.parametrize("make, words", [
    (_encrypted_pdf, ["terkunci.pdf", "password"]),
    (_ole_docx, ["terkunci.docx", "password-protected", "unprotected copy"]),
    (_pdf_named_docx, ["laporan.docx", "the name says DOCX, but the content is PDF"]),
    (_broken_docx, ["rusak.docx", "LibreOffice cannot open"]),
    (_ten_thousand_pages, ["10000 pages", "softcopy_max_pages"]),
    (lambda tmp: (tmp / "kosong.pdf").write_bytes(b"") and tmp / "kosong.pdf" or tmp / "kosong.pdf",
     ["kosong.pdf", "empty"]),
    (lambda tmp: (tmp / "catatan.txt").write_text("x") and tmp / "catatan.txt", [".txt cannot be handed over"]),
])
def test_bad_softcopies_are_refused_and_nothing_is_filed(run, home, tmp_path, make, words):
    target = entry(run)
    result = run("submit", make(tmp_path), "--entry", target, "--json")
    assert_refused(result, home, *words)
    work = home / "work"
    assert not work.exists() or not [p for p in work.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_a_zip_bomb_is_no_office_document(run, home, tmp_path):
    assert_refused(run("submit", _zip_bomb_xlsx(tmp_path), "--entry", entry(run), "--json"), home,
                   "decompression bomb")


def test_a_file_over_the_size_limit_is_refused(run, home, tmp_path):
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text("softcopy_max_mb = 1\n")
    big = tmp_path / "besar.pdf"
    big.write_bytes(text_pdf(tmp_path / "a.pdf", ["Besar"]).read_bytes() + b"%" + b"0" * (2 * 1024 * 1024))
    assert_refused(run("submit", big, "--entry", entry(run), "--json"), home, "besar.pdf", "over the limit of 1 MB")


def test_libreoffice_over_its_time_is_stopped(tmp_path, office_files):
    from scan_station._exec.libreoffice import ConversionError, convert_to_pdf

    with pytest.raises(ConversionError, match="took longer than 0.2 s"):
        convert_to_pdf(office_files["docx"], tmp_path / "out", timeout=0.2)
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path / "out")], capture_output=True, text=True)
    assert leftover.stdout == ""  # no converter left behind


def test_an_unknown_entry_is_exit_4_before_any_work(run, tmp_path):
    pdf = text_pdf(tmp_path / "a.pdf", ["A"])
    assert run("submit", pdf, "--entry", "PPID-1999-000001", "--json").code == ExitCode.not_found


def test_the_kiosk_shows_a_bad_file_as_a_form_error(home, tmp_path):
    from helpers.kiosk import add

    app = make_app(home)
    client = login(app.test_client(), "dok")
    target = add(app, title="Laporan")
    bad = _pdf_named_docx(tmp_path)
    answer = client.post(f"/register/{target}/softcopy", data={
        "files": (bad.open("rb"), bad.name), "csrf_token": token(client, f"/register/{target}/softcopy")},
        content_type="multipart/form-data")
    assert answer.status_code == 400 and "tetapi isinya PDF" in answer.get_data(as_text=True)  # in Bahasa Indonesia
    client.get("/lang/en")
    answer = client.post(f"/register/{target}/softcopy", data={
        "files": (bad.open("rb"), bad.name), "csrf_token": token(client, f"/register/{target}/softcopy")},
        content_type="multipart/form-data")
    assert "but the content is PDF" in answer.get_data(as_text=True)  # and in English on request
    assert client.get("/register/NOPE/softcopy").status_code == 404
    assert login(app.test_client(), "atasan").get(f"/register/{target}/softcopy").status_code == 403


@pytest.mark.ocr
def test_image_softcopies_are_turned_upright_and_judged_as_scans_are(run, home, tmp_path):
    """Photos and scans handed over go through the page pipeline: a page upside down or sideways
    is filed upright, a page nobody can read is in pages_to_check."""
    from helpers import office, office_pages
    from helpers.ocr_quality import word_recall
    from PIL import ImageFilter

    target = entry(run)
    printed = [office_pages.page(layout, dpi=200, seed=n) for n, layout in enumerate(["letter", "full", "letter"])]
    upside_down = tmp_path / "halaman-1.jpg"
    office.scan(printed[0].image, None, office.OFFICE, dpi=200, seed=1, turn=180).save(upside_down, quality=70,
                                                                                         dpi=(200, 200))
    sideways = tmp_path / "halaman-2.png"
    office.scan(printed[1].image, None, office.GREY_RECYCLED, dpi=200, seed=2, turn=90).save(sideways, dpi=(200, 200))
    blurred = tmp_path / "halaman-3.png"
    office.scan(printed[2].image, None, office.OFFICE, dpi=200, seed=3).filter(ImageFilter.GaussianBlur(3.5)).save(
        blurred, dpi=(200, 200))
    result = run("submit", upside_down, sideways, blurred, "--entry", target, "--json")
    assert result.code == 0, result.stderr
    assert [(c["page"], c["code"]) for c in result.json["pages_to_check"]] == [(3, "unreadable")]
    sidecar = json.loads((home / result.json["documents"][0]["path"]).with_suffix(".json").read_text())
    for page, text in zip(sidecar["pages"][:2], printed[:2], strict=True):
        assert word_recall(page["text"], text.text) >= 0.95 and page["readability"]["verdict"] == "terbaca"
    assert sidecar["pages"][2]["checks"] == ["unreadable"]


@pytest.mark.ocr
def test_a_scanned_page_handed_over_with_a_born_digital_one_is_turned_upright(run, home, tmp_path):
    """Text of its own keeps a softcopy on ocrmypdf (no OCR of good text); its scanned pages are
    still turned upright before they are read."""
    from helpers import office, office_pages
    from helpers.ocr_quality import word_recall

    target = entry(run)
    letter = text_pdf(tmp_path / "surat.pdf", ["Surat pengantar lampiran Karawaci."])
    printed = office_pages.page("letter", dpi=200, seed=4)
    scan = tmp_path / "lampiran.jpg"
    office.scan(printed.image, None, office.OFFICE, dpi=200, seed=4, turn=180).save(scan, quality=75, dpi=(200, 200))
    result = run("submit", letter, scan, "--entry", target, "--json")
    assert result.code == 0, result.stderr
    sidecar = json.loads((home / result.json["documents"][0]["path"]).with_suffix(".json").read_text())
    assert "Karawaci" in sidecar["pages"][0]["text"] and word_recall(sidecar["pages"][1]["text"], printed.text) >= 0.95
