"""What a register id may be, and the `id_pattern` setting that makes new ones.

An id travels inside the cover sheet's barcode and names folders in storage, so it uses only
A-Z, 0-9, `-`, `.` and `/`, at most `MAX_ID_LENGTH` characters. `id_pattern` is a Python format
string with `{year}` and the per-year sequence `{seq}`; it is checked when the settings load
(`id_pattern_problem`), so that it can neither loop for ever (no `{seq}`: every id it makes is
the same) nor make ids no barcode can carry (`{seq:0999999d}`).
"""

from __future__ import annotations

import datetime as dt
import re
import string

#: Characters a register id may use (they travel inside the cover-sheet barcode).
ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{0,47}$")
MAX_ID_LENGTH = 48
#: A pattern to suggest when one is refused (the default).
GOOD_PATTERN = "PPID-{year}-{seq:06d}"
#: Sequence numbers an id_pattern is tried with: the first, and one far beyond a year's entries.
_EXAMPLE_SEQS = (1, 2, 999_999)


def id_problem(entry_id: str) -> str | None:
    """Why `entry_id` (upper case) cannot be a register id, or None when it can."""
    if not ID_RE.match(entry_id):
        return (f"may use only A-Z, 0-9, '-', '.', '/', must begin with a letter or digit "
                f"(at most {MAX_ID_LENGTH} characters)")
    if any(part in ("", ".", "..") for part in entry_id.split("/")):
        return "may not end with '/' nor have an empty, '.' or '..' part between slashes"
    return None


def _field_problem(name: str, spec: str, conversion: str | None) -> str | None:
    if name not in ("year", "seq"):
        return f"uses {{{name}}}; only {{year}} and {{seq}} may be filled in"
    if conversion or "{" in spec:
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        return f"has {shown}; a field may have a number format (as in {{seq:06d}}), nothing else"
    too_wide = [int(n) for n in re.findall(r"\d+", spec) if int(n) > MAX_ID_LENGTH]
    if too_wide:
        return f"asks for {too_wide[0]:,} digits in {{{name}}}; an id has at most {MAX_ID_LENGTH} characters"
    return None


def _fields_problem(pattern: str) -> str | None:
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"is not a format pattern ({exc}; a brace is written {{{{ or }}}})"
    fields = [(name, spec, conversion) for _text, name, spec, conversion in parsed if name is not None]
    for name, spec, conversion in fields:
        assert spec is not None  # Formatter.parse gives every field a spec ("" when there is none)
        problem = _field_problem(name, spec, conversion)
        if problem:
            return problem
    if [name for name, _spec, _conv in fields].count("seq") != 1:
        return "must contain {seq} exactly once (the sequence number that makes each id new)"
    return None


def id_pattern_problem(pattern: str, year: int | None = None) -> str | None:
    """Why `pattern` cannot make register ids, or None when it can: it must fill in `{seq}` exactly
    once (and `{year}` as often as it likes), with formats that suit numbers, and make ids of the
    allowed characters and length, a different one for each number."""
    problem = _fields_problem(pattern)
    if problem:
        return problem
    year = year or dt.date.today().year
    examples = []
    for seq in _EXAMPLE_SEQS:
        try:
            example = pattern.format(year=year, seq=seq).upper()
        except ValueError as exc:
            return f"has a format that does not suit a number ({exc})"
        if len(example) > MAX_ID_LENGTH:
            return f"makes ids of {len(example)} characters (number {seq:,}: {example!r}); at most {MAX_ID_LENGTH} fit"
        problem = id_problem(example)
        if problem:
            return f"makes {example!r}, but an id {problem}"
        examples.append(example)
    if len(set(examples)) < len(examples):
        return f"makes {examples[0]!r} for different numbers; the sequence number must show in the id"
    return None
