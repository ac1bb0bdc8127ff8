"""The capture pipeline end to end through the CLI, with real zbar, tesseract, ocrmypdf, pikepdf.

One mixed batch is ingested once for the module; the tests read what it left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest
from helpers import batches
from PIL import Image

from scan_station.cli import main
from scan_station.papers.cover_sheet import payload_for

pytestmark = [pytest.mark.ocr, pytest.mark.slow]

PAGE_A1 = ["Pejabat Pengelola Informasi dan Dokumentasi bertugas menyimpan dan mendokumentasikan informasi publik."]
PAGE_A2 = ["Laporan realisasi anggaran memuat belanja pegawai dan belanja modal tahun berjalan."]
PAGE_B1 = ["Rekapitulasi hasil penghitungan suara dilaksanakan dalam rapat pleno terbuka."]


def cli(home: Path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def cli_json(home: Path, *args):
    code, out, err = cli(home, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory, corpus):
    """The same batch, filed once on the embedded SQLite and once on a real PostgreSQL server."""
    home = tmp_path_factory.mktemp("home")
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres")()
        (home / "scan-station.toml").write_text(f'database_url = "{url}"\n')
    ids = {}
    for key, title, unit, category in [
        ("A", "SOP Pendokumentasian Informasi Publik", "Subbagian Hukum dan SDM", "setiap-saat"),
        ("B", "Pengumuman Rekapitulasi Suara", "Divisi Teknis", "serta-merta"),
        ("C", "Daftar Hadir Rapat", "Subbagian Umum", "berkala"),
    ]:
        ids[key] = cli_json(home, "register", "add", "--title", title, "--unit", unit, "--category", category,
                            "--created", "2025-01-20", "--number", "19/PP.07-SOP/HM/I/2025")["id"]
    esign_qr = Image.open(corpus / "zbar" / "qr-code.png")
    asset_label = Image.open(corpus / "zbar" / "code-128.png")
    bad_check = payload_for(ids["A"])[:-1] + ("Z" if payload_for(ids["A"])[-1] != "Z" else "Y")
    pages = [
        batches.content("Lampiran tanpa sampul", paragraphs=PAGE_B1),                  # 1 held: before first cover
        batches.cover(ids["A"]),                                                        # 2
        batches.content("SOP Pendokumentasian", paragraphs=PAGE_A1),                   # 3 A
        Image.new("L", (2480, 3508), 250),                                              # 4 blank back
        batches.with_barcodes(batches.content("Lanjutan", page_no=2, paragraphs=PAGE_A2), esign_qr, asset_label),  # 5 A
        batches.cover(ids["B"], rotate=180),                                            # 6 upside down
        batches.content("Pengumuman", paragraphs=PAGE_B1).rotate(180),                  # 7 B, upside down
        batches.cover("PPID-2020-999999"),                                              # 8 unknown id
        batches.content("Tidak terdaftar", paragraphs=PAGE_A2),                         # 9 held
        batches.cover_with_payload(bad_check),                                          # 10 misread
        batches.content("Salah baca", paragraphs=PAGE_A2),                              # 11 held
        batches.cover(ids["C"]),                                                        # 12
        batches.content("Daftar hadir", paragraphs=PAGE_A2),                            # 13 held: C twice
        batches.cover(ids["C"]),                                                        # 14
        batches.content("Daftar hadir lagi", paragraphs=PAGE_A2),                       # 15 held: C twice
    ]
    batch = batches.write_pdf(pages, tmp_path_factory.mktemp("in") / "scan-0001.pdf")
    code, out, err = cli(home, "ingest", batch, "--json")
    assert code == 0, err
    return {"home": home, "ids": ids, "batch": batch, "result": json.loads(out)}


def doc(world, key):
    return next(d for d in world["result"]["documents"] if d["register_id"] == world["ids"][key])


def test_documents_are_split_at_cover_sheets(world):
    result = world["result"]
    assert result["pages"] == 15
    assert [(d["register_id"], d["batch_pages"]) for d in result["documents"]] == [
        (world["ids"]["A"], [3, 5]), (world["ids"]["B"], [7]),
    ]
    assert all(d["version"] == 1 for d in result["documents"])
    assert result["blank_pages"] == [4]


def test_everything_else_is_held_with_a_reason(world):
    held = {tuple(h["batch_pages"]): h["reason"] for h in world["result"]["held"]}
    assert held.keys() == {(1,), (9,), (11,), (13,), (15,)}
    assert held[(1,)] == "pages before the first cover sheet"
    assert "PPID-2020-999999 is not in the register" in held[(9,)]
    assert "misread" in held[(11,)]
    assert "2 cover sheets" in held[(13,)] and "2 cover sheets" in held[(15,)]


def test_filed_files_are_pdfa_with_register_metadata(world):
    home = world["home"]
    a = doc(world, "A")
    path = home / a["path"]
    assert path.name == f"{world['ids']['A']}_v1.pdf"
    assert path.parts[-4] == "2025" and path.parts[-3] == "subbagian-hukum-dan-sdm"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == a["sha256"]
    report = pikepdf.pdfa.validate_written(path, "2b")
    assert report.passed, report.findings
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == a["page_count"] == 2
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["dc:identifier"] == world["ids"]["A"]
        assert meta["dc:title"] == "SOP Pendokumentasian Informasi Publik"
        assert "Subbagian Hukum dan SDM" in meta["dc:publisher"]
        assert "setiap-saat" in meta["dc:subject"]
        assert meta["dc:source"] == "19/PP.07-SOP/HM/I/2025"


def test_sidecar_records_batch_pages_checksum_tools_and_text(world):
    a = doc(world, "A")
    sidecar = json.loads((world["home"] / a["path"]).with_suffix(".json").read_text())
    assert sidecar["sha256"] == a["sha256"]
    assert sidecar["batch"]["id"] == world["result"]["batch"]
    assert sidecar["batch"]["batch_pages"] == [3, 5] and sidecar["batch"]["cover_page"] == 2
    assert sidecar["register"]["unit"] == "Subbagian Hukum dan SDM"
    assert {"ocrmypdf", "tesseract", "zbar", "pikepdf"} <= sidecar["tools"].keys()
    assert sidecar["pdfa"]["validation_passed"] is True
    assert [p["batch_page"] for p in sidecar["pages"]] == [3, 5]
    assert "mendokumentasikan" in sidecar["pages"][0]["text"]
    assert "belanja modal" in sidecar["pages"][1]["text"]


def test_upside_down_page_is_turned_and_read(world):
    b = doc(world, "B")
    # as a reader sees it: the heading and body at the top, only the page number at the bottom
    page = batches.render(world["home"] / b["path"], 1, dpi=50)
    top = page.crop((0, 0, page.width, page.height // 3)).histogram()
    bottom = page.crop((0, 2 * page.height // 3, page.width, page.height)).histogram()
    assert sum(top[:128]) > 3 * sum(bottom[:128])
    sidecar = json.loads((world["home"] / b["path"]).with_suffix(".json").read_text())
    assert "rapat pleno terbuka" in sidecar["pages"][0]["text"]


def test_raw_batch_is_kept_unchanged(world):
    raw = world["home"] / world["result"]["raw_batch"]
    kept = raw / world["batch"].name
    assert kept.read_bytes() == world["batch"].read_bytes()
    manifest = json.loads((raw / "batch.json").read_text())
    assert manifest["files"][0]["sha256"] == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert [p["kind"] for p in manifest["pages"]][:4] == ["content", "cover", "content", "blank"]


def test_search_finds_ocr_text_with_page_and_mark(world):
    hits = cli_json(world["home"], "search", "pleno")["hits"]
    assert [(h["register_id"], h["page"]) for h in hits] == [(world["ids"]["B"], 1)]
    assert "[pleno]" in hits[0]["snippet"]
    assert hits[0]["path"] == doc(world, "B")["path"]


def test_search_stems_indonesian_words(world):
    # the page says "mendokumentasikan"; the stem is "dokumentasi"
    hits = cli_json(world["home"], "search", "dokumentasi")["hits"]
    assert world["ids"]["A"] in {h["register_id"] for h in hits}


def test_search_covers_register_fields(world):
    hits = cli_json(world["home"], "search", "Pengumuman Rekapitulasi")["hits"]
    assert hits and hits[0]["register_id"] == world["ids"]["B"]


def test_search_of_nothing_is_empty_not_an_error(world):
    assert cli_json(world["home"], "search", "zyxwvut")["hits"] == []
    assert cli_json(world["home"], "search", '"*:(')["hits"] == []


def test_verify_finds_tampering_loss_and_orphans(world):
    home = world["home"]
    clean = cli_json(home, "verify")
    assert clean["ok"] and clean["checked"] >= 6 and clean["problems"] == []
    target = home / doc(world, "A")["path"]
    original = target.read_bytes()
    orphan = target.parent / "stray.pdf"
    try:
        target.write_bytes(original[:-10] + b"0123456789")
        orphan.write_bytes(b"%PDF-1.7")
        code, out, _ = cli(home, "verify", "--json")
        report = json.loads(out)
        assert code != 0 and not report["ok"]
        kinds = {(p["kind"], Path(p["path"]).name) for p in report["problems"]}
        assert ("mismatch", target.name) in kinds and ("orphan", "stray.pdf") in kinds
        target.unlink()
        report = json.loads(cli(home, "verify", "--json")[1])
        assert ("missing", target.name) in {(p["kind"], Path(p["path"]).name) for p in report["problems"]}
    finally:
        target.write_bytes(original)
        orphan.unlink(missing_ok=True)
    assert cli_json(home, "verify")["ok"]


def test_scanning_again_makes_a_new_version_and_keeps_the_old(world, tmp_path):
    home = world["home"]
    v1 = home / doc(world, "A")["path"]
    v1_bytes = v1.read_bytes()
    again = batches.write_pdf([batches.cover(world["ids"]["A"]), batches.content("Revisi", paragraphs=PAGE_A2)],
                              tmp_path / "rescan.pdf")
    result = cli_json(home, "ingest", again)
    (filed,) = result["documents"]
    assert filed["register_id"] == world["ids"]["A"] and filed["version"] == 2
    assert filed["path"].endswith("_v2.pdf")
    assert v1.read_bytes() == v1_bytes
    versions = {h["version"] for h in cli_json(home, "search", "belanja modal")["hits"]
                if h["register_id"] == world["ids"]["A"]}
    assert versions == {2}  # search shows an entry's latest version; v1 is kept, reachable from it
    assert cli_json(home, "verify")["ok"]
