"""A signature is checked before it is named (issue 23, item 4), tested as an attacker would:
real PDFs signed in the test with pyHanko under a CA made here with `cryptography`, then
altered after signing, byte-flipped, their signature bytes corrupted, signed with an expired
certificate, or carrying a garbage signature dictionary. Each gets its honest verdict, offline;
only a signer chained to a configured trust root is called valid ("sah"); the handover screen,
the access copy's metadata and the copy's statement page say the verdict; the scheduled fixity
check re-checks the stored originals and reports a verdict that got worse."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from scan_station.core.config import load_settings
from scan_station.core.errors import ConfigError
from scan_station.records import signatures
from scan_station.records.signatures import SignatureCheck, Verdict, check_pdf

NOW = dt.datetime.now(dt.UTC)


# --- A small PKI of the test's own: a CA, signers under it, a TSA --------------------------------

@dataclass
class Pki:
    folder: Path
    ca: Path  # the CA's certificate (PEM): what a PPID would configure as a trust root
    ca_key: object

    def issue(self, name: str, *, not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
              tsa: bool = False, issuer_key=None, issuer_cert=None, revocation_url: str = "") -> tuple[Path, Path]:
        """A key and certificate for `name`, issued by the CA (or by `issuer_*`)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_cert = issuer_cert or x509.load_pem_x509_certificate(self.ca.read_bytes())
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                                            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KPU Kota Tangerang")]))
                   .issuer_name(ca_cert.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or NOW - dt.timedelta(days=30))
                   .not_valid_after(not_after or NOW + dt.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(True, not tsa, False, False, False, False, False, False, False),
                                  critical=True))
        if tsa:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        if revocation_url:  # where a validator that fetches would ask about revocation
            from cryptography.x509.oid import AuthorityInformationAccessOID

            url = x509.UniformResourceIdentifier(revocation_url)
            points = x509.CRLDistributionPoints([x509.DistributionPoint([url], None, None, None)])
            access = x509.AuthorityInformationAccess([x509.AccessDescription(AuthorityInformationAccessOID.OCSP, url)])
            builder = builder.add_extension(points, critical=False).add_extension(access, critical=False)
        cert = builder.sign(issuer_key or self.ca_key, hashes.SHA256())
        slug = name.lower().replace(" ", "-")
        key_path, cert_path = self.folder / f"{slug}.key.pem", self.folder / f"{slug}.pem"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key_path, cert_path


def make_ca(folder: Path, name: str = "BSrE Uji Root CA") -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=3650))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    path = folder / f"{name.lower().replace(' ', '-')}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Pki(folder, path, key)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_ca(tmp_path_factory.mktemp("pki"))


def unsigned_pdf(path: Path, text: str = "Keputusan Ketua tentang tata kerja Larangan.") -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, pageCompression=0)
    c.drawString(72, 760, text)
    c.showPage()
    c.save()
    return path


def sign(source: Path, out: Path, key: Path, cert: Path, pki: Pki, *, timestamp_by: tuple[Path, Path] | None = None,
         field: str = "TTE") -> Path:
    """`source` signed (PAdES, incremental) by `cert`, its chain embedded; with a signature
    timestamp token from the TSA `timestamp_by` when given."""
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers, timestamps
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(pki.ca)])
    stamper = None
    if timestamp_by:
        tsa_key, tsa_cert = timestamp_by
        stamper = timestamps.DummyTimeStamper(
            tsa_cert=load_cert_from_pemder(str(tsa_cert)), tsa_key=load_private_key_from_pemder(str(tsa_key), None),
            certs_to_embed=SimpleCertificateStore.from_certs([load_cert_from_pemder(str(pki.ca))]))
    buffer = io.BytesIO()
    with source.open("rb") as f:
        signers.sign_pdf(IncrementalPdfFileWriter(f), signers.PdfSignatureMetadata(field_name=field),
                         signer=signer, timestamper=stamper, output=buffer)
    out.write_bytes(buffer.getvalue())
    return out


