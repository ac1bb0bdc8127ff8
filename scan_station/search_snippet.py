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


class Marker:
    """Snippets for one query over many pages. Whether a word matches is decided once per
    distinct word of the query's pages (`matches` is slow: stems, prefixes, fuzzy names); the
    words that do are then found in each page by plain string search, which is fast."""

    def __init__(self, parsed: Query, mark: tuple[str, str]):
        self.mark, self.matches = mark, _matcher(parsed)
        self.keys = {number_key(c.raw) for c in parsed.positive() if c.kind == "number"}

    def snippets(self, texts: list[str]) -> list[str]:
        memo, found = {}, set()
        for chunk in set().union(*(text.split() for text in texts)):
            for token in _tokens_of(chunk):
                hit = memo.get(token)
                if hit is None:
                    hit = memo[token] = self.matches(token)
                if hit:
                    found.add(token)
        return [self._snippet(text, self._spans(text, found)) for text in texts]

    def _spans(self, text: str, found: set[str]) -> list[tuple[int, int]]:
        spans, find, length = [], text.find, len(text)
        for word in found:
            at = find(word)
            while at >= 0:
                end = at + len(word)
                # a whole token, not part of a longer one (as TOKEN splits: letters and digits)
                if (at == 0 or not text[at - 1].isalnum()) and (end == length or not text[end].isalnum()):
                    spans.append((at, end))
                at = find(word, end)
        spans.sort()
        if self.keys:
            spans += [m.span() for m in _CHUNK.finditer(text) if number_key(m.group().strip(".:-/")) in self.keys]
            spans = sorted(set(spans), key=lambda s: (s[0], -s[1]))
        return spans

    def _snippet(self, text: str, spans: list[tuple[int, int]]) -> str:
        """About WIDTH characters of `text` around its densest matches, each match marked."""
        if not spans:
            return " ".join(text[:WIDTH].split())
        start = max(0, min(spans[_densest(spans)][0] - WIDTH // 4, len(text) - WIDTH))
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + WIDTH)
        out, at = [], start
        for s, e in spans:
            if s < at or e > end:
                continue
            out += [text[at:s], self.mark[0], text[s:e], self.mark[1]]
            at = e
        out.append(text[at:end])
        prefix = "…" if start else ""
        suffix = "…" if end < len(text) else ""
        return prefix + " ".join("".join(out).split()) + suffix


_CHUNK_TOKENS: dict[str, tuple[str, ...]] = {}  # a whitespace-separated chunk -> its tokens


def _tokens_of(chunk: str) -> tuple[str, ...]:
    tokens = _CHUNK_TOKENS.get(chunk)
    if tokens is None:
        tokens = tuple(TOKEN.findall(chunk))
        if len(_CHUNK_TOKENS) < 500_000:
            _CHUNK_TOKENS[chunk] = tokens
    return tokens


def _densest(spans: list[tuple[int, int]]) -> int:
    """The index of the span that begins the window of WIDTH*0.7 characters with most matches."""
    best, count, j = 0, 0, 0
    for i, (s, _e) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][1] - s <= WIDTH * 0.7:
            j += 1
        if j - i > count:
            best, count = i, j - i
    return best


def snippet(text: str, parsed: Query, mark: tuple[str, str]) -> str:
    """One page's snippet (`Marker` does many pages of one query at once)."""
    return Marker(parsed, mark).snippets([text])[0]
