"""How well a page reads: character error rate (CER) against the text that was printed on it, and
word recall against what tesseract alone reads on it. Used by the OCR tests and bench/bench_ingest.py.

What tesseract alone reads on a page is the yardstick many tests hold the pipeline to. It is kept
in tests/reference-ocr/, one file per page, as OCRmyPDF's tests keep tesseract's output: keyed by
the page's pixels (mode, size, every byte), its dpi, the languages, and the engine (tesseract's
version line with its libraries, and the traineddata files' sizes and SHA-256). A page not found
there is read by tesseract as before and, in the test suite (`SCAN_STATION_KEEP_REFERENCE_OCR`,
set by tests/conftest.py), kept. The pipeline under test never reads from it: only the yardstick.
Delete the folder to have every reference read afresh.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import subprocess
from pathlib import Path

from PIL import Image

REFERENCE_OCR = Path(__file__).resolve().parents[1] / "reference-ocr"
KEEP_VARIABLE = "SCAN_STATION_KEEP_REFERENCE_OCR"
_ENV = {"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"}


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


def tesseract_text(image: Image.Image, folder: Path, *, name: str = "page", languages: str = "ind+eng",
                   dpi: int = 300) -> str:
    """What tesseract alone reads on `image` at `dpi` (kept in tests/reference-ocr/, see above)."""
    kept = REFERENCE_OCR / f"{reference_key(image, languages=languages, dpi=dpi)}.txt"
    if kept.is_file():
        return kept.read_text(encoding="utf-8")
    text = read_alone(image, folder / f"{name}.png", languages=languages, dpi=dpi)
    if os.environ.get(KEEP_VARIABLE):
        REFERENCE_OCR.mkdir(exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(kept)  # whole or not at all; another worker's is the same text
    return text


def read_alone(image: Image.Image, path: Path, *, languages: str = "ind+eng", dpi: int = 300) -> str:
    """Tesseract itself on `image`, saved losslessly at `path` first."""
    image.save(path, dpi=(dpi, dpi), compress_level=1)  # lossless at any level; level 1 is the quick one
    done = subprocess.run(["tesseract", str(path), "-", "-l", languages, "--dpi", str(dpi)], capture_output=True,
                          text=True, check=True, env=_ENV)
    return done.stdout


def reference_key(image: Image.Image, *, languages: str, dpi: int) -> str:
    digest = hashlib.sha256(f"{_engine(languages)}\n{image.mode} {image.size} {dpi}\n".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()[:40]


@functools.cache
def _engine(languages: str) -> str:
    """Tesseract's version line with its libraries, and each language's traineddata by size and hash."""
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=True, env=_ENV)
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=True, env=_ENV)
    folder = Path(re.search(r'"([^"]+)"', listed.stdout + listed.stderr).group(1))
    data = [f"{lang} {(folder / f'{lang}.traineddata').stat().st_size} "
            f"{hashlib.sha256((folder / f'{lang}.traineddata').read_bytes()).hexdigest()}"
            for lang in languages.split("+")]
    return "\n".join([version.stdout + version.stderr, *data])


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