def settings_with(home: Path, roots: list[Path] | None = None):
    return load_settings(home, signature_trust_roots=roots or [])


@pytest.fixture(scope="module")
def signed(pki, tmp_path_factory) -> Path:
    """A PDF validly signed by a signer under the test's CA."""
    folder = tmp_path_factory.mktemp("signed")
    key, cert = pki.issue("Ketua KPU Kota Tangerang")
    return sign(unsigned_pdf(folder / "asli.pdf"), folder / "keputusan-bertanda-tangan.pdf", key, cert, pki)


def one(path: Path, settings) -> SignatureCheck:
    (check,) = check_pdf(path, settings)
    return check


# --- Verdicts ------------------------------------------------------------------------------------

def test_a_valid_signature_chained_to_a_configured_root_is_valid(signed, pki, tmp_path):
    check = one(signed, settings_with(tmp_path / "home", [pki.ca]))
    assert check.verdict == Verdict.VALID and check.reason == ""
    assert "Ketua KPU Kota Tangerang" in check.signer and check.signed_at and check.checked_at
    assert check.timestamp == "" and check.time_source == "signer"  # no token: the signer's own time
    assert signatures.statement(check).startswith("Tanda tangan elektronik sah: ditandatangani oleh ")


def test_without_trust_roots_the_same_signature_is_only_untrusted(signed, tmp_path):
    check = one(signed, settings_with(tmp_path / "home"))
    assert check.verdict == Verdict.UNTRUSTED and check.reason == "no_roots"
    text = signatures.statement(check)
    assert "penanda tangan belum diperiksa terhadap daftar tepercaya" in text and "sah" not in text.split()


def test_a_signer_of_another_ca_is_not_trusted_by_the_configured_root(signed, tmp_path):
    other = make_ca(tmp_path / "other", "CA Lain")
    check = one(signed, settings_with(tmp_path / "home", [other.ca]))
    assert check.verdict == Verdict.UNTRUSTED and check.reason == "not_chained"


def test_a_self_signed_signer_is_not_trusted_unless_configured(tmp_path):
    """The attacker makes a certificate that names the CA's signer: chained to nothing configured."""
    fake = make_ca(tmp_path / "fake", "Ketua KPU Kota Tangerang")
    key, cert = fake.issue("Ketua KPU Kota Tangerang")
    pdf = sign(unsigned_pdf(tmp_path / "a.pdf"), tmp_path / "palsu.pdf", key, cert, fake)
    real = make_ca(tmp_path / "real")
    assert one(pdf, settings_with(tmp_path / "home", [real.ca])).verdict == Verdict.UNTRUSTED


def test_content_changed_in_an_incremental_update_after_signing_is_altered(signed, pki, tmp_path):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    content = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Keputusan dibatalkan) Tj ET")
    page["/Contents"] = writer.add_object(content)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    altered = tmp_path / "diubah.pdf"
    altered.write_bytes(out.getvalue())
    check = one(altered, settings_with(tmp_path / "home", [pki.ca]))
    assert check.verdict == Verdict.ALTERED and check.reason == "modified"
    assert signatures.statement(check).startswith("Dokumen diubah setelah ditandatangani")


def test_a_byte_flipped_inside_the_signed_range_breaks_the_signature(signed, pki, tmp_path):
    data = bytearray(signed.read_bytes())
    at = data.index(b"Larangan")  # the page's own text, uncompressed, inside the first signed range
    data[at] ^= 0x01
    flipped = tmp_path / "dibalik.pdf"
    flipped.write_bytes(bytes(data))
    check = one(flipped, settings_with(tmp_path / "home", [pki.ca]))
    assert check.verdict == Verdict.BROKEN and check.reason == "hash_mismatch"
    assert signatures.statement(check).startswith("Tanda tangan rusak / tidak dapat diperiksa")


