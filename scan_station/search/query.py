"""The query language of the search box, parsed by us so that no input is ever an error.

    pemilihan umum        every word must match, as typed or by its stem
    "surat suara"         the words adjacent and in this order
    rapat -pleno          not the word; -"surat suara" not the phrase
    pemil*                words beginning so (at least 3 letters before the *)
    pleno OR rekapitulasi either one (OR in capitals; binds tighter than the spaces)
    unit:keuangan kategori:berkala tahun:2025 nomor:19/PP.07 status:diterima

A document number anywhere in the query (`19/PP.07-SOP/HM/I/2025`, or typed with spaces after
"nomor": `nomor 303 tahun 2024`) is also looked for in its normalised form (see
`text.number_key`). What does not fit this grammar is read as
plain words: an unclosed quote, an unknown `field:`, a lone `-` or `*`, `OR` at either end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import TOKEN, looks_like_number, spaced_numbers, tokens

#: Bounds on one query: characters read, clauses used.
MAX_QUERY_CHARS, MAX_QUERY_WORDS = 300, 12
MIN_PREFIX = 3
_PIECE = re.compile(r'(-?)(?:([A-Za-z]+):)?("([^"]*)"|\S+)')
FILTERS = {"unit": "unit", "kategori": "category", "category": "category", "tahun": "year", "year": "year",
           "nomor": "number", "number": "number", "status": "status"}
STATUS_WORDS = {"diajukan": "submitted", "menunggu": "submitted", "submitted": "submitted",
                "diterima": "accepted", "accepted": "accepted"}


@dataclass(frozen=True)
class Clause:
    """One thing to look for: a word, a phrase (several words), a prefix, or a document number."""

    kind: str  # "word" | "phrase" | "prefix" | "number"
    words: tuple[str, ...]
    raw: str = ""  # a number as typed


@dataclass
class Query:
    #: Every group must match; a group matches when any of its clauses does.
    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)

    def positive(self) -> list[Clause]:
        return [c for group in self.groups for c in group]

    def empty(self) -> bool:
        return not self.groups and not self.filters


def parse(text: str) -> Query:
    query = Query()
    pieces = list(_PIECE.finditer(_joined_numbers(text[:MAX_QUERY_CHARS].replace("\x00", " "))))
    or_next = False
    for n, match in enumerate(pieces):
        minus, name, body, quoted = match.group(1), match.group(2), match.group(3), match.group(4)
        if body == "OR" and not minus and not name and query.groups and n + 1 < len(pieces):
            or_next = True
            continue
        if name and name.lower() in FILTERS:
            value = quoted if quoted is not None else body
            if value.strip():
                query.filters[FILTERS[name.lower()]] = value.strip()
                continue
        if name:  # not a filter: the whole piece is text (e.g. a URL)
            body, quoted = match.group(0).lstrip("-"), None
        clause = _clause(body, quoted)
        if clause is None:
            continue
        if minus:
            query.excluded.append(clause)
        elif or_next:
            query.groups[-1].append(clause)
        else:
            query.groups.append([clause])
        or_next = False
    _bound(query)
    return query


def _joined_numbers(text: str) -> str:
    """A number typed with spaces after "nomor"/"no" (`nomor 303 tahun 2024`) joined into one
    piece (`303/tahun/2024`): looked for as a number (`text.spaced_numbers`), like one printed so."""
    for (start, end), number in reversed(spaced_numbers(text)):
        if '"' not in text[:start]:  # not inside quotes: a phrase stays a phrase
            text = text[:start] + "/".join(TOKEN.findall(number)) + text[end:]
    return text


def _clause(body: str, quoted: str | None) -> Clause | None:
    if quoted is not None:
        words = tuple(w[:64] for w in tokens(quoted))
        if not words:
            return None
        return Clause("phrase" if len(words) > 1 else "word", words)
    chunk = body.strip(".,;:!?()[]{}'\"")
    if looks_like_number(chunk):
        return Clause("number", tuple(tokens(chunk)), raw=chunk)
    words = tuple(w[:64] for w in tokens(body))
    if not words:
        return None
    if body.endswith("*") and len(words) == 1 and len(words[0]) >= MIN_PREFIX:
        return Clause("prefix", words)
    return Clause("phrase" if len(words) > 1 else "word", words)


def _bound(query: Query) -> None:
    """At most MAX_QUERY_WORDS clauses in all, the positive ones first."""
    budget = MAX_QUERY_WORDS
    kept = []
    for group in query.groups:
        if budget <= 0:
            break
        kept.append(group[:budget])
        budget -= len(kept[-1])
    query.groups = kept
    query.excluded = query.excluded[: max(budget, 0)]


def query_words(text: str) -> list[str]:
    """The words a query looks for, each once, in order (for highlighting, and for the bounds)."""
    words = [w for clause in parse(text).positive() for w in clause.words]
    return list(dict.fromkeys(words))
