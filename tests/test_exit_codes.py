"""Exit codes keep their promises at the edges: an error of ours raised in an OCR child, settings
that cannot work (a queue URL, a home that is a file), text that is not UTF-8 on the command
line, and an output that cannot take what a command prints."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from scan_station.errors import ExitCode, MissingDependencyError, OcrError
from scan_station.ocr import OcrPool

REPO = Path(__file__).resolve().parents[1]


def _failed(exc: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(exc)
    return future


def assert_one_line(result, code: int, text: str) -> None:
    assert result.code == code, (result.code, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and text in result.stderr, result.stderr


# -- (a) errors of ours from the OCR children ---------------------------------------------------------


def test_the_ocr_pool_raises_an_error_of_ours_as_it_is():
    missing = MissingDependencyError("tesseract has no language pack for ind; apt-get install tesseract-ocr-ind")
    with pytest.raises(MissingDependencyError) as info:
        OcrPool.collect({"doc-1": _failed(missing)})
    assert info.value is missing


def test_the_ocr_pool_wraps_only_what_is_not_ours():
    with pytest.raises(OcrError, match="OCR failed: RuntimeError: boom"):
        OcrPool.collect({"doc-1": _failed(RuntimeError("boom"))})


@pytest.mark.ocr
@pytest.mark.slow
def test_demo_without_a_language_pack_at_ocr_time_exits_6_not_7(run, no_indonesian, monkeypatch):
    from scan_station import doctor

    monkeypatch.setattr(doctor, "require", lambda _work, _settings: None)  # as if the pack went missing since
    result = run("demo", "--documents", "1")
    assert result.code == ExitCode.missing_dependency, result.stderr
    assert "ind" in result.stderr and "Traceback" not in result.stderr