def _contents_span(data: bytes) -> tuple[int, int]:
    start = data.rindex(b"/Contents <") + len(b"/Contents <")
    return start, data.index(b">", start)


@pytest.mark.parametrize("where", ["signature value", "structure"])
def test_corrupted_signature_bytes_are_broken(signed, pki, tmp_path, where):
    data = bytearray(signed.read_bytes())
    start, end = _contents_span(data)
    used = bytes(data[start:end]).rstrip(b"0")
    at = start + (len(used) - 40 if where == "signature value" else 12)  # the RSA value ends the CMS
    data[at:at + 8] = b"00000000" if data[at:at + 8] != b"00000000" else b"ffffffff"
    corrupt = tmp_path / "rusak.pdf"
    corrupt.write_bytes(bytes(data))
    check = one(corrupt, settings_with(tmp_path / "home", [pki.ca]))
    assert check.verdict == Verdict.BROKEN
    assert check.reason == {"signature value": "bad_signature", "structure": "unreadable"}[where], check


def test_a_certificate_expired_before_signing_is_expired(pki, tmp_path):
    key, cert = pki.issue("Pejabat Lama", not_before=NOW - dt.timedelta(days=800),
                          not_after=NOW - dt.timedelta(days=400))
    pdf = sign(unsigned_pdf(tmp_path / "a.pdf"), tmp_path / "kedaluwarsa.pdf", key, cert, pki)
    for roots in ([pki.ca], []):  # with and without a trusted list: the window is the certificate's own
        check = one(pdf, settings_with(tmp_path / f"home{len(roots)}", roots))
        assert check.verdict == Verdict.EXPIRED and check.reason == "expired", roots
        assert "Sertifikat penanda tangan kedaluwarsa pada waktu penandatanganan" in signatures.statement(check)


def test_a_garbage_signature_dictionary_is_broken_without_an_exception(tmp_path):
    pdf_path = unsigned_pdf(tmp_path / "a.pdf")
    garbage = tmp_path / "sampah.pdf"
    with pikepdf.open(pdf_path) as pdf:
        for value in (pikepdf.Dictionary(Type=pikepdf.Name.Sig, Filter=pikepdf.Name("/Adobe.PPKLite"),
                                         SubFilter=pikepdf.Name("/adbe.pkcs7.detached"),
                                         ByteRange=pikepdf.Array([0, 10, 20, 99999999]),
                                         Contents=pikepdf.String(b"\xde\xad\xbe\xef")),
                      pikepdf.Array([1, 2, 3]),
                      pikepdf.Dictionary(Type=pikepdf.Name.Sig)):
            field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("TTE"), V=value))
            pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
            pdf.save(garbage)
            check = one(garbage, settings_with(tmp_path / "home"))
            assert check.verdict == Verdict.BROKEN and check.reason == "unreadable", value


def test_a_check_that_takes_too_long_is_broken_not_a_hang(signed, tmp_path, monkeypatch):
    monkeypatch.setattr(signatures, "CHECK_TIMEOUT_SECONDS", 0.05)
    check = one(signed, settings_with(tmp_path / "home"))
    assert check.verdict == Verdict.BROKEN and check.reason == "timeout"


def test_a_check_whose_child_dies_is_broken(signed, tmp_path, monkeypatch):
    monkeypatch.setattr(signatures.sys, "executable", "/bin/false")  # as if the parser crashed outright
    check = one(signed, settings_with(tmp_path / "home"))
    assert check.verdict == Verdict.BROKEN and check.reason == "unreadable"


