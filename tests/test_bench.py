"""The benchmark scripts still run (at a small scale, figures not checked: speed is measured by
running them as bench/README.md says, not in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _run(*args: str, timeout: float) -> str:
    done = subprocess.run([sys.executable, *args], cwd=BENCH, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_bench_search_runs(tmp_path):
    out = _run("bench_search.py", "--documents", "40", "--queries", "5", "--json", str(tmp_path / "figures.json"),
               timeout=300)
    assert "| common word |" in out and "| misread number |" in out and "| name, quoted |" in out
    figures = json.loads((tmp_path / "figures.json").read_text())
    # the archive went in through the real filing path, and every role was asked every kind of query
    assert figures["filing_pages_per_s"] > 0 and figures["relevance"]["name"]["queries"] > 0
    assert {key.split(" | ")[0] for key in figures["latency"]} == {"dokumentasi", "ppid", "atasan", "admin"}


@pytest.mark.slow
@pytest.mark.ocr
def test_bench_ingest_runs(tmp_path):
    _run("bench_ingest.py", "--documents", "1", "--memory-pages", "0", "--no-kiosk", "--quality-documents", "1",
         "--profile-pages", "1", "--pages-per-document", "1",
         "--json", str(tmp_path / "figures.json"), timeout=900)
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["throughput_vs_tesseract_alone"] > 0 and figures["sizes"]["text B/W"]["access_kb_per_page"] > 0
    assert set(figures["recall_by_profile"]) == {"clean", "office", "harsh"}
    assert all(0 < p["recall_filed"] <= 1 for p in figures["recall_by_profile"].values())


@pytest.mark.slow
@pytest.mark.ocr
def test_bench_readability_runs(tmp_path):
    out = _run("bench_readability.py", "--pages", "8", "--mode", "pipeline", timeout=600)
    assert '"under_80_percent_recall"' in out and '"read_well_95_percent"' in out


@pytest.mark.slow
@pytest.mark.ocr
def test_bench_photos_runs():
    out = json.loads(_run("bench_photos.py", "--pages", "1", timeout=600))
    assert 0 < out["mean_word_recall"]["photos_filed"] <= 1 and out["seconds_per_photo_beyond_ocr_one_core"]["max"] > 0
