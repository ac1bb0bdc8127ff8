"""Batches made the way real offices scan them (tests/helpers/office_batch.py), filed end to end, and every
page held to what was printed on it: each content page filed upright, its text layer holding at
least 95 % of the words tesseract reads from the ideal upright page, whatever way its sheet and
its cover sheet went through the feeder; no blank back filed; every page the pipeline could not
read well in `pages_to_check`.

The orientations are a grid, not a sample: covers upright and upside down, documents of one page
and of three (first, middle and last page), each page the same way as its cover or the other, on
clean, office and harsh paper (duplex show-through with each side skewed its own way, grey and
thin paper, light toner, the scanner's JPEG at quality 35-60, 200 and 300 dpi).
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pypdfium2 as pdfium
import pytest
from helpers import office_batch, office_pages
from helpers.ocr_quality import tesseract_text, word_recall
from PIL import Image

pytestmark = [pytest.mark.ocr, pytest.mark.slow]

#: (cover turn, [each page's turn]) per document: every position (single, first, middle, last)
#: lying with its cover and against it.
GRID = [(0, [180]), (180, [0]), (0, [180, 0, 180]), (180, [0, 180, 180])]
LAYOUTS = {"clean": ["letter", "table", "full", "stamp", "sparse", "photo"],
           "office": ["full", "sparse", "letter", "table", "photo", "stamp"],
           "harsh": ["sparse", "full", "table", "letter", "stamp", "full"]}


def _upright(filed: Image.Image, printed: Image.Image) -> bool:
    """The filed page looks like the print the right way up rather than upside down."""
    size = filed.size
    ink = 255.0 - np.asarray(filed.convert("L"), dtype=np.float32)
    ideal = printed.convert("L").resize(size, Image.Resampling.BOX)
    same = float((ink * (255.0 - np.asarray(ideal, dtype=np.float32))).sum())
    turned = float((ink * (255.0 - np.asarray(ideal.rotate(180), dtype=np.float32))).sum())
    return same > 1.2 * turned


def _filed_pages(home) -> dict[int, tuple[str, Image.Image]]:
    """Batch page -> (its filed text, its filed image as a reader shows it)."""
    found = {}
    with sqlite3.connect(home / "scan-station.db") as db:
        rows = db.execute("SELECT d.path, p.page, p.batch_page, p.text FROM document d JOIN document_page p "
                          "ON p.document_id = d.id").fetchall()
    for path, page, batch_page, text in rows:
        pdf = pdfium.PdfDocument(home / "storage" / path)
        try:
            found[batch_page] = (text, pdf[page - 1].render(scale=40 / 72, grayscale=True).to_pil())
        finally:
            pdf.close()
    return found


@pytest.mark.parametrize("profile", ["clean", "office", "harsh"])
def test_every_page_is_filed_upright_and_findable_or_flagged(profile, run, home, tmp_path):
    ids = [run("register", "add", "--title", f"Dokumen {n}", "--unit", "Subbagian Umum", "--category",
               "berkala").stdout.strip() for n in range(len(GRID))]
    layouts = iter(LAYOUTS[profile] * 2)
    dpi = {"clean": 300, "office": 300, "harsh": 200}[profile]
    docs, turns = [], []
    for n, (register_id, (cover, pages)) in enumerate(zip(ids, GRID, strict=True)):
        printed = [office_pages.page(next(layouts), dpi=dpi, seed=100 * n + k, page_no=k + 1, of=len(pages),
                                     numbering=k % 3) for k in range(len(pages))]
        docs.append((register_id, printed))
        turns += [cover, *pages]
    batch = office_batch.feed(docs, office_batch.PROFILES[profile], seed=len(profile), dpi=dpi, turns=turns)
    result = run("ingest", str(batch.write_pdf(tmp_path / "batch.pdf")), "--json", "--quiet")
    assert result.code == 0, result.stderr
    data = result.json
    content = dict(batch.content())
    filed = {n for d in data["documents"] for n in d["batch_pages"]}
    assert filed == set(content), ("blank backs filed" if filed - set(content) else "content not filed",
                                   sorted(filed ^ set(content)))
    assert [d["register_id"] for d in data["documents"]] == ids and data["held"] == []

    pages = _filed_pages(home)
    with ThreadPoolExecutor(2) as pool:
        ideal = dict(zip(content, pool.map(
            lambda n: tesseract_text(content[n].printed.image, tmp_path, name=f"i{n}", dpi=dpi), content), strict=True))
    flagged = {c["page"] for c in data["pages_to_check"]}
    for n, page in content.items():
        text, image = pages[n]
        recall = word_recall(text, ideal[n])
        where = f"page {n} ({page.printed.layout}, fed turned {page.turned}, skew {page.skew}, JPEG {page.jpeg})"
        assert _upright(image, page.printed.image), f"{where} is filed upside down"
        assert recall >= 0.95 or n in flagged, f"{where}: {recall:.0%} of its words, and not flagged"
        assert recall >= 0.95, f"{where}: {recall:.0%} of its words (flagged)"
