"""Berita acara alih media: numbered, PDF/A-2b, listing what was filed with its hashes, filed in
storage and never altered; a correction is a new one naming the old."""

from __future__ import annotations

import pikepdf
import pikepdf.pdfa
import pypdfium2 as pdfium
import pytest
from test_softcopy import entry, text_pdf

from scan_station.core.errors import ExitCode

pytestmark = [pytest.mark.ocr]


def _text(path) -> str:
    pdf = pdfium.PdfDocument(path)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


@pytest.fixture
def filed_batch(run, tmp_path):
    result = run("submit", text_pdf(tmp_path / "sk.pdf", ["Surat keputusan"], pages=2), "--entry", entry(run),
                 "--json")
    assert result.code == 0, result.stderr
    return result.json


def test_a_berita_acara_lists_the_batch_with_its_hashes_as_pdfa(run, home, filed_batch):
    made = run("berita-acara", "--batch", filed_batch["batch"], "--by", "dok", "--json")
    assert made.code == 0, made.stderr
    assert made.json["number"].startswith("BA-AM/001/PPID/") and made.json["documents"] == 1
    path = home / made.json["path"]
    assert pikepdf.pdfa.validate_written(path, "2b").passed
    text = "".join(_text(path).split())
    (document,) = filed_batch["documents"]
    assert document["sha256"] in text and "DAFTARARSIPALIHMEDIA" in text and "AtasanPPID" in text
    assert run("verify", "--json").json["ok"]  # filed in storage, recorded, checked like the rest


def test_a_correction_is_a_new_berita_acara_and_the_old_one_stays(run, home, filed_batch):
    first = run("berita-acara", "--batch", filed_batch["batch"], "--json").json
    kept = (home / first["path"]).read_bytes()
    second = run("berita-acara", "--batch", filed_batch["batch"], "--replaces", first["number"], "--json")
    assert second.code == 0, second.stderr
    assert second.json["number"].startswith("BA-AM/002/") and second.json["replaces"] == first["number"]
    assert (home / first["path"]).read_bytes() == kept
    assert f"menggantikanberitaacaranomor{first['number']}" in "".join(_text(home / second.json["path"]).split())


def test_a_unit_month_scope_and_bad_requests(run, filed_batch):
    from scan_station.db.database import utcnow

    month = f"{utcnow():%Y-%m}"
    assert run("berita-acara", "--month", month, "--unit", "Sekretariat", "--json").code == 0
    assert run("berita-acara", "--month", month, "--unit", "Tidak Ada", "--json").code == ExitCode.not_found
    assert run("berita-acara", "--batch", "B-NONE", "--json").code == ExitCode.not_found
    assert run("berita-acara", "--json").code == ExitCode.bad_args
    assert run("berita-acara", "--month", month, "--json").code == ExitCode.bad_args
    assert run("berita-acara", "--batch", filed_batch["batch"], "--replaces", "BA-X", "--json").code == \
        ExitCode.bad_args


