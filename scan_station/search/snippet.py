"""A page's snippet for a query: the stretch of its text with the most matching words, marked.

A word is marked when it is a query word as typed or by its stem, begins with a query prefix,
is one character off a query word that the dictionary does not know (a misread name), or is
(part of) a document number whose normalised form the query names.

Finding those words without reading every word of every page: each of them holds a piece of
the query (a "needle") — a query word or prefix itself; for a word of the same stem, the stem
without its first letter (Sastrawi takes affixes off and changes at most the stem's first
letter: me+pilih is memilih, pe+tetap+an penetapan); for a word one character off a name, the
first or the second half of the name. So only the words around the needles' occurrences are
decided, and the words with letters beyond ASCII (which Sastrawi reads otherwise) each. When a
needle is short or frequent, every word of the pages is decided instead; the marks are the same.
"""

from __future__ import annotations

import functools
import re

from .query import Query
from .text import _CHUNK, _STEMS, TOKEN, in_dictionary, is_dictionary_word, number_key, stem

WIDTH = 220  # characters of a snippet
MIN_FUZZY = 5
MIN_NEEDLE = 3  # letters; shorter needles are everywhere
NEEDLE_BUDGET = 30  # occurrences of needles a page, on average, beyond which every word is decided
_RUN = re.compile(r"[^\W_]*")  # the rest of a token (letters and digits, as TOKEN)
_OTHER_LETTER = re.compile(r"[^\x00-\x7f\W]")  # a letter or digit beyond ASCII
MAX_OTHER_LETTERS = 200  # a page, beyond which every word of it is decided


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


def _fuzzy(word: str) -> bool:
    return len(word) >= MIN_FUZZY and word.isalpha() and not is_dictionary_word(word)


