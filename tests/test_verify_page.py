"""/verifikasi: anyone checks a copy the PPID handed out; nothing of a "dikecualikan" document shows."""

from __future__ import annotations

import io

import pikepdf
import pikepdf.pdfa
import pypdfium2 as pdfium
import pytest
from helpers.kiosk import make_app, token
from test_softcopy import entry, text_pdf

from scan_station.db.database import Document

pytestmark = [pytest.mark.ocr]


@pytest.fixture
def filed(run, home, tmp_path):
    """A public and an exempt document, each filed from a softcopy."""
    out = {}
    for name, category in (("public", "berkala"), ("exempt", "dikecualikan")):
        pdf = text_pdf(tmp_path / f"{name}.pdf", [f"Dokumen {name} kriptografi"])
        result = run("submit", pdf, "--entry", entry(run, f"Judul {name}", category), "--json")
        assert result.code == 0, result.stderr
        out[name] = home / result.json["documents"][0]["path"]
    return out


def _ask(client, data: bytes):
    return client.post("/verifikasi/", data={"file": (io.BytesIO(data), "salinan.pdf"),
                                             "csrf_token": token(client, "/verifikasi/")},
                       content_type="multipart/form-data").get_data(as_text=True)


def test_a_stored_file_is_found_unchanged_and_one_changed_byte_is_not_found(home, filed):
    from scan_station.core.storage import sha256_file

    client = make_app(home).test_client()  # nobody logged in
    public = filed["public"]
    page = client.get(f"/verifikasi/{sha256_file(public)}").get_data(as_text=True)
    assert "Disimpan oleh PPID" in page and "tidak berubah" in page and "Judul public" in page
    data = public.read_bytes()
    assert "tidak berubah" in _ask(client, data)
    changed = data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]
    assert "Tidak ditemukan" in _ask(client, changed)


def test_a_stored_file_changed_on_disk_is_reported(home, filed):
    from scan_station.core.storage import sha256_file

    sha = sha256_file(filed["public"])
    filed["public"].write_bytes(filed["public"].read_bytes() + b"\n")
    page = make_app(home).test_client().get(f"/verifikasi/{sha}").get_data(as_text=True)
    assert "telah berubah" in page


def test_an_exempt_document_reveals_nothing(home, filed):
    from scan_station.core.storage import sha256_file

    client = make_app(home).test_client()
    for page in (client.get(f"/verifikasi/{sha256_file(filed['exempt'])}").get_data(as_text=True),
                 _ask(client, filed["exempt"].read_bytes())):
        assert "Tidak ditemukan" in page and "Judul exempt" not in page and "dikecualikan" not in page


@pytest.mark.parametrize("url", ["/verifikasi/abc", "/verifikasi/" + "g" * 64, "/verifikasi/" + "a" * 5000])
def test_what_is_no_sha256_is_not_found(home, url):
    assert make_app(home).test_client().get(url).status_code == 404


def test_a_copy_for_an_applicant_carries_a_qr_code_to_its_verification(home, filed):
    from helpers.kiosk import login
    from pyzbar import pyzbar

    from scan_station.core.storage import sha256_file

    _public_base_url(home, "https://ppid.example.go.id")
    app = make_app(home)
    db = app.extensions["scan_station"]["db"]
    with db.session() as s:
        ids = {d.entry.category: d.id for d in s.query(Document)}
    client = login(app.test_client(), "dok")
    copy = client.get(f"/documents/{ids['berkala']}/salinan.pdf")  # asked for at http://localhost/
    assert copy.status_code == 200
    assert client.get(f"/documents/{ids['dikecualikan']}/salinan.pdf").status_code == 404
    master = filed["public"]
    with pikepdf.open(io.BytesIO(copy.data)) as pdf, pikepdf.open(master) as original:
        assert len(pdf.pages) == len(original.pages) + 1
        assert pdf.pages[0].Contents.read_bytes() == original.pages[0].Contents.read_bytes()  # untouched
    copy_path = home / "salinan.pdf"
    copy_path.write_bytes(copy.data)
    report = pikepdf.pdfa.validate_written(copy_path, "2b")
    assert report.passed, report.findings  # the stamp page keeps the copy PDF/A-2b
    rendered = pdfium.PdfDocument(copy.data)
    last = rendered[len(rendered) - 1]
    assert "PERNYATAAN ALIH MEDIA" in last.get_textpage().get_text_range()
    image = last.render(scale=200 / 72).to_pil().convert("L")
    (code,) = pyzbar.decode(image)
    assert code.data.decode() == f"https://ppid.example.go.id/verifikasi/{sha256_file(master)}"  # not the Host
    rendered.close()
    anonymous = app.test_client()
    page = _ask(anonymous, copy.data)
    assert "salinan yang diberikan PPID" in page and "tidak berubah" in page
    assert "PPID KPU Kota Tangerang" in page


