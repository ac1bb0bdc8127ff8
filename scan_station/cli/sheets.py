"""What `register export` and `report` share: `--format csv|excel-csv|xlsx` and `-o/--output FILE`
(`spreadsheet`). A workbook is never printed: it needs `--output`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ..core.errors import BadArgumentsError
from ..core.spreadsheet import FORMATS

_OPTIONS = [
    click.option("--format", "kind", type=click.Choice(FORMATS),
                 help="csv (comma, UTF-8: for programs), excel-csv (semicolon, UTF-8 with a BOM: as Excel in "
                      "Indonesian opens it) or xlsx (a workbook; needs --output). Default: xlsx for an --output "
                      "ending in .xlsx, else csv."),
    click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write the file here instead of printing it; an existing file is not overwritten."),
]


def sheet_options(func: Callable) -> Callable:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def chosen_format(kind: str | None, output: Path | None) -> str:
    """The format asked for: `kind`, else the one `output`'s name ends with, else csv."""
    kind = kind or ("xlsx" if output is not None and output.suffix.lower() == ".xlsx" else "csv")
    if kind == "xlsx" and output is None:
        raise BadArgumentsError("a workbook (--format xlsx) is not text to print; "
                                "give --output FILE.xlsx to write it to")
    return kind


def deliver(body: str | bytes, output: Path | None, kind: str, rows: int) -> tuple[dict | None, str]:
    """Write `body` to `output` (then: what was written, and a line saying so), or (None, the text
    to print)."""
    if output is None:
        return None, str(body).rstrip("\n")
    from ..core.storage import atomic_write_bytes

    atomic_write_bytes(output, body if isinstance(body, bytes) else body.encode("utf-8"))
    return {"path": str(output), "format": kind, "rows": rows}, f"{output}: {rows} row(s), {kind}"
