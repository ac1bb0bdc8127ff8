"""Printed papers that fit: cover sheets, the citizen copy's statement page and the berita acara
made with hostile-long texts (titles and unit names to the register's limits, agency_name and
ppid_contact to theirs, long full names, long verification addresses) and read back with
`pdftotext -bbox` against the page's MediaBox: no word beyond the page, none missing, dates on
one line, the printed verification address the same as its QR code's."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from helpers import batches
from helpers.paper_boxes import MM, UNIT, WORDS, lines, outside, read, reading, spaceless, texts, whole_or_shortened

from scan_station.core.entry_fields import FIELDS
from scan_station.papers import text as paper_text

LIMIT = {f.name: f.max_length for f in FIELDS}
SHA = "9f" * 32


# -- the wrapping itself ------------------------------------------------------------------------

@pytest.mark.parametrize("text", texts(500) + ["https://ppid.example.go.id/verifikasi/" + SHA])
@pytest.mark.parametrize("width_mm", [20, 55, 135])
def test_wrapped_lines_fit_their_width_and_give_the_text_back(text, width_mm):
    from scan_station.papers.cover_sheet import BOLD, register_fonts

    register_fonts()
    width = width_mm * MM
    wrapped = paper_text.wrap(text, BOLD, 12, width)
    assert all(paper_text.stringWidth(line, BOLD, 12) <= width for line in wrapped)
    assert spaceless("".join(wrapped)) == spaceless(text)
    shortened = paper_text.wrap(text, BOLD, 12, width, max_lines=3)
    assert len(shortened) <= 3 and all(paper_text.stringWidth(line, BOLD, 12) <= width for line in shortened)
    assert shortened == wrapped or (shortened[-1].endswith("…")
                                    and spaceless(text).startswith(spaceless("".join(shortened))[:-1]))


@pytest.mark.parametrize("offset", range(0, 90, 7))
def test_a_date_kept_together_is_never_broken_wherever_the_line_ends(offset):
    from scan_station.papers.cover_sheet import REGULAR, register_fonts

    register_fonts()
    date = paper_text.keep_together("Senin, 30 September 2026")
    wrapped = paper_text.wrap(f"{'kata ' * (offset // 5)}{'x' * (offset % 5)} {date} selesai", REGULAR, 10, 60 * MM)
    assert any(date in line for line in wrapped), wrapped


# -- cover sheets -------------------------------------------------------------------------------

def _covers() -> list:
    """Entries with every hostile title, unit and number, and ids up to the longest allowed."""
    ids = ["PPID-2026-000001", "PPID/2026/SUBBAGIAN-PERENCANAAN-DATA-INFORMASI/1", "W" * 48, "8" * 48]
    made = []
    for n, (title, unit, number) in enumerate(itertools.zip_longest(texts(LIMIT["title"]), texts(LIMIT["unit"]),
                                                                    texts(LIMIT["number"]), fillvalue=UNIT)):
        entry = batches.entry(ids[n % len(ids)], title=title, unit=unit)
        entry.number = number
        made.append(entry)
    return made


def _field(page, label: str, following: str | None) -> str:
    """What a cover sheet prints as `label`'s value: the words right of the labels, from the
    label's line down to the next label's (or the footer's)."""
    top = next(w.y0 for w in page.words if w.text == f"{label.split()[-1]}:")
    below = next(w.y0 for w in page.words if w.text == f"{following}:") if following else page.height - 25 * MM
    return "".join(w.text for w in sorted(page.words, key=lambda w: (round(w.y0, 1), w.x0))
                   if w.x0 > 50 * MM and top - 3 <= w.y0 < below - 3)


def test_cover_sheets_keep_every_word_on_the_page_and_shorten_only_a_title():
    from scan_station.papers.cover_sheet import coversheets_pdf

    entries = _covers()
    pages = read(coversheets_pdf(entries))
    assert outside(pages) == []
    for page, entry in zip(pages, entries, strict=True):
        assert spaceless(_field(page, "Unit", "Kategori")) == spaceless(entry.unit)  # wrapped, never cut
        assert spaceless(_field(page, "Nomor naskah", None)) == spaceless(entry.number)
        text = reading([page])
        start = text.find(spaceless(entry.title)[:20])
        assert start > 0 and whole_or_shortened(entry.title, text[start:text.index("Unit:", start)]), entry.title
        if len(entry.title) <= 150 and " " in entry.title:
            assert spaceless(entry.title) in text  # a title of ordinary length is printed whole
        assert entry.id in text


@pytest.mark.parametrize("entry_id", ["PPID-2026-000001", "PPID/2026/SUBBAGIAN-PERENCANAAN-DATA-INFORMASI/1",
                                      "W" * 48])
def test_a_long_id_and_long_texts_leave_the_barcodes_readable(tmp_path, entry_id):
    from scan_station.pages.barcodes import decode
    from scan_station.papers.cover_sheet import coversheets_pdf, payload_for

    entry = batches.entry(entry_id, title=texts(LIMIT["title"])[-1], unit=texts(LIMIT["unit"])[-1])
    pdf = tmp_path / "sampul.pdf"
    pdf.write_bytes(coversheets_pdf([entry]))
    assert {(s.type, s.value) for s in decode(batches.render(pdf, 1, dpi=300))} == {
        ("CODE128", payload_for(entry_id)), ("QRCODE", payload_for(entry_id))}
    assert payload_for(entry_id) in {s.value for s in decode(batches.render(pdf, 1, dpi=150))}  # the QR at least


# -- the citizen copy's statement page ----------------------------------------------------------

def _base_urls() -> list[str]:
    from scan_station.records.access_copy import MAX_BASE_URL

    host = "https://ppid.kpu-tangerangkota.go.id"
    return [host, host + "/layanan-informasi-publik" * 8, "https://" + "a" * (MAX_BASE_URL - 14) + ".go.id",
            (host + "/" + "pejabatpengeloladokumentasi/" * 20)[:MAX_BASE_URL]]


def _printed_url(pages, url: str) -> str:
    """The address as a citizen types it from the paper: its lines one after the other."""
    text = lines(pages)
    start = next(i for i, line in enumerate(text) if line.startswith(url[:8]))
    typed = ""
    for line in text[start:]:
        if len(typed) >= len(url):
            break
        typed += line.replace(" ", "")
    return typed


STATEMENTS = list(itertools.zip_longest(texts(200), texts(300), texts(LIMIT["title"]), _base_urls(),
                                        fillvalue=""))


@pytest.mark.parametrize("agency, contact, title, base", STATEMENTS)
def test_the_statement_page_prints_the_address_whole_and_everything_within_the_page(agency, contact, title, base):
    from pyzbar import pyzbar

    from scan_station.records.access_copy import statement_page, verification_url

    url = verification_url(base or "https://ppid.example.go.id", SHA)
    signatures = [f"{'surat-keputusan-' * 4}.pdf: Tanda tangan elektronik sah: ditandatangani oleh {agency}"] * 3
    data = statement_page(register_id="PPID/2026/" + "9" * 38, version=12, title=title or WORDS, sha256=SHA,
                          ba_number="BA-AM/001/PPID/XII/2026", url=url, signatures=signatures,
                          agency=agency or "KPU Kota Tangerang", contact=contact)
    pages = read(data)
    assert len(pages) == 1 and outside(pages) == []
    text = reading(pages)
    for whole in (agency, contact, "PERNYATAAN ALIH MEDIA", "Tanda tangan elektronik tidak berlaku pada salinan ini"):
        assert spaceless(whole) in text, whole
    start = text.index("Judul:") + len("Judul:")
    assert whole_or_shortened(title or WORDS, text[start:])
    assert _printed_url(pages, url) == url  # typing what is printed gives the address
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(data)[0].render(scale=200 / 72).to_pil().convert("L")
    assert [c.data.decode() for c in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])] == [url]