@pytest.mark.parametrize("agency, contact", [
    ("Komisi Pemilihan Umum Kota Tangerang", "Jl. Taman Makam Pahlawan Taruna No. 2, Tangerang · (021) 5523026"),
    ("KPU <Kota> & \"Tangerang\"", ""),
])
def test_the_citizens_page_names_the_agency_and_how_to_reach_its_ppid(home, agency, contact):
    home.mkdir(parents=True, exist_ok=True)
    config = home / "scan-station.toml"
    escaped = agency.replace("\\", "\\\\").replace('"', '\\"')
    config.write_text((config.read_text() if config.exists() else "") + f'agency_name = "{escaped}"\n'
                      + f'ppid_contact = "{contact}"\n')
    page = make_app(home).test_client().get("/verifikasi/" + "a" * 64).get_data(as_text=True)
    from markupsafe import escape

    assert page.count(f"PPID {escape(agency)}") >= 2 and agency not in page.replace(str(escape(agency)), "")
    assert 'id="contact"' in page and (not contact or contact in page)


def _public_base_url(home, url: str) -> None:
    config = home / "scan-station.toml"
    config.write_text((config.read_text() if config.exists() else "") + f'public_base_url = "{url}"\n')


def _document_ids(app) -> dict[str, int]:
    with app.extensions["scan_station"]["db"].session() as s:
        return {d.entry.category: d.id for d in s.query(Document)}


def test_without_public_base_url_no_copy_is_made(home, filed):
    from helpers.kiosk import login

    from scan_station.db.database import AccessCopy

    app = make_app(home)
    client = login(app.test_client(), "ppid")
    response = client.get(f"/documents/{_document_ids(app)['berkala']}/salinan.pdf", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Salinan belum dapat dibuat" in response.get_data(as_text=True) and "public_base_url" in response.text
    with app.extensions["scan_station"]["db"].session() as s:
        assert s.query(AccessCopy).count() == 0


def test_doctor_and_the_system_check_warn_while_public_base_url_is_unset(run, home):
    from helpers.kiosk import login

    probe = {p["name"]: p for p in run("doctor", "--json").json["probes"]}["public_base_url"]
    assert probe["ok"] and probe["warn"] and "public_base_url" in probe["fix"]
    assert "WARNING" in run("doctor").stdout
    page = login(make_app(home).test_client(), "admin").get("/admin/system").get_data(as_text=True)
    assert "peringatan" in page and "public_base_url" in page
    _public_base_url(home, "https://ppid.example.go.id")
    probe = {p["name"]: p for p in run("doctor", "--json").json["probes"]}["public_base_url"]
    assert probe["ok"] and not probe["warn"]


def test_a_returned_version_is_no_copy_and_verifies_as_returned_a_master_as_a_master(home, filed):
    from helpers.kiosk import login

    from scan_station.core.storage import sha256_file
    from scan_station.records import handover

    _public_base_url(home, "https://ppid.example.go.id")
    app = make_app(home)
    public = _document_ids(app)["berkala"]
    anonymous = app.test_client()
    page = anonymous.get(f"/verifikasi/{sha256_file(filed['public'])}").get_data(as_text=True)
    assert "arsip yang disimpan itu sendiri" in page and "salinan yang diberikan PPID" not in page
    assert 'id="returned"' not in page and "belum diterima" in page  # filed, not accepted yet
    settings = app.extensions["scan_station"]["settings"]
    with app.extensions["scan_station"]["db"].session() as s:
        handover.return_document(s, public, actor="ppid", reason="Halaman terpotong",
                                 storage_dir=settings.storage_dir)
    client = login(app.test_client(), "ppid")
    assert "salinan.pdf" not in client.get(f"/handover/{public}").get_data(as_text=True)  # not offered
    refused = client.get(f"/documents/{public}/salinan.pdf", follow_redirects=True)
    assert refused.mimetype == "text/html" and "dikembalikan ke unitnya" in refused.get_data(as_text=True)
    page = anonymous.get(f"/verifikasi/{sha256_file(filed['public'])}").get_data(as_text=True)
    assert 'id="returned"' in page and "dikembalikan" in page


def test_a_client_past_its_limit_is_refused_before_its_upload_is_read(home):
    """Looking up by address and uploading share one limit; once it is spent, an upload is
    refused before its body is read (no CSRF check, no parsing: the body is garbage here)."""
    client = make_app(home, VERIFY_RATE_LIMIT="3 per minute").test_client()
    assert [client.get(f"/verifikasi/{'a' * 64}").status_code for _ in range(2)] == [200, 200]
    assert client.post("/verifikasi/", data=b"--x\r\nnot multipart", content_type="multipart/form-data; boundary=y"
                       ).status_code == 400  # the third, still within the limit: read, and refused
    refused = client.post("/verifikasi/", data=b"--x\r\nnot multipart", content_type="multipart/form-data; boundary=y")
    assert refused.status_code == 429
    assert client.get(f"/verifikasi/{'a' * 64}").status_code == 429


@pytest.mark.parametrize("over", [1, 64 * 1024 + 1, 4 * 1024 * 1024])
def test_the_public_upload_takes_what_a_copy_needs_and_no_more(home, over):
    """A body over `verify_upload_max_mb` is refused with 413 before it is read or parsed."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text("verify_upload_max_mb = 1\n")
    client = make_app(home).test_client()
    body = b"x" * (1024 * 1024 + 64 * 1024 + over)
    refused = client.post("/verifikasi/", data=body, content_type="multipart/form-data; boundary=y")
    assert refused.status_code == 413
    small = client.post("/verifikasi/", data={"file": (io.BytesIO(b"%PDF-1.4 bukan salinan"), "salinan.pdf")},
                        content_type="multipart/form-data")
    assert small.status_code in (200, 400) and small.status_code != 413
