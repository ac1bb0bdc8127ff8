"""CSV cells that a spreadsheet opens as text, never as a formula (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula, e.g. `=HYPERLINK("http://...","klik")`. `protect` puts a single
quote before such a text cell, which spreadsheets show as text; `unprotect` takes it off again
when the CSV comes back, so an export followed by an import gives back exactly what was there.

For the round trip to be exact, text that already begins with quotes before such a character
(`'=x`, `''+y`) gets one more quote, and an import takes exactly one off: `protect` adds a quote
to what matches `^'*[=+\\-@\\t\\r]`, `unprotect` removes one from what matches `^'+[=+\\-@\\t\\r]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_RISKY = re.compile(r"'*[=+\-@\t\r]")
_PROTECTED = re.compile(r"'+[=+\-@\t\r]")


def protect(value: object) -> object:
    """`value` as a CSV cell: text a spreadsheet would run as a formula gets a leading `'`."""
    if isinstance(value, str) and _RISKY.match(value):
        return "'" + value
    return value


def protect_row(values: Iterable[object]) -> list[object]:
    return [protect(value) for value in values]


def unprotect(cell: str) -> str:
    """The value `protect` was given for this cell."""
    return cell[1:] if _PROTECTED.match(cell) else cell
