"""Cover sheets: payload with prefix and check character; the printed page reads back with zbar."""

import io

import pikepdf
import pytest
from helpers import batches
from PIL import Image

from scan_station.pages.barcodes import decode
from scan_station.papers.cover_sheet import PREFIX, coversheets_pdf, parse_payload, payload_for


def test_payload_round_trip():
    payload = payload_for("PPID-2026-000001")
    assert payload.startswith(PREFIX)
    assert parse_payload(payload).register_id == "PPID-2026-000001"


def test_foreign_barcodes_are_not_ours():
    for foreign in ("PATCHT", "ASN00123", "https://tte.kominfo.go.id/verifyPDF/abc", "TAG:invoice"):
        assert parse_payload(foreign) is None


@pytest.mark.parametrize(
    "misread", ["SST1:PPID-2026-000007:{c}", "SST1:PPID-2O26-000001:{c}", "SST1:PPID-2026-000001:"]
)
def test_a_misread_fails_the_check(misread):
    check = payload_for("PPID-2026-000001")[-1]
    code = parse_payload(misread.format(c=check))
    assert code is not None and not code.valid


def test_one_page_per_id_in_the_given_order(tmp_path):
    ids = ["PPID-2026-000003", "PPID-2026-000001", "PPID-2026-000002"]
    pdf = tmp_path / "covers.pdf"
    pdf.write_bytes(coversheets_pdf([batches.entry(i) for i in ids]))
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 3
        box = doc.pages[0].mediabox
        assert (round(float(box[2])), round(float(box[3]))) == (595, 842)  # A4
    for number, entry_id in enumerate(ids, start=1):
        symbols = decode(batches.render(pdf, number, dpi=150))
        assert {s.type for s in symbols} == {"CODE128", "QRCODE"}
        assert {s.value for s in symbols} == {payload_for(entry_id)}


def test_the_page_tells_staff_what_to_do(tmp_path):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(coversheets_pdf([batches.entry("PPID-2026-000009", title="Laporan Tahunan")]))
    text = pdf[0].get_textpage().get_text_range()
    assert "letakkan lembar ini di atas dokumen" in text
    assert "PPID-2026-000009" in text and "Laporan Tahunan" in text and "Subbagian Umum" in text


@pytest.mark.parametrize("angle", [0, 90, 180, 270, 3, -4])
def test_scanned_cover_reads_in_any_orientation_and_slight_skew(angle):
    image = batches.cover("PPID-2026-000042").rotate(angle, expand=True, fillcolor=255)
    small = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)  # 150 dpi
    values = {s.value for s in decode(small)}
    assert payload_for("PPID-2026-000042") in values


def test_cli_coversheet_refuses_unknown_ids(run, tmp_path):
    result = run("coversheet", "PPID-1999-000001", "-o", tmp_path / "c.pdf", "--json")
    assert result.code == 4
    assert "not in the register" in result.stderr
    assert not (tmp_path / "c.pdf").exists()


def test_every_single_character_misread_and_neighbour_swap_is_caught():
    from scan_station.papers.cover_sheet import ALPHABET, check_character

    register_id = "PPID-2026-000123"
    check = check_character(register_id)
    for i, original in enumerate(register_id):
        for other in ALPHABET:
            if other != original:
                misread = register_id[:i] + other + register_id[i + 1 :]
                assert check_character(misread) != check, misread
    for i in range(len(register_id) - 1):
        swapped = register_id[:i] + register_id[i + 1] + register_id[i] + register_id[i + 2 :]
        if swapped != register_id:
            assert check_character(swapped) != check, swapped


BEYOND_CP1252 = "ā ő Ş ğ ı → √ ≤ № Кириллица Ελληνικά"


def test_text_beyond_cp1252_prints_as_typed_in_embedded_fonts():
    import pypdfium2 as pdfium

    entry = batches.entry(
        "PPID-2026-000011", title=f"Pemutakhiran Data {BEYOND_CP1252}", unit="Subbagian Teknis → Şube ő"
    )
    entry.number = "№ 7/PL.02-ā/2026"
    data = coversheets_pdf([entry])
    text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    for word in BEYOND_CP1252.split():
        assert word in text, word
    assert "Subbagian Teknis → Şube ő" in text and "№ 7/PL.02-ā/2026" in text
    assert "■" not in text
    with pikepdf.open(io.BytesIO(data)) as pdf:
        fonts = list(pdf.pages[0].Resources.Font.values())
        assert fonts
        for font in fonts:
            assert font.Subtype == "/TrueType" and "DejaVuSans" in str(font.BaseFont)
            assert "/FontFile2" in font.FontDescriptor, font.BaseFont  # embedded


def test_without_the_fonts_cover_sheets_name_the_package_to_install(monkeypatch, tmp_path):
    from scan_station.core.errors import MissingDependencyError
    from scan_station.papers import cover_sheet as coversheet

    monkeypatch.setattr(coversheet, "FONT_DIR", tmp_path / "no-fonts")
    coversheet.register_fonts.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="fonts-dejavu-core"):
            coversheets_pdf([batches.entry("PPID-2026-000012")])
    finally:
        monkeypatch.undo()
        coversheet.register_fonts.cache_clear()
