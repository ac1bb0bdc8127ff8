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
_DIGIT_CHUNK = re.compile(r"[^\s\"'()\[\]{}<>,;]*\d[^\s\"'()\[\]{}<>,;]*")
_NUMBER_MARKS = set("/.-")
#: What OCR confuses in numbers: the letter O for zero, l, I and i for one.
_MISREAD = str.maketrans({"o": "0", "i": "1", "l": "1"})
_STEMS: dict[str, str] = {}
_MAX_CACHED = 500_000


@functools.cache
def _sastrawi():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().delegatedStemmer  # we cache ourselves, per word


def tokens(value: str) -> list[str]:
    return TOKEN.findall(value.lower())


def stem(word: str) -> str:
    """The stem of one lower-case token (digits and mixed tokens are their own stem)."""
    cached = _STEMS.get(word)
    if cached is None:
        cached = _sastrawi().stem(word) or word if word.isalpha() else word
        if len(_STEMS) < _MAX_CACHED:
            _STEMS[word] = cached
    return cached


def stems(value: str) -> str:
    """The stems of a text's tokens, space-separated, for the index's `stems` fields."""
    get = _STEMS.get
    out = []
    for word in TOKEN.findall(value.lower()):
        s = get(word)
        out.append(s if s is not None else stem(word))
    return " ".join(out)


def is_dictionary_word(word: str) -> bool:
    """Whether Sastrawi knows the word or its stem: names and misreadings mostly are not."""
    dictionary = _sastrawi().dictionary
    return dictionary.contains(word) or dictionary.contains(stem(word))


def looks_like_number(chunk: str) -> bool:
    """A chunk such as `19/PP.07-SOP/HM/I/2025` or `PPID-2025-000123`: digits with letters or marks."""
    if len(chunk) < 4 or not any(c.isdigit() for c in chunk):
        return False
    return any(c in _NUMBER_MARKS for c in chunk) or any(c.isalpha() for c in chunk)


def number_key(value: str) -> str:
    """`19/PP.07-SOP/HM/I/2025`, `l9/PP.O7-SOP/HM/1/2025` and `19 PP 07 SOP HM I 2025` all give
    `19pp07s0phm12025`: lower case, o read as 0, l/i as 1, nothing but letters and digits."""
    return "".join(TOKEN.findall(value.lower())).translate(_MISREAD)


def number_keys(value: str) -> str:
    """The keys of every number-like chunk of a text, space-separated (the `numbers` field)."""
    keys = []
    for chunk in _DIGIT_CHUNK.findall(value):
        chunk = chunk.strip(".:-/")
        if looks_like_number(chunk):
            keys.append(number_key(chunk))
    return " ".join(dict.fromkeys(keys))
