"""A page's snippet for a query: the stretch of its text with the most matching words, marked.

A word is marked when it is a query word as typed or by its stem, begins with a query prefix,
is one character off a query word that the dictionary does not know (a misread name), or is
(part of) a document number whose normalised form the query names.
"""

from __future__ import annotations

from .search_query import Query
from .search_text import _CHUNK, TOKEN, is_dictionary_word, number_key, stem

WIDTH = 220  # characters of a snippet
MIN_FUZZY = 5


def _one_off(a: str, b: str) -> bool:
    """Levenshtein distance of exactly one (a substitution, insertion or deletion)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


def _matcher(parsed: Query):
    words, stems, prefixes, fuzzy = set(), set(), [], []
    for clause in parsed.positive():
        if clause.kind == "prefix":
            prefixes.append(clause.words[0])
            continue
        words.update(clause.words)
        if clause.kind == "word":
            w = clause.words[0]
            stems.add(stem(w))
            if len(w) >= MIN_FUZZY and w.isalpha() and not is_dictionary_word(w):
                fuzzy.append(w)

    def matches(token: str) -> bool:
        t = token.lower()
        return (t in words or stem(t) in stems or any(t.startswith(p) for p in prefixes)
                or any(_one_off(t, f) for f in fuzzy))

    return matches


def _spans(text: str, parsed: Query) -> list[tuple[int, int]]:
    matches, memo = _matcher(parsed), {}
    spans = []
    for m in TOKEN.finditer(text):
        token = m.group()
        hit = memo.get(token)
        if hit is None:
            hit = memo[token] = matches(token)
        if hit:
            spans.append(m.span())
    keys = {number_key(c.raw) for c in parsed.positive() if c.kind == "number"}
    if keys:
        spans += [m.span() for m in _CHUNK.finditer(text) if number_key(m.group().strip(".:-/")) in keys]
    return sorted(set(spans), key=lambda s: (s[0], -s[1]))


def snippet(text: str, parsed: Query, mark: tuple[str, str]) -> str:
    """About WIDTH characters of `text` around its densest matches, each match between `mark`s."""
    spans = _spans(text, parsed)
    if not spans:
        return " ".join(text[:WIDTH].split())
    best = max(range(len(spans)), key=lambda i: sum(1 for s in spans[i:] if s[1] - spans[i][0] <= WIDTH * 0.7))
    start = max(0, min(spans[best][0] - WIDTH // 4, len(text) - WIDTH))
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(text), start + WIDTH)
    out, at = [], start
    for s, e in spans:
        if s < at or e > end:
            continue
        out += [text[at:s], mark[0], text[s:e], mark[1]]
        at = e
    out.append(text[at:end])
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    return prefix + " ".join("".join(out).split()) + suffix
