"""How well a page reads: character error rate (CER) against the text that was printed on it.
Used by tests/test_page_images.py and bench/bench_ingest.py."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from PIL import Image


def levenshtein(a: str, b: str) -> int:
    """Edit distance, bit-parallel (Myers/Hyyrö): one pass over `b` with `a` as a bit vector."""
    if not a or not b:
        return len(a) or len(b)
    masks: dict[str, int] = {}
    for i, c in enumerate(a):
        masks[c] = masks.get(c, 0) | (1 << i)
    full, top = (1 << len(a)) - 1, 1 << (len(a) - 1)
    plus, minus, score = full, 0, len(a)
    for c in b:
        eq = masks.get(c, 0)
        xv = eq | minus
        xh = (((eq & plus) + plus) ^ plus) | eq
        hp, hm = minus | (~(xh | plus) & full), plus & xh
        score += 1 if hp & top else -1 if hm & top else 0
        hp, hm = ((hp << 1) | 1) & full, (hm << 1) & full
        plus, minus = hm | (~(xv | hp) & full), hp & xv
    return score


def normalised(text: str) -> str:
    """Words separated by single spaces: layout (line breaks, columns of spaces) is not an error."""
    return re.sub(r"\s+", " ", text).strip()


def cer(found: str, truth: str) -> float:
    """Character error rate in percent."""
    truth = normalised(truth)
    return 100.0 * levenshtein(normalised(found), truth) / max(1, len(truth))


def tesseract_text(image: Image.Image, folder: Path, *, name: str = "page", languages: str = "ind+eng") -> str:
    """What tesseract alone reads on `image` (saved losslessly first)."""
    path = folder / f"{name}.png"
    image.save(path, dpi=(300, 300), compress_level=1)  # lossless at any level; level 1 is the quick one
    done = subprocess.run(["tesseract", str(path), "-", "-l", languages, "--dpi", "300"], capture_output=True,
                          text=True, check=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})
    return done.stdout


def words(text: str) -> list[str]:
    """The words of a text as search sees them: lower case, without the punctuation around them;
    a word is at least two letters or digits."""
    found = (re.sub(r"^\W+|\W+$", "", w).lower() for w in text.split())
    return [w for w in found if sum(c.isalnum() for c in w) >= 2]


def word_recall(found: str, reference: str) -> float:
    """The share of the reference's words (each as often as it occurs) that `found` holds, 0-1."""
    from collections import Counter

    wanted, have = Counter(words(reference)), Counter(words(found))
    total = sum(wanted.values())
    return sum(min(n, have[w]) for w, n in wanted.items()) / total if total else 1.0