def test_the_check_fetches_nothing_from_the_network(pki, tmp_path):
    """The signer's certificate names a CRL and an OCSP responder on a port the test listens on:
    the check is offline, so nothing connects there."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    url = f"http://127.0.0.1:{server.getsockname()[1]}/ocsp-crl"
    key, cert = pki.issue("Penandatangan Beralamat", revocation_url=url)
    pdf = sign(unsigned_pdf(tmp_path / "a.pdf"), tmp_path / "beralamat.pdf", key, cert, pki)
    try:
        assert one(pdf, settings_with(tmp_path / "home", [pki.ca])).verdict == Verdict.VALID
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()


def test_an_unsigned_pdf_starts_no_check(tmp_path, monkeypatch):
    def no_child(*args, **kwargs):
        raise AssertionError("a child was started for an unsigned PDF")

    monkeypatch.setattr(signatures.subprocess, "Popen", no_child)
    assert check_pdf(unsigned_pdf(tmp_path / "a.pdf"), settings_with(tmp_path / "home")) == ()


def test_a_valid_timestamp_is_checked_and_its_time_used(signed, pki, tmp_path):
    key, cert = pki.issue("Penandatangan Berstempel")
    tsa = pki.issue("TSA Uji", tsa=True)
    pdf = sign(unsigned_pdf(tmp_path / "a.pdf"), tmp_path / "berstempel.pdf", key, cert, pki, timestamp_by=tsa)
    check = one(pdf, settings_with(tmp_path / "home", [pki.ca]))
    assert check.verdict == Verdict.VALID and check.timestamp == "valid" and check.timestamp_at
    assert check.time_source == "timestamp" and check.time == check.timestamp_at
    assert "menurut stempel waktu" in signatures.statement(check)
    untrusted = one(pdf, settings_with(tmp_path / "home2"))
    assert untrusted.verdict == Verdict.UNTRUSTED and untrusted.timestamp == "untrusted"
    assert untrusted.time_source == "signer"  # an unchecked TSA's time is no better than the signer's


def test_a_second_signature_added_later_leaves_the_first_valid(signed, pki, tmp_path):
    key, cert = pki.issue("Sekretaris KPU Kota Tangerang")
    twice = sign(signed, tmp_path / "dua.pdf", key, cert, pki, field="TTE2")
    first, second = check_pdf(twice, settings_with(tmp_path / "home", [pki.ca]))
    assert first.verdict == Verdict.VALID and first.changes == "signing"
    assert "hanya ditambahkan tanda tangan lain" in signatures.statement(first)
    assert second.verdict == Verdict.VALID and second.changes == ""


def test_an_old_record_without_a_verdict_reads_not_checked():
    old = SignatureCheck.from_dict({"signer": "Common Name: Ketua", "signed_at": "2025-01-02T03:04:05+00:00"})
    assert old.verdict == Verdict.UNCHECKED
    assert signatures.statement(old).startswith("Tanda tangan belum diperiksa")
    for hostile in ({"signer": "X", "verdict": "sah"}, {"verdict": ["valid"]}, "valid", None):
        assert SignatureCheck.from_dict(hostile).verdict == Verdict.UNCHECKED


def test_trust_roots_are_checked_at_start(pki, tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "scan-station.toml").write_text(f'signature_trust_roots = ["{pki.ca}"]\n')
    assert load_settings(tmp_path / "home").signature_trust_roots == (pki.ca,)
    (tmp_path / "bukan.pem").write_text("bukan sertifikat")
    for bad in ([tmp_path / "tidak-ada.pem"], [tmp_path / "bukan.pem"]):
        with pytest.raises(ConfigError, match="signature_trust_roots"):
            load_settings(tmp_path / "home", signature_trust_roots=bad)
    with pytest.raises(ConfigError, match="signature_trust_roots"):
        load_settings(tmp_path / "home", signature_trust_roots=42)


# --- Said honestly where people read it: the handover screen, the access copy, the copy handed out

def _altered(signed: Path, folder: Path) -> Path:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Batal) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    path = folder / "keputusan-diubah.pdf"
    path.write_bytes(out.getvalue())
    return path


def _broken(signed: Path, folder: Path) -> Path:
    data = bytearray(signed.read_bytes())
    start, end = _contents_span(data)
    at = start + len(bytes(data[start:end]).rstrip(b"0")) - 40
    data[at:at + 8] = b"00000000" if data[at:at + 8] != b"00000000" else b"ffffffff"
    path = folder / "keputusan-rusak.pdf"
    path.write_bytes(bytes(data))
    return path


def _trust(home: Path, *roots: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text(f"signature_trust_roots = {json.dumps([str(r) for r in roots])}\n")


def _hand_over(home: Path, files: list[Path]):
    """The files handed over in the kiosk as one softcopy of a new entry; (app, document id)."""
    from helpers.kiosk import add, login, make_app, run_queued_jobs, token

    from scan_station.db.database import Document

    app = make_app(home)
    client = login(app.test_client(), "dok")
    target = add(app, title="Keputusan Ketua", number="KPU/123/2026")
    answer = client.post(f"/register/{target}/softcopy", data={
        "files": [(f.open("rb"), f.name) for f in files], "csrf_token": token(client, f"/register/{target}/softcopy")},
        content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert run_queued_jobs(app) == 1
    with app.extensions["scan_station"]["db"].session() as s:
        (document,) = s.query(Document).all()
        return app, document.id


def _handover_page(app, document_id: int) -> str:
    from helpers.kiosk import login

    return login(app.test_client(), "ppid").get(f"/handover/{document_id}").get_data(as_text=True)


def _source(pdf: Path | bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as doc:
        return str(doc.open_metadata().get("dc:source"))


def _last_page_text(data: bytes, folder: Path) -> str:
    import subprocess

    path = folder / "salinan.pdf"
    path.write_bytes(data)
    with pikepdf.open(path) as doc:
        last = len(doc.pages)
    return subprocess.run(["pdftotext", "-layout", "-f", str(last), "-l", str(last), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.ocr
def test_each_verdict_is_said_on_the_handover_screen_in_the_access_copy_and_on_the_copy(signed, pki, tmp_path):
    from scan_station.db.database import Document
    from scan_station.records import access_copy

    home = tmp_path / "home"
    _trust(home, pki.ca)
    files = [signed, _altered(signed, tmp_path), _broken(signed, tmp_path)]
    app, doc_id = _hand_over(home, files)
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    with db.session() as s:
        document = s.get(Document, doc_id)
        stored = [[sig["verdict"] for sig in f["signatures"]] for f in document.origin["files"]]
        master = settings.storage_dir / document.path
    assert stored == [["valid"], ["altered"], ["broken"]]

    page = _handover_page(app, doc_id)
    assert page.count("Tanda tangan elektronik sah: ditandatangani oleh") == 1  # the valid one only
    assert 'data-verdict="valid"' in page and "Ketua KPU Kota Tangerang" in page
    assert "Dokumen diubah setelah ditandatangani" in page and 'data-verdict="altered"' in page
    assert "Tanda tangan rusak / tidak dapat diperiksa" in page and 'data-verdict="broken"' in page
    assert "menurut penanda tangan" in page  # no timestamp: the time is the signer's own claim
    assert "Ditandatangani secara elektronik oleh" not in page and "salinan akses" in page

    note = _source(master)  # the filed PDF/A (the access copy) says so in its metadata
    assert "KPU/123/2026" in note and "Salinan akses PDF/A" in note
    assert note.count("Tanda tangan elektronik sah") == 1 and "Dokumen diubah setelah ditandatangani" in note
    assert "Tanda tangan rusak / tidak dapat diperiksa" in note

    data, _name = access_copy.make(settings, db, doc_id, base_url="https://ppid.example.go.id")
    assert _source(data) == note
    statement = " ".join(_last_page_text(data, tmp_path).split())
    assert "PERNYATAAN ALIH MEDIA" in statement and "diperiksa saat diserahkan" in statement
    assert statement.count("Tanda tangan elektronik sah: ditandatangani oleh") == 1
    assert "Dokumen diubah setelah ditandatangani" in statement and "Tanda tangan rusak" in statement
    assert "Tanda tangan elektronik tidak berlaku pada salinan ini" in statement


@pytest.mark.ocr
def test_without_roots_the_screen_and_copy_never_say_sah_and_old_records_say_not_checked(signed, tmp_path):
    from scan_station.db.database import Document
    from scan_station.records import access_copy

    app, doc_id = _hand_over(tmp_path / "home", [signed])
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    page = _handover_page(app, doc_id)
    assert "Tanda tangan utuh, tetapi penanda tangan belum diperiksa terhadap daftar tepercaya" in page
    assert "sah" not in page.split() and "Tanda tangan elektronik sah" not in page
    with db.session() as s:
        master = settings.storage_dir / s.get(Document, doc_id).path
    assert "penanda tangan belum diperiksa terhadap daftar tepercaya" in _source(master)

    with db.session() as s:  # a record from before signatures were checked: signer and time only
        document = s.get(Document, doc_id)
        origin = json.loads(json.dumps(document.origin))
        origin["files"][0]["signatures"] = [{"signer": "Common Name: Ketua KPU Kota Tangerang",
                                             "signed_at": "2025-03-04T05:06:07+00:00"}]
        document.origin = origin
    page = _handover_page(app, doc_id)
    assert "Tanda tangan belum diperiksa" in page and 'data-verdict="unchecked"' in page
    assert "Tanda tangan elektronik sah" not in page and "Tanda tangan utuh" not in page
    data, _name = access_copy.make(settings, db, doc_id, base_url="https://ppid.example.go.id")
    assert "Tanda tangan belum diperiksa" in _source(data)  # not the master's older wording
    assert "Tanda tangan belum diperiksa" in " ".join(_last_page_text(data, tmp_path).split())


# --- The scheduled fixity check checks the kept originals again ---------------------------------

@pytest.mark.ocr
def test_fixity_reports_a_verdict_worse_than_the_recorded_one(signed, pki, tmp_path):
    from scan_station.archive import fixity
    from scan_station.db.database import Batch, Document

    home = tmp_path / "home"
    _trust(home, pki.ca)
    app, doc_id = _hand_over(home, [signed])
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    first = fixity.check(settings, db)
    assert first["ok"] and first["signatures"] == {"checked": 1, "changed": []}, first

    untrusting = load_settings(home, signature_trust_roots=[])  # the root taken off the list
    outcome = fixity.check(untrusting, db)
    (problem,) = outcome["problems"]
    assert not outcome["ok"] and problem.startswith("signature: ") and "valid -> untrusted (not_chained)" not in problem
    assert "valid -> untrusted (no_roots)" in problem and "Ketua KPU Kota Tangerang" in problem
    assert fixity.last_result(settings)["problems"] == [problem]

    with db.session() as s:  # the kept original altered in storage after it was handed over
        document = s.get(Document, doc_id)
        raw = settings.storage_dir / s.get(Batch, document.batch_id).raw_dir / signed.name
    assert raw.read_bytes() == signed.read_bytes()
    raw.chmod(0o644)
    raw.write_bytes(_altered(signed, tmp_path).read_bytes())
    outcome = fixity.check(settings, db)
    assert not outcome["ok"]
    assert any(p.startswith("mismatch: ") for p in outcome["problems"])  # the hash, as before
    assert any(p.startswith("signature: ") and "valid -> altered (modified)" in p for p in outcome["problems"])
    assert outcome["signatures"]["changed"][0]["now"] == "altered"


@pytest.mark.ocr
def test_fixity_lists_a_better_verdict_without_calling_it_a_problem(signed, pki, tmp_path):
    from scan_station.archive import fixity

    app, _doc_id = _hand_over(tmp_path / "home", [signed])  # handed over before the root was configured
    db = app.extensions["scan_station"]["db"]
    outcome = fixity.check(load_settings(tmp_path / "home", signature_trust_roots=[pki.ca]), db)
    assert outcome["ok"] and outcome["problems"] == []
    (change,) = outcome["signatures"]["changed"]
    assert (change["was"], change["now"]) == ("untrusted", "valid")
