"""Page classification at the default resolution: covers (also noisy), blanks, sparse pages."""

from pathlib import Path

import pytest
from helpers import batches

from scan_station.core.config import Settings
from scan_station.core.model import BLANK, CONTENT, COVER
from scan_station.pages import samples
from scan_station.pages.classify import classify_pdf

DEFAULTS = Settings(home=Path("/nonexistent"))


def classify(pdf):
    return list(classify_pdf(pdf, dpi=DEFAULTS.classify_dpi))


def test_noisy_cover_is_found(tmp_path):
    # sigma 15 at 300 dpi: pyzbar reads nothing at full resolution; rendering down averages it away
    noisy = samples.scanned_look(batches.cover("PPID-2026-000077"), noise=15)
    (page,) = classify(batches.write_pdf([noisy], tmp_path / "noisy.pdf"))
    assert (page.kind, page.register_id) == (COVER, "PPID-2026-000077")


def test_one_short_line_is_content_and_an_empty_back_is_blank(tmp_path):
    one_line = samples.scanned_look(samples.text_page("Catatan", [], page_no=1))
    pages = classify(batches.write_pdf([one_line, samples.blank_back()], tmp_path / "b.pdf"))
    assert [p.kind for p in pages] == [CONTENT, BLANK]


@pytest.mark.corpus
def test_corpus_blank_page_is_blank(corpus):
    assert [p.kind for p in classify(corpus / "ocrmypdf" / "blank.pdf")] == [BLANK]


@pytest.mark.corpus
def test_corpus_page_with_one_small_line_is_content(corpus):
    pages = classify(corpus / "paperless-ngx" / "patch-code-t-middle-distorted.pdf")
    assert pages[0].kind == CONTENT and pages[2].kind == CONTENT
