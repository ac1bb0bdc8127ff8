"""Every page accounted for on the paper an office really feeds (tests/helpers/office.py): duplex backs of
cover sheets showing through, sparse last pages in light toner on grey paper, a sheet put in
twice, covers whose barcodes nobody can read. Each batch is classified page by page as the scanner
delivers it and split; each page must end up exactly where it belongs."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import office, office_batch, office_pages

from scan_station.core.model import BLANK, CONTENT, COVER, UNREADABLE
from scan_station.pages.classify import classify_image, shrink
from scan_station.pages.split import resolve, split

A, B = "PPID-2026-000101", "PPID-2026-000102"
KNOWN = {A, B}
PAPERS = {"office": office.OFFICE, "grey": office.GREY_RECYCLED, "light": office.LIGHT_TONER, "thin": office.THIN_PAPER}


def classify(images, dpi):
    """As the scanning thread classifies: each page after the one before, that one as its other side."""
    pages, previous, before = [], None, None
    for n, image in enumerate(images, start=1):
        small, small_dpi = shrink(image, image_dpi=dpi, dpi=100)
        previous = resolve(classify_image(small, n, dpi=small_dpi, other_side=before), previous)
        pages.append(previous)
        before = small
    return pages


def sheets(paper, dpi, *parts, seed=0):
    """Duplex scans of the given sheets: each part is (front print, back print or None)."""
    images = []
    for n, (front, back) in enumerate(parts):
        images += office.duplex(front, back, paper, dpi=dpi, seed=seed + 2 * n)
    return images


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("paper", PAPERS)
def test_duplex_cover_backs_are_blank_and_nothing_is_held(paper, dpi):
    text = [office.text_print("Laporan kegiatan", dpi=dpi, page_no=n, seed=n) for n in (1, 2, 3)]
    images = sheets(PAPERS[paper], dpi,
                    (office.cover_print(A, dpi=dpi), None), (text[0], text[1]),
                    (office.cover_print(B, dpi=dpi), None), (text[2], None))
    pages = classify(images, dpi)
    plan = split(pages, KNOWN)
    assert [(d.register_id, d.batch_pages) for d in plan.documents] == [(A, [3, 4]), (B, [7])], [
        p.reason for p in pages
    ]
    assert plan.held == [] and plan.blank_pages == [2, 6, 8]
    assert "back of the cover sheet on page 1" in pages[1].reason or pages[1].measure["verdict"] == "blank"


@pytest.mark.parametrize("strength", [0.04, 0.08, 0.14, 0.22])
@pytest.mark.parametrize("noise", [2.0, 8.0])
def test_show_through_of_every_strength_is_the_covers_back(strength, noise):
    paper = dataclasses.replace(office.OFFICE, show_through=strength, noise=noise)
    images = sheets(paper, 300, (office.cover_print(A, dpi=300), None), (office.text_print("Isi", dpi=300), None))
    pages = classify(images, 300)
    assert [p.kind for p in pages] == [COVER, BLANK, CONTENT, BLANK], [p.reason for p in pages]
    assert [(d.register_id, d.batch_pages) for d in split(pages, KNOWN).documents] == [(A, [3])]


def test_a_real_second_cover_of_the_same_id_is_still_held():
    images = sheets(
        office.OFFICE,
        300,
        (office.cover_print(A, dpi=300), None),
        (office.cover_print(A, dpi=300), None),
        (office.text_print("Isi", dpi=300), None),
    )
    pages = classify(images, 300)
    assert [p.kind for p in pages] == [COVER, BLANK, COVER, BLANK, CONTENT, BLANK]
    plan = split(pages, KNOWN)
    assert plan.documents == [] and "2 cover sheets" in plan.held[-1].reason and plan.held[-1].batch_pages == [5]


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize("paper", ["grey", "light"])
@pytest.mark.parametrize("line", ["2. Arsip.", "Tembusan:", "Kepala Subbagian Umum"])
def test_a_sparse_last_page_in_grey_toner_on_grey_paper_is_filed(paper, dpi, line):
    toner = dataclasses.replace(PAPERS[paper], toner=PAPERS[paper].tone - 70)  # grey toner on that paper
    images = sheets(
        toner,
        dpi,
        (office.cover_print(A, dpi=dpi), None),
        (office.text_print("Surat", dpi=dpi), office.sparse_print(line, page_no=2, dpi=dpi)),
    )
    pages = classify(images, dpi)
    plan = split(pages, KNOWN)
    assert [(d.register_id, d.batch_pages) for d in plan.documents] == [(A, [3, 4])], pages[3].reason


def test_the_faintest_line_is_kept_as_maybe_blank_never_dropped():
    faint = dataclasses.replace(office.GREY_RECYCLED, toner=office.GREY_RECYCLED.tone - 38)  # barely darker
    page = classify(
        [office.scan(office.sparse_print("2. Arsip.", page_no=3, dpi=200), None, faint, dpi=200, seed=4)], 200
    )[0]
    assert page.kind == CONTENT and page.maybe_blank and "mungkin kosong" in page.reason
    assert page.measure["faint_marks"] >= 4


@pytest.mark.parametrize("how", ["smudged", "torn", "covered"])
def test_a_cover_whose_barcodes_cannot_be_read_is_held_not_merged(how):
    images = [
        office.scan(office.cover_print(A, dpi=300), None, office.OFFICE, dpi=300, seed=1),
        office.scan(office.text_print("Isi A", dpi=300), None, office.OFFICE, dpi=300, seed=2),
        office.scan(office.destroyed_cover_print(B, dpi=300, how=how), None, office.OFFICE, dpi=300, seed=3),
        office.scan(office.text_print("Isi B", dpi=300), None, office.OFFICE, dpi=300, seed=4),
    ]
    pages = classify(images, 300)
    assert pages[2].kind == COVER and pages[2].problem.startswith(UNREADABLE), pages[2]
    plan = split(pages, KNOWN)
    assert [(d.register_id, d.batch_pages) for d in plan.documents] == [(A, [2])]
    assert [(g.batch_pages, g.reason.split(":")[0]) for g in plan.held] == [([4], UNREADABLE)]


@pytest.mark.parametrize("paper", ["office", "thin"])
def test_a_cover_fed_face_down_is_held_not_merged(paper):
    """Simplex: the scanner sees only the back of the sheet, the cover showing through, mirrored."""
    images = [
        office.scan(office.cover_print(A, dpi=300), None, PAPERS[paper], dpi=300, seed=1),
        office.scan(office.text_print("Isi A", dpi=300), None, PAPERS[paper], dpi=300, seed=2),
        office.scan(office.a4(300), office.cover_print(B, dpi=300), PAPERS[paper], dpi=300, seed=3),
        office.scan(office.text_print("Isi B", dpi=300), None, PAPERS[paper], dpi=300, seed=4),
    ]
    pages = classify(images, 300)
    plan = split(pages, KNOWN)
    assert [(d.register_id, d.batch_pages) for d in plan.documents] == [(A, [2])], [p.reason for p in pages]
    assert [g.batch_pages for g in plan.held] == [[4]] and plan.held[0].reason.startswith(UNREADABLE)


def test_a_cover_sheet_turned_over_in_duplex_shows_its_back_first():
    cover = office.cover_print(A, dpi=300)
    back_first = list(reversed(office.duplex(cover, None, office.THIN_PAPER, dpi=300, seed=1)))
    images = back_first + office.duplex(office.text_print("Isi", dpi=300), None, office.THIN_PAPER, dpi=300, seed=3)
    plan = split(classify(images, 300), KNOWN)
    assert [(d.register_id, d.batch_pages) for d in plan.documents] == [(A, [3])] and plan.held == []


def test_a_mirrored_cover_is_never_a_cover():
    from PIL import ImageOps

    mirrored = office.scan(ImageOps.mirror(office.cover_print(A, dpi=300)), None, office.OFFICE, dpi=300, seed=1)
    (page,) = classify([mirrored], 300)
    assert page.kind == COVER and page.register_id is None and page.shadow_of == A and UNREADABLE in page.problem


def test_every_blank_call_records_why():
    images = sheets(
        office.GREY_RECYCLED, 300, (office.cover_print(A, dpi=300), None), (office.text_print("Isi", dpi=300), None)
    )
    pages = classify(images, 300)
    back_of_text = pages[3]
    assert back_of_text.kind == BLANK and back_of_text.measure["marks"] == 0 and "blank:" in back_of_text.reason
    assert pages[2].measure["verdict"] == "content"


def _register(run, *titles):
    return [
        run("register", "add", "--title", t, "--unit", "Subbagian Umum", "--category", "berkala").stdout.strip()
        for t in titles
    ]


def test_ingest_expect_reports_missing_and_unexpected_ids(run, tmp_path):
    from helpers import batches

    a, b, c = _register(run, "Satu", "Dua", "Tiga")
    pages = [batches.content("Tanpa sampul"), batches.cover(a)]  # held: nothing is OCR'd
    pdf = batches.write_pdf(pages, tmp_path / "b.pdf")
    result = run("ingest", str(pdf), "--json", "--quiet", "--expect", f"{a},{b}", "--expect", c)
    assert result.code == 0, result.stderr
    assert result.json["expected_missing"] == [b, c] and result.json["unexpected"] == []
    again = run("ingest", str(pdf), "--quiet", "--expect", b)
    assert f"EXPECTED, NOT IN THE BATCH: {b}" in again.stdout and f"in the batch, not expected: {a}" in again.stdout


@pytest.mark.ocr
def test_a_duplex_office_batch_is_filed_page_for_page(run, home, tmp_path):
    """End to end: grey recycled paper in duplex, cover backs, a sparse last page, a smudged
    cover, an exact record of why each page was called blank."""
    import json

    from helpers import batches

    a, b = _register(run, "Surat Keputusan", "Nota Dinas")
    paper = dataclasses.replace(office.GREY_RECYCLED, toner=office.GREY_RECYCLED.tone - 80)
    images = sheets(
        paper,
        300,
        (office.cover_print(a, dpi=300), None),
        (office.text_print("Surat keputusan", dpi=300), office.sparse_print("2. Arsip.", page_no=2, dpi=300)),
        (office.destroyed_cover_print(b, dpi=300, how="smudged"), None),
        (office.text_print("Nota dinas", dpi=300, seed=3), None),
    )
    result = run("ingest", str(batches.write_pdf(images, tmp_path / "duplex.pdf")), "--json", "--quiet")
    assert result.code == 0, result.stderr
    data = result.json
    assert [(d["register_id"], d["batch_pages"]) for d in data["documents"]] == [(a, [3, 4])]
    assert [(h["batch_pages"], h["reason"].split(":")[0]) for h in data["held"]] == [([7], UNREADABLE)]
    assert data["blank_pages"] == [2, 6, 8]
    manifest = json.loads((home / data["raw_batch"] / "batch.json").read_text())
    reasons = {p["page"]: p["reason"] for p in manifest["pages"]}
    assert "back of the cover sheet on page 1" in reasons[2] and reasons[6].startswith("back of the cover sheet")
    assert reasons[8].startswith("blank: 0 mark(s)") and manifest["pages"][7]["measure"]["marks"] == 0


# -- show-through, registered --------------------------------------------------------------------

STRONG = {"thin": office.THIN_PAPER, "harsh-thin": office_batch.HARSH_THIN, "harsh-grey": office_batch.HARSH_GREY}


@pytest.mark.parametrize("paper", STRONG)
@pytest.mark.parametrize("front", ["cover", "letter", "table", "stamp", "photo", "sparse"])
def test_a_back_showing_its_front_is_blank_however_each_side_is_skewed_or_turned(front, paper):
    """Duplex on thin or grey paper: the back shows the front through the paper, dark enough to
    count as marks; each side skewed its own way (up to 5° each), the sheet fed upside down, or
    the back turned over the short edge. Registered, the front explains the back: blank."""
    printed = (office.cover_print(A, dpi=200, skew=0) if front == "cover"
               else office_pages.page(front, dpi=200, seed=2).image)
    for n, (skews, turns) in enumerate([((4.5, -4.0), (0, 0)), ((-3.0, 2.5), (180, 180)), ((1.0, -5.0), (0, 180))]):
        sides = [office.scan(printed, None, STRONG[paper], dpi=200, seed=n, skew=skews[0], turn=turns[0]),
                 office.scan(office.a4(200), printed, STRONG[paper], dpi=200, seed=n + 1, skew=skews[1], turn=turns[1])]
        pages = classify(sides, 200)
        assert pages[1].kind == BLANK, (skews, turns, pages[1].reason)


@pytest.mark.parametrize("before", ["cover", "full", "photo", "letter"])
@pytest.mark.parametrize("layout", ["sparse", "letter", "table"])
def test_print_of_its_own_behind_another_sheet_is_never_taken_for_show_through(layout, before):
    """Simplex: the page before is another sheet, its ink lying wherever it lies; a page of this
    sheet's own is content, however much of it falls where that page is inked."""
    other = office.cover_print(B, dpi=200) if before == "cover" else office_pages.page(before, dpi=200, seed=4).image
    for paper in (office.OFFICE, office.GREY_RECYCLED, office.LIGHT_TONER):
        sheets = [office.scan(other, None, paper, dpi=200, seed=1),
                  office.scan(office_pages.page(layout, dpi=200, seed=5).image, None, paper, dpi=200, seed=2)]
        assert classify(sheets, 200)[1].kind == CONTENT, (paper, before, layout)


def test_a_back_with_marks_of_its_own_under_show_through_is_kept():
    """The back shows its front through, and carries a line of its own: never dropped."""
    own = office.sparse_print("Tembusan: Arsip", page_no=2, dpi=200)
    front = office_pages.page("letter", dpi=200, seed=6).image
    sides = [office.scan(front, own, office_batch.HARSH_THIN, dpi=200, seed=1, skew=2.0),
             office.scan(own, front, office_batch.HARSH_THIN, dpi=200, seed=2, skew=-3.0)]
    page = classify(sides, 200)[1]
    assert page.kind == CONTENT, page.reason
