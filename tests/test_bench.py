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
def test_bench_search_runs():
    out = _run("bench_search.py", "--documents", "30", timeout=300)
    assert "| common word |" in out and "| misread number |" in out


@pytest.mark.slow
@pytest.mark.ocr
def test_bench_ingest_runs(tmp_path):
    _run("bench_ingest.py", "--documents", "1", "--memory-pages", "0", "--no-kiosk", "--json",
         str(tmp_path / "figures.json"), timeout=600)
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["throughput_vs_tesseract_alone"] > 0 and figures["sizes"]["text B/W"]["access_kb_per_page"] > 0
