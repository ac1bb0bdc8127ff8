"""CSV cells that a spreadsheet opens as text, never as a formula (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula, e.g. `=HYPERLINK("http://...","klik")`. So does a piece of a cell
once the spreadsheet splits the text at a separator (text to columns, a paste, a CSV opened with
`;` where `,` was meant): `Laporan;=HYPERLINK(...)` becomes a second cell `=HYPERLINK(...)`.
`protect` puts a single quote at the start of the text, and after each `,`, `;` or tab, wherever
such a character follows (spreadsheets show a leading quote as text); `unprotect` takes those
quotes off again when the CSV comes back, so an export followed by an import gives back exactly
what was there.

For the round trip to be exact, text that already has quotes before such a character (`'=x`,
`a;''+y`) gets one more quote there, and an import takes exactly one off: `protect` adds a quote
where `(^|[,;\\t])'*[=+\\-@\\t\\r]` matches (after the start or separator), `unprotect` removes one
where `(^|[,;\\t])'+[=+\\-@\\t\\r]` matches. Separators are never added or removed, so both find
the same places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The start of the text or of a piece a spreadsheet may split off, where a formula may begin.
_RISKY = re.compile(r"(^|[,;\t])(?='*[=+\-@\t\r])")
_PROTECTED = re.compile(r"(^|[,;\t])'(?='*[=+\-@\t\r])")


def protect(value: object) -> object:
    """`value` as a CSV cell: where text a spreadsheet would run as a formula begins (at the start,
    or after a separator), a `'` goes first."""
    if isinstance(value, str):
        return _RISKY.sub(r"\1'", value)
    return value


def protect_row(values: Iterable[object]) -> list[object]:
    return [protect(value) for value in values]


def unprotect(cell: str) -> str:
    """The value `protect` was given for this cell."""
    return _PROTECTED.sub(r"\1", cell)
