"""OCRmyPDF: run it on one PDF and map what it raises to our errors. What a job is, its options,
its metadata and its PDF/A check are the pipeline's (`scan_station.ocr.pdfa_job`).

`ocrmypdf.ocr()` is not thread-safe: it runs in a child process of `scan_station.ocr.pool.OcrPool`.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from ..core.errors import MissingDependencyError, OcrError
from .probe import Probe, at_least

MIN_VERSION = (17, 0)


class PdfaConversionError(OcrError):
    """The PDF holds constructs PDF/A cannot carry (ocrmypdf's PdfaConversionFailedError)."""


def version() -> str:
    return importlib.metadata.version("ocrmypdf")  # without importing it: softcopies alone need it


def probe(_settings) -> Probe:
    found = version()
    if not at_least(found, MIN_VERSION):
        return Probe("ocrmypdf", False, found, f"{found} is too old", "17.0 or newer is needed: run scripts/setup.sh",
                     code="too_old", params={"found": found, "needed": "17.0", "command": "scripts/setup.sh"})
    return Probe("ocrmypdf", True, found)


def ocr(input_pdf: Path, output_pdf: Path, *, key: str, **options: Any) -> None:
    """`ocrmypdf.ocr` with `options`; pages that carry text already are OCR'd anyway (`force_ocr`)
    when ocrmypdf refuses them. `key` names the job in errors."""
    import ocrmypdf
    import ocrmypdf.exceptions

    try:
        try:
            ocrmypdf.ocr(input_pdf, output_pdf, **options)
        except ocrmypdf.exceptions.PriorOcrFoundError:  # born-digital pages: OCR the image anyway
            ocrmypdf.ocr(input_pdf, output_pdf, **(options | {"force_ocr": True}))
    except ocrmypdf.exceptions.MissingDependencyError as exc:  # ocrmypdf's own: ours, with its advice
        raise MissingDependencyError(f"OCR needs a program that is missing: {exc}".strip()) from None
    except ocrmypdf.exceptions.PdfaConversionFailedError as exc:
        raise PdfaConversionError(f"OCR failed for {key}: {type(exc).__name__}: {exc}") from None
    except ocrmypdf.exceptions.ExitCodeException as exc:
        raise OcrError(f"OCR failed for {key}: {type(exc).__name__}: {exc}") from None