def test_a_base_address_too_long_to_print_makes_no_copy(settings, db):
    from scan_station.core.errors import ConfigError
    from scan_station.records import access_copy

    with pytest.raises(ConfigError) as refused:
        access_copy.make(settings, db, 1, base_url="https://" + "a" * access_copy.MAX_BASE_URL)
    assert refused.value.code == "public_base_url_long"


# -- the berita acara ---------------------------------------------------------------------------

def _columns() -> list[tuple[float, float]]:
    """The daftar's columns across the page (mm): the table is centred between the margins."""
    from scan_station.papers.berita_acara import COLUMNS

    edges = list(itertools.accumulate([105 - sum(w for _h, w in COLUMNS) / 2] + [w for _h, w in COLUMNS]))
    return list(itertools.pairwise(edges))


def _rows(units: list[str], titles: list[str]) -> list[dict]:
    return [{"no": n, "unit": unit, "title": title, "period": f"{n % 28 + 1:02d}-{n % 12 + 1:02d}-2025", "pages": n * 7,
             "classification": "PL.02.1-Kpt/3671", "sha256": f"{n:02d}" * 32, "origin": "kertas"}
            for n, (unit, title) in enumerate(zip(units, titles, strict=False), start=1)]


BERITA_ACARA = [(agency, contact, name, when) for agency, contact, name, when in zip(
    texts(200), texts(300), texts(200), itertools.cycle([dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC),
                                                          dt.datetime(2026, 9, 30, 12, tzinfo=dt.UTC),
                                                          dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)]), strict=False)]


