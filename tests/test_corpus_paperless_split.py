"""paperless-ngx's barcode separator scenarios, re-expressed as Scan Station batches.

Where paperless-ngx splits at a separator sheet (PATCHT or a custom string) and drops it, we put
one of our cover sheets in its place and expect the same documents — except the pages before the
first separator, which we hold instead of filing. The unmodified samples, with their foreign
PATCHT/ASN/TAG barcodes, must not split at all: every page is held, none is a cover.
"""

import json
from pathlib import Path

import pytest
from conftest import CORPUS
from helpers import batches

from scan_station.core.config import Settings
from scan_station.core.model import COVER
from scan_station.pages.classify import classify_pdf
from scan_station.pages.split import split

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def _scenarios():
    if not (CORPUS / "MANIFEST.json").is_file():
        return []
    cases = []
    for f in json.loads((CORPUS / "MANIFEST.json").read_text())["files"]:
        if f["role"] != "sample" or not f["path"].endswith(".pdf"):
            continue
        for i, s in enumerate(f.get("expected", {}).get("scenarios") or []):
            if "CONSUMER_BARCODE_STRING" in s["settings"] and s.get("documents") is not None:
                cases.append(pytest.param(f["path"], f["pages"], s, id=f"{f['path']}#{i}"))
    return cases


def classify(pdf):
    defaults = Settings(home=Path("/nonexistent"))
    return list(classify_pdf(pdf, dpi=defaults.classify_dpi))


@pytest.mark.parametrize("rel, page_count, scenario", _scenarios())
def test_same_documents_with_our_cover_sheets(corpus, tmp_path, rel, page_count, scenario):
    separators = set(scenario["separator_pages_removed"])
    ids = {page: f"PPID-2026-{page:06d}" for page in separators}
    parts = [batches.cover(ids[n]) if n in separators else (corpus / rel, n) for n in range(1, page_count + 1)]
    pages = classify(batches.mix_pdf(parts, tmp_path / "batch.pdf"))

    assert [p.number for p in pages if p.kind == COVER] == sorted(separators)
    result = split(pages, set(ids.values()))
    filed = [d.batch_pages for d in result.documents]
    held = [h.batch_pages for h in result.held if h.batch_pages]
    expected_filed = [d for d in scenario["documents"] if d[0] - 1 in separators]
    expected_held = [d for d in scenario["documents"] if d[0] - 1 not in separators]
    assert filed == expected_filed
    assert held == expected_held
    assert [d.register_id for d in result.documents] == [ids[d[0] - 1] for d in expected_filed]


@pytest.mark.parametrize("rel", sorted({p.values[0] for p in _scenarios()}))
def test_foreign_separators_never_split(corpus, rel):
    pages = classify(corpus / rel)
    assert all(p.kind != COVER for p in pages)
    result = split(pages, set())
    assert result.documents == []
    assert sum(len(h.batch_pages) for h in result.held) + len(result.blank_pages) == len(pages)
