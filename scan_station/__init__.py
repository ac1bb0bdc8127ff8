"""Scan Station: register, cover sheets, split, OCR to PDF/A, filing and search for the PPID."""

__version__ = "0.1.0"