@pytest.mark.parametrize("agency, contact, name, when", BERITA_ACARA)
def test_the_berita_acara_keeps_every_word_on_the_page_and_its_dates_on_one_line(home, agency, contact, name,
                                                                                 when):
    from scan_station.audit import log as audit
    from scan_station.core.config import load_settings
    from scan_station.papers.berita_acara import MONTHS, Person, date_words, write_pdf

    settings = load_settings(home, agency_name=agency, ppid_contact=contact, berita_acara_place=texts(200)[-3])
    rows = _rows(texts(LIMIT["unit"]), texts(LIMIT["title"]))
    people = [Person(name, "198503122010011002", "dokumentasi"), Person("Budi", "", "ppid"), Person("cli:root")]
    out = home / "ba.pdf"
    home.mkdir(parents=True, exist_ok=True)
    write_pdf(out, settings, number="BA-AM/001/PPID/XII/2026", when=when, rows=rows, pelaksana=people,
              signed_by=[people[0], people[1], None], replaces=None, anchor=audit.Head(7, "ab" * 32))
    pages = read(out.read_bytes())
    assert outside(pages) == []
    text = reading(pages)
    for whole in (agency, contact, settings.berita_acara_place, name, "(NIP. 198503122010011002)", "Budi"):
        assert spaceless(whole) in text, whole
    said = lines(pages)
    assert any(f"{when.day} {MONTHS[when.month - 1]} {when.year}" in line for line in said)
    assert date_words(when).replace("\xa0", " ") in " ".join(said)
    columns = _columns()
    for row in rows:
        for key, column in (("unit", 1), ("title", 2), ("sha256", 6)):
            assert spaceless(row[key]) in reading(pages, x_mm=columns[column]), (key, row[key])
        assert any(row["period"] in line.split() for line in said)  # one word, not broken mid-number
    signers = reading(pages, x_mm=(0, 76))  # the first signature block, under Petugas Dokumentasi
    assert spaceless(f"{name} NIP. 198503122010011002") in signers
    assert "NIP.-" in reading(pages, x_mm=(76, 134)) and "NIP. ....." in " ".join(said)


# -- made by the service, as an office makes them -------------------------------------------------

NIP = "19850312 201001 1 002"
LONG_NAME = "Dr. Hj. Siti Nurhaliza Rahmawati Kusumaningrum Wulandari Puspitasari, S.Sos., M.Si., M.A.P."