def test_the_kiosk_makes_and_serves_berita_acara_for_the_report_roles(home, filed_batch):
    from helpers.kiosk import login, make_app, token

    from scan_station.db.database import utcnow

    app = make_app(home)
    client = login(app.test_client(), "atasan")
    month = f"{utcnow():%Y-%m}"
    answer = client.post("/report/berita-acara", data={"month": month, "unit": "Sekretariat",
                                                       "csrf_token": token(client, "/report/")}, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "dibuat dan disimpan" in page
    assert client.get("/report/berita-acara/1.pdf").data.startswith(b"%PDF")
    assert client.get("/report/berita-acara/99.pdf").status_code == 404
    form = {"month": "bukan", "unit": "x", "csrf_token": token(client, "/report/")}
    bad = client.post("/report/berita-acara", data=form, follow_redirects=True)
    assert bad.status_code == 200 and "bukan bukan bulan" in bad.get_data(as_text=True)
    assert login(app.test_client(), "dok").get("/report/berita-acara/1.pdf").status_code == 403


def test_the_signed_paper_is_scanned_back_under_a_cover_sheet_of_its_own(run, home, tmp_path, filed_batch):
    """Print the berita acara, sign it, put the kiosk's cover sheet on it, scan: it is filed as the
    document of its own entry, which names the digital original, and the list shows it."""
    from helpers import batches
    from helpers.kiosk import login, make_app, token
    from PIL import ImageDraw

    made = run("berita-acara", "--batch", filed_batch["batch"], "--json").json
    app = make_app(home)
    client = login(app.test_client(), "ppid")
    sheet = client.post("/report/berita-acara/1/signed-copy", data={"csrf_token": token(client, "/report/")})
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    again = client.post("/report/berita-acara/1/signed-copy", data={"csrf_token": token(client, "/report/")})
    assert again.status_code == 200  # a second tap: the same entry, not a new one
    cli = run("berita-acara", "--signed-copy", made["number"], "--json")
    register_id = cli.json["register_id"]
    entries = run("register", "list", "--json").json
    assert len(entries) == 2 and entries[-1]["id"] == register_id  # one entry, however many asked
    assert made["number"] in entries[-1]["title"] and made["sha256"] in entries[-1]["summary"]
    (tmp_path / "sampul.pdf").write_bytes(sheet.data)
    with pikepdf.open(home / made["path"]) as pdf:
        count = len(pdf.pages)
    signed = [batches.render(home / made["path"], i) for i in range(1, count + 1)]
    ImageDraw.Draw(signed[-1]).line([(300, 2900), (700, 2800), (900, 2950)], fill=0, width=8)  # a signature
    scan = batches.write_pdf([batches.render(tmp_path / "sampul.pdf", 1), *signed], tmp_path / "pindaian.pdf")
    filed = run("ingest", scan, "--json")
    assert filed.code == 0, filed.stderr
    assert [(d["register_id"], d["page_count"]) for d in filed.json["documents"]] == [(register_id, len(signed))]
    page = client.get("/report/").get_data(as_text=True)
    assert f"salinan bertanda tangan sudah dipindai: {register_id} versi 1" in page
    assert client.post("/report/berita-acara/99/signed-copy",
                       data={"csrf_token": token(client, "/report/")}).status_code == 404
    assert login(app.test_client(), "dok").post("/report/berita-acara/1/signed-copy").status_code in (400, 403)


@pytest.mark.parametrize("how", ["kiosk form", "csv import"])
def test_the_signed_paper_follows_an_entry_made_exempt_later(run, home, tmp_path, filed_batch, how):
    """A berita acara names every entry it lists, so the scan of its signed paper is as secret as
    the most secret of them — also when one becomes "dikecualikan" after the paper was made."""
    from helpers.kiosk import login, make_app, token

    made = run("berita-acara", "--batch", filed_batch["batch"], "--json").json
    paper = run("berita-acara", "--signed-copy", made["number"], "--json").json["register_id"]
    entries = {e["id"]: e for e in run("register", "list", "--json").json}
    listed = next(i for i in entries if i != paper)
    assert entries[paper]["category"] == "setiap-saat"
    if how == "kiosk form":
        client = login(make_app(home).test_client(), "ppid")
        form = {"title": entries[listed]["title"], "unit": entries[listed]["unit"], "category": "dikecualikan",
                "csrf_token": token(client, f"/register/{listed}/edit")}
        assert client.post(f"/register/{listed}/edit", data=form).status_code == 302
    else:
        csv = tmp_path / "dip.csv"
        csv.write_text("Nomor Register,Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\n"
                       f"{listed},{entries[listed]['title']},{entries[listed]['unit']},dikecualikan\n")
        assert run("register", "import", csv).code == 0
    entries = {e["id"]: e for e in run("register", "list", "--json").json}
    assert entries[listed]["category"] == entries[paper]["category"] == "dikecualikan"
    actions = run("audit", "list", "--action", "register.change", "--json").json
    assert any(r["subject"] == paper and r["details"]["new"] == {"category": "dikecualikan"} for r in actions)
