"""PDF/A validation that a warning raised elsewhere in the process cannot fail.

pikepdf's validator parses each content stream (and each embedded CMap) inside
`warnings.catch_warnings(record=True)` and turns any warning it records into a finding. That
recording is process-wide: a warning another thread raises at that moment, or one that a garbage
collection raises from an unrelated object's `__del__` (an unclosed connection's ResourceWarning),
is recorded as the document's own ("content stream: unclosed connection ..."). Such a finding does
not repeat; one that the document causes does, every time. So a report whose only findings are
recorded warnings is taken again, and what it says the second time is the verdict.
"""

from __future__ import annotations

from pathlib import Path

#: The messages pikepdf gives a warning it recorded while parsing (`pdfa/_content.py`, `pdfa/_cmap.py`).
RECORDED_WARNING = ("content stream: ", "cannot parse the CMap: ")


def only_recorded_warnings(findings) -> bool:
    """Whether every finding is a warning pikepdf recorded, which may have been another's."""
    return bool(findings) and all(f.message.startswith(RECORDED_WARNING) for f in findings)


def validate_written(path: Path, flavour: str = "2b"):
    """`pikepdf.pdfa.validate_written`, taken once more when its only findings are recorded warnings."""
    import pikepdf.pdfa

    report = pikepdf.pdfa.validate_written(path, flavour)
    if not report.passed and only_recorded_warnings(report.findings):
        report = pikepdf.pdfa.validate_written(path, flavour)
    return report


def save(pdf, out: Path, flavour: str = "2b") -> None:
    """`pikepdf.pdfa.save`, tried once more when it failed on recorded warnings alone; raises
    `pikepdf.pdfa.PdfaError` with the second report when the document itself fails."""
    import pikepdf.pdfa

    try:
        pikepdf.pdfa.save(pdf, out, flavour)
    except pikepdf.pdfa.PdfaError as exc:
        if not only_recorded_warnings(exc.report.findings):
            raise
        pikepdf.pdfa.save(pdf, out, flavour)
