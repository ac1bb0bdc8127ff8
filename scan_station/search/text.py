"""The words of a text as the search index holds them: tokens, Indonesian stems, document numbers.

- Tokens are runs of letters and digits, lower-cased: the same split as tantivy's `default`
  tokenizer, so that terms we build match the terms it indexed.
- Stems are Sastrawi's (dictionary-based Nazief–Adriani), cached per distinct word: an archive
  has a few tens of thousands of distinct words, so after the first pages nearly every word is a
  dictionary look-up, not a stemming (Sastrawi alone manages ~950 pages/s).
- Document numbers (`19/PP.07-SOP/HM/I/2025`) are kept a second time in a normalised form, so
  that OCR's usual misreadings and other punctuation still find them (`number_key`).
"""

from __future__ import annotations

import functools
import re

TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
#: A run of non-space characters that may be a document number (trimmed of surrounding punctuation).
_CHUNK = re.compile(r"[^\s\"'()\[\]{}<>,;]+")
_SEPARATORS = frozenset(" \t\n\r\f\v\"'()[]{}<>,;")
_DIGIT, _CHUNK_END = re.compile(r"\d"), re.compile(r"[\s\"'()\[\]{}<>,;]")
_NUMBER_MARKS = set("/.-")
#: What tesseract confuses in a number, both ways (a key holds the digit whichever was printed or read).
_MISREAD = str.maketrans({"o": "0", "i": "1", "l": "1", "s": "5", "b": "8", "z": "2", "g": "6"})
_MAX_CACHED = 500_000


class _StemCache(dict):
    """word -> stem, stemming a word the first time it is asked for (`cache[word]`)."""

    def __missing__(self, word: str) -> str:
        found = _sastrawi().stem(word) or word if word.isalpha() else word
        if len(self) < _MAX_CACHED:
            self[word] = found
        return found


_STEMS = _StemCache()


@functools.cache
def _sastrawi():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().delegatedStemmer  # we cache ourselves, per word


def tokens(value: str) -> list[str]:
    return TOKEN.findall(value.lower())


def stem(word: str) -> str:
    """The stem of one lower-case token (digits and mixed tokens are their own stem)."""
    return _STEMS[word]


def stems(value: str) -> str:
    """The stems of a text's tokens, space-separated, for the index's `stems` fields."""
    return " ".join(map(_STEMS.__getitem__, TOKEN.findall(value.lower())))


def is_dictionary_word(word: str) -> bool:
    """Whether Sastrawi knows the word or its stem: names and misreadings mostly are not."""
    return in_dictionary(word) or in_dictionary(stem(word))


def in_dictionary(word: str) -> bool:
    """Whether the word is in Sastrawi's dictionary. A stem it gives is either in it or the word
    itself (it returns the word when no affixes leave a dictionary word)."""
    return _sastrawi().dictionary.contains(word)


def looks_like_number(chunk: str) -> bool:
    """A chunk such as `19/PP.07-SOP/HM/I/2025` or `PPID-2025-000123`: digits with letters or marks."""
    if len(chunk) < 4 or not any(c.isdigit() for c in chunk):
        return False
    return any(c in _NUMBER_MARKS for c in chunk) or any(c.isalpha() for c in chunk)


def number_key(value: str) -> str:
    """`19/PP.07-SOP/HM/I/2025`, `l9/PP.O7-5OP/HM/1/2O25` and `19 PP 07 SOP HM I 2025` all give
    `19pp0750phm12025`: lower case, the letters tesseract confuses with digits read as those digits
    (o 0, i and l 1, s 5, b 8, z 2, g 6), nothing but letters and digits."""
    return "".join(TOKEN.findall(value.lower())).translate(_MISREAD)


def digit_chunks(value: str) -> list[str]:
    """The chunks of a text that hold a digit: found from the digits outwards, since most words
    have none (a regular expression for the chunks would try every word)."""
    out, at = [], 0
    while (digit := _DIGIT.search(value, at)) is not None:
        start = digit.start()
        while start > at and value[start - 1] not in _SEPARATORS:
            start -= 1
        end = _CHUNK_END.search(value, digit.end())
        at = end.start() if end else len(value)
        out.append(value[start:at])
    return out


def number_keys(value: str) -> str:
    """The keys of every number-like chunk of a text, and of every number printed with spaces
    after "Nomor" or "No." (`spaced_numbers`), space-separated (the `numbers` field)."""
    keys = []
    for chunk in digit_chunks(value):
        chunk = chunk.strip(".:-/")
        if looks_like_number(chunk):
            keys.append(number_key(chunk))
    keys += [number_key(number) for _span, number in spaced_numbers(value)]
    return " ".join(dict.fromkeys(keys))


#: "Nomor" or "No." and what may follow it as a number printed with spaces: pieces that hold a digit,
#: short codes (PP, SOP, HM, IV), "Tahun", and the marks between them.
_NOMOR = re.compile(r"\b(?:nomor|no)\b\.?\s*:?\s*", re.IGNORECASE)
_PIECE = re.compile(r"\s*([^\W_]+)\s*[/.\-]*", re.UNICODE)
_SPACED_WORDS = frozenset({"tahun"})
MAX_SPACED_PIECES = 10


def spaced_numbers(value: str) -> list[tuple[tuple[int, int], str]]:
    """Numbers printed with spaces or words in them after "Nomor"/"No." — `NOMOR 303 TAHUN 2024`,
    `No. 19 / PP.07 - SOP` — each as ((start, end) in `value`, the number's text): its pieces
    while each holds a digit, is a code of at most 4 letters, or is "Tahun"; the last piece holds
    a digit, and the key would be at least 4 characters."""
    found = []
    for start in _NOMOR.finditer(value):
        at, end = start.end(), start.end()
        pieces: list[str] = []
        while len(pieces) < MAX_SPACED_PIECES and (piece := _PIECE.match(value, at)) is not None:
            word = piece.group(1)
            if not (any(c.isdigit() for c in word) or (word.isalpha() and len(word) <= 4)
                    or word.lower() in _SPACED_WORDS):
                break
            pieces.append(word)
            at = piece.end()
            if any(c.isdigit() for c in word):
                end = piece.start(1) + len(word)
        while pieces and not any(c.isdigit() for c in pieces[-1]):
            pieces.pop()
        if pieces and len("".join(pieces)) >= 4 and len(pieces) > 1:
            found.append(((start.start(), end), value[start.end():end]))
    return found
