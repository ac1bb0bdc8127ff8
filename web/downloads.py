"""Exports as downloads: the register, the monthly report and the audit log as CSV (for programs),
CSV as Excel in Indonesian opens it, and XLSX (`scan_station.core.spreadsheet`)."""

from __future__ import annotations

from flask import Response

from scan_station.core.spreadsheet import MIMETYPES, SUFFIXES


def download(body: str | bytes, name: str, kind: str) -> Response:
    """`body`, an export in format `kind`, as a file `name` + the format's suffix to save."""
    return Response(body, mimetype=MIMETYPES[kind],
                    headers={"Content-Disposition": f"attachment; filename={name}{SUFFIXES[kind]}"})