def _office(run, home, tmp_path) -> tuple[object, object, str]:
    """A home with a long agency name and contact, users with full names (and NIPs), and one
    softcopy filed under an entry with a long title and a real unit name: (settings, db, batch)."""
    import json

    from test_softcopy import text_pdf

    from scan_station.core.config import load_settings
    from scan_station.db.database import Batch, Database

    home.mkdir(parents=True, exist_ok=True)
    agency, contact = texts(200)[2], texts(300)[-2]
    base = ("https://ppid.kpu-tangerangkota.go.id" + "/layanan-informasi-publik" * 12)[:300]
    (home / "scan-station.toml").write_text(f"agency_name = {json.dumps(agency)}\n"
                                            f"ppid_contact = {json.dumps(contact)}\n"
                                            f"public_base_url = {json.dumps(base)}\n")
    for username, role, name, nip in (("dok", "dokumentasi", LONG_NAME, NIP), ("ppid", "ppid", "Budi Santoso", ""),
                                      ("atasan", "atasan", "Hj. Ratna Dewi", "197001011995032001")):
        added = run("user", "add", username, "--role", role, "--name", name, "--nip", nip, "--password",
                    "kopi tubruk di pagi hari", "--json")
        assert added.code == 0 and added.json["nip"] == "".join(nip.split()), added.stderr
    entry = run("register", "add", "--title", texts(LIMIT["title"])[2], "--unit", UNIT, "--category", "berkala",
                "--json").json["id"]
    filed = run("submit", text_pdf(tmp_path / "sk.pdf", ["Keputusan KPU Kota Tangerang"]), "--entry", entry, "--json")
    assert filed.code == 0, filed.stderr
    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:  # confirmed at the kiosk by the Petugas Dokumentasi
        s.get(Batch, filed.json["batch"]).submitted_by = "dok"
    return settings, db, filed.json["batch"]


@pytest.mark.ocr
def test_the_berita_acara_names_its_pelaksana_by_full_name_and_nip_under_the_letterhead(run, home, tmp_path):
    import pikepdf.pdfa

    from scan_station.db.database import utcnow
    from scan_station.papers.berita_acara import date_words

    settings, db, batch = _office(run, home, tmp_path)
    made = run("berita-acara", "--batch", batch, "--by", "ppid", "--json")
    assert made.code == 0, made.stderr
    path = home / made.json["path"]
    assert pikepdf.pdfa.validate_written(path, "2b").passed
    pages = read(path.read_bytes())
    assert outside(pages) == []
    text = reading(pages)
    for whole in (settings.agency_name, settings.ppid_contact, "Pejabat Pengelola Informasi dan Dokumentasi".upper(),
                  f"Pelaksana: Budi Santoso; {LONG_NAME} (NIP. 198503122010011002)."):
        assert spaceless(whole) in text, whole
    assert any(date_words(utcnow()).replace("\xa0", " ") in line for line in lines(pages))  # on one line
    assert spaceless(UNIT) in reading(pages, x_mm=_columns()[1])
    assert spaceless(f"{LONG_NAME} NIP. 198503122010011002") in reading(pages, x_mm=(0, 76))
    assert spaceless("Budi Santoso NIP. -") in reading(pages, x_mm=(76, 134))
    assert spaceless("Hj. Ratna Dewi NIP. 197001011995032001") in reading(pages, x_mm=(134, 210))
    db.close()


@pytest.mark.ocr
def test_the_citizen_copy_prints_its_long_verification_address_whole_and_names_the_agency(run, home, tmp_path):
    import pikepdf.pdfa
    import pypdfium2 as pdfium
    from pyzbar import pyzbar

    from scan_station.db.database import Document
    from scan_station.records import access_copy

    settings, db, _batch = _office(run, home, tmp_path)
    with db.session() as s:
        document = s.query(Document).one()
        document_id, sha = document.id, document.sha256
    data, _name = access_copy.make(settings, db, document_id, by="ppid")
    (tmp_path / "salinan.pdf").write_bytes(data)
    report = pikepdf.pdfa.validate_written(tmp_path / "salinan.pdf", "2b")
    assert report.passed, report.findings  # the long texts keep the copy PDF/A-2b
    url = access_copy.verification_url(settings.public_base_url, sha)
    pages = read(data)
    assert outside(pages[-1:]) == []
    text = reading(pages[-1:])
    assert spaceless(settings.agency_name) in text and spaceless(settings.ppid_contact) in text
    assert _printed_url(pages[-1:], url) == url
    rendered = pdfium.PdfDocument(data)
    image = rendered[len(rendered) - 1].render(scale=200 / 72).to_pil().convert("L")
    assert [c.data.decode() for c in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])] == [url]
    rendered.close()
    db.close()