class _Matcher:
    """Whether words match a query: one word (`matches`), or many at once (`which`), the cheap
    tests first — thousands of words are decided for a common word."""

    def __init__(self, parsed: Query):
        self.words: set[str] = set()
        self.stems: set[str] = set()
        prefixes, fuzzy = [], []
        for clause in parsed.positive():
            if clause.kind == "prefix":
                prefixes.append(clause.words[0])
                continue
            self.words.update(clause.words)
            if clause.kind == "word":
                w = clause.words[0]
                self.stems.add(stem(w))
                if _fuzzy(w):
                    fuzzy.append(w)
        self.starts, self.fuzzy = tuple(prefixes), fuzzy
        # Sastrawi gives a word either a stem from its dictionary or the word itself: only a
        # dictionary stem is that of other words, and any other is matched as a word.
        self.affixed = {s for s in self.stems if in_dictionary(s)}
        self.exact = self.words | (self.stems - self.affixed)
        # A word one character off f keeps f's first half, or all of f after the character past
        # the middle (where the change is decides which): the halves are a cheap test first.
        self.heads = tuple(f[:len(f) // 2] for f in fuzzy)
        self.tails = tuple(f[len(f) // 2 + 1:] for f in fuzzy)

    def which_lower(self, words: set[str]) -> set[str]:
        """The matching words among these distinct lower-case words."""
        affixed, stem_of, starts = self.affixed, _STEMS, self.starts
        found = words & self.exact
        if affixed:
            found.update(w for w in words if stem_of[w] in affixed)
        if starts:
            found.update(w for w in words if w.startswith(starts))
        if self.heads:
            heads, tails = self.heads, self.tails
            found.update(w for w in words if (w.startswith(heads) or w.endswith(tails))
                         and any(_one_off(w, f) for f in self.fuzzy))
        return found

    def matches(self, token: str) -> bool:
        return bool(self.which([token]))

    def which(self, tokens: list[str]) -> set[str]:
        """The matching tokens, in any case."""
        lowered = [(t, t.lower()) for t in tokens]
        hits = self.which_lower({low for _t, low in lowered})
        return {t for t, low in lowered if low in hits}


def _needles(parsed: Query) -> list[str] | None:
    """Pieces of text that every matching word holds one of (see above); None when one is too
    short to be worth looking for."""
    needles: set[str] = set()
    for clause in parsed.positive():
        needles.update(clause.words)
        if clause.kind == "word":
            word = clause.words[0]
            if is_dictionary_word(word):  # else it is its own stem, and no other word's (a name)
                needles.add(stem(word)[1:])
            if _fuzzy(word):
                needles.update((word[:len(word) // 2], word[len(word) // 2:]))
    needles = {n for n in needles if n.isalnum() or not n}  # one with a space is inside no word
    if any(len(n) < MIN_NEEDLE for n in needles):
        return None
    return sorted(n for n in needles if not any(m != n and m in n for m in needles))  # the shortest do


class Marker:
    """Snippets for one query over many pages. Whether a word matches is decided once per
    distinct word (`matches` is slow: stems, prefixes, fuzzy names), and only for the words that
    hold a needle; the others cannot match."""

    def __init__(self, parsed: Query, mark: tuple[str, str]):
        self.parsed, self.mark, self.matcher = parsed, mark, _Matcher(parsed)
        self.matches = self.matcher.matches
        self.keys = {number_key(c.raw) for c in parsed.positive() if c.kind == "number"}
        self.needles = _needles(parsed)
        self.memo: dict[str, bool] = {}

    def other_forms(self, most: int = 6) -> dict[str, list[str]]:
        """For each word typed, the other forms of it (the same stem) the snippets marked so far:
        what the stem reached, to be shown, not hidden."""
        found: dict[str, list[str]] = {}
        marked = {token.lower() for token, hit in self.memo.items() if hit}
        for word in (c.words[0] for c in self.parsed.positive() if c.kind == "word"):
            forms = sorted(w for w in marked if w != word and w.isalpha() and stem(w) == stem(word))
            if forms:
                found[word] = forms[:most]
        return found

    def snippets(self, texts: list[str]) -> list[str]:
        spans = self._by_needles(texts) if self.needles is not None else None
        if spans is None:
            spans = self._by_words(texts)
        return [self._snippet(text, self._numbers(text, s)) for text, s in zip(texts, spans, strict=True)]

    def _by_words(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """Each text's matching words, every distinct word of them decided. Pages of ASCII only
        (nearly all) are read lower-cased, each word decided once whatever its case, with str and
        set operations instead of a loop of ours over the words; the others token by token."""
        lowered = [text.lower().translate(_UNDERSCORE) if ASCII_QUICK and text.isascii() else None for text in texts]
        quick = [low for low in lowered if low is not None]
        found_lower = self._found_lower(set(" ".join(quick).translate(_ASCII_SEPARATORS).split()))
        found = self._found([text for text, low in zip(texts, lowered, strict=True) if low is None])
        return [self._spans(text, found) if low is None else self._lower_spans(low, found_lower)
                for text, low in zip(texts, lowered, strict=True)]

    def _found_lower(self, distinct: set[str]) -> set[str]:
        """The matching words among these distinct lower-case ASCII words."""
        hits = self.matcher.which_lower(distinct)
        self.memo.update(dict.fromkeys(hits, True))  # what `other_forms` tells
        return hits

    @staticmethod
    def _lower_spans(low: str, found: set[str]) -> list[tuple[int, int]]:
        """Where the words of `found` stand in a lower-cased ASCII text (its underscores made
        spaces, so that a word is a run of letters and digits, as TOKEN's)."""
        if not found:
            return []
        if len(found) > FEW_FOUND:
            return [m.span() for m in _ASCII_TOKEN.finditer(low) if m.group() in found]
        # the word and the end of it, found as literals; its start is checked here
        return [m.span() for m in _ascii_words_pattern(frozenset(found)).finditer(low)
                if not m.start() or not low[m.start() - 1].isalnum()]

    def _by_needles(self, texts: list[str]) -> list[list[tuple[int, int]]] | None:
        """Each text's matching words (start, end), found from the needles; None when that would
        be slower than deciding every word."""
        assert self.needles is not None  # only with needles (`snippets`)
        lowered = [text.lower() for text in texts]
        if sum(map("\n".join(lowered).count, self.needles)) > NEEDLE_BUDGET * len(texts):
            return None
        return [self._page_spans(text, low) for text, low in zip(texts, lowered, strict=True)]

    def _page_spans(self, text: str, low: str) -> list[tuple[int, int]]:
        if not text.isascii():
            return self._other_page_spans(text, low)
        assert self.needles is not None  # only with needles (`_by_needles`)
        spans, find, length, memo = set(), low.find, len(text), self.memo
        for needle in self.needles:
            at = find(needle)
            while at >= 0:  # the word around it: letters and digits either side
                start, end = at, at + len(needle)
                while start and text[start - 1].isalnum():
                    start -= 1
                while end < length and text[end].isalnum():
                    end += 1
                token = text[start:end]
                hit = memo.get(token)
                if hit is None:
                    hit = memo[token] = self.matches(token)
                if hit:
                    spans.add((start, end))
                at = find(needle, end)
        return sorted(spans)

    def _other_page_spans(self, text: str, low: str) -> list[tuple[int, int]]:
        """A page with letters beyond ASCII: Sastrawi reads the words that have them otherwise, so
        each of those is decided, and the others from the needles."""
        others = [m.start() for m in _OTHER_LETTER.finditer(text)]
        if len(low) != len(text) or len(others) > MAX_OTHER_LETTERS:  # İ: its lower case is longer
            return self._spans(text, self._found([text]))
        spans: set[tuple[int, int]] = set()
        assert self.needles is not None  # only with needles (`_by_needles`)
        for needle in self.needles:
            at = low.find(needle)
            while at >= 0:
                at = low.find(needle, max(self._decide(text, at, spans), at + 1))
        end = 0
        for at in others:
            if at >= end:
                end = self._decide(text, at, spans)
        return sorted(spans)

    def _decide(self, text: str, at: int, spans: set[tuple[int, int]]) -> int:
        """Whether the word of `text` at `at` matches (then it joins `spans`); where it ends."""
        run = _RUN.match(text, at)
        assert run is not None  # `*`: it matches the empty run too
        start, end = at, run.end()
        while start and text[start - 1].isalnum():
            start -= 1
        token = text[start:end]
        hit = self.memo.get(token)
        if hit is None:
            hit = self.memo[token] = self.matches(token)
        if hit:
            spans.add((start, end))
        return end

    def _found(self, texts: list[str]) -> set[str]:
        """The distinct words of the texts that match."""
        memo = self.memo
        distinct = set(TOKEN.findall("\n".join(texts)))
        new = [t for t in distinct if t not in memo]
        hits = self.matcher.which(new)
        memo.update((t, t in hits) for t in new)
        return {t for t in distinct if memo[t]}

    def _spans(self, text: str, found: set[str]) -> list[tuple[int, int]]:
        """Where the text's tokens that are among `found` are: one pass over the text (`found`
        holds the matching words of all the pages, thousands for a prefix such as `ber*`); a
        few words are looked for as such (the regular expression engine's loop, not ours)."""
        if not found:
            return []
        if len(found) <= FEW_FOUND:
            return [m.span() for m in _words_pattern(frozenset(found)).finditer(text)]
        return [m.span() for m in TOKEN.finditer(text) if m.group() in found]

    def _numbers(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`spans` and the document numbers of `text` the query names."""
        if not self.keys:
            return spans
        spans = spans + [m.span() for m in _CHUNK.finditer(text) if number_key(m.group().strip(".:-/")) in self.keys]
        return sorted(set(spans), key=lambda s: (s[0], -s[1]))

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


FEW_FOUND = 64  # matching words, up to which they are looked for by one regular expression
#: Pages of ASCII only are read lower-cased with str and set operations (`Marker._by_words`).
ASCII_QUICK = True
_UNDERSCORE = str.maketrans("_", " ")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=256)
def _ascii_words_pattern(found: frozenset[str]) -> re.Pattern:
    """These lower-case ASCII words, each ending where a word ends (where it begins: the caller's)."""
    return re.compile(rf"(?:{'|'.join(map(re.escape, sorted(found, key=len, reverse=True)))})\b", re.ASCII)


@functools.lru_cache(maxsize=256)
def _words_pattern(found: frozenset[str]) -> re.Pattern:
    """These words as whole tokens (a token is a longest run of letters and digits, as TOKEN's)."""
    alternatives = "|".join(map(re.escape, sorted(found, key=len, reverse=True)))
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")


def _densest(spans: list[tuple[int, int]]) -> int:
    """The index of the span that begins the window of WIDTH*0.7 characters with most matches."""
    best, count, j, n, reach = 0, 0, 0, len(spans), WIDTH * 0.7
    for i, (s, _e) in enumerate(spans):
        if j < i:
            j = i
        while j < n and spans[j][1] - s <= reach:
            j += 1
        if j - i > count:
            best, count = i, j - i
    return best


def snippet(text: str, parsed: Query, mark: tuple[str, str]) -> str:
    """One page's snippet (`Marker` does many pages of one query at once)."""
    return Marker(parsed, mark).snippets([text])[0]
