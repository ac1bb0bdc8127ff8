"""For the test suite only, as OCRmyPDF's tests cache tesseract: page results kept across tests in
the folder `$SCAN_STATION_TEST_OCR_CACHE`, so that a page made the same way twice in a test
session is read once. Never set in use: there a result is kept with its page already
(`page_ocr.load_result`), and this does nothing.

An entry is keyed by the job's own key (the page file's SHA-256, its turn and the settings that
shape the result), its page number (a page's checks name it) and its decompression-bomb limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Protocol

from ..core import storage
from ..core.errors import StorageError

VARIABLE = "SCAN_STATION_TEST_OCR_CACHE"


class _Job(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def max_image_mpixels(self) -> float: ...
    @property
    def folder(self) -> Path: ...
    @property
    def place(self) -> Path: ...


def _entry(job: _Job) -> Path | None:
    folder = os.environ.get(VARIABLE)
    if not folder:
        return None
    made = json.dumps([job.key, job.number, job.max_image_mpixels])
    return Path(folder) / hashlib.sha256(made.encode()).hexdigest()[:32]


def restore(job: _Job, files: tuple[str, ...]) -> bool:
    """Put the cached result where the job keeps its own; False (and nothing left) if there is
    none, or the job's folder cannot take it — the page is then read as in use."""
    entry = _entry(job)
    if entry is None or not all((entry / name).is_file() for name in files):
        return False
    copied = []
    try:
        job.folder.mkdir(exist_ok=True)  # not its parents, as in use
        job.place.mkdir(exist_ok=True)
        for name in files:
            copied.append(job.place / name)
            storage.replace_file(job.place / name, (entry / name).read_bytes())
    except (OSError, StorageError):
        for path in copied:
            with contextlib.suppress(OSError):
                path.unlink()
        return False
    return True


def keep(job: _Job, files: tuple[str, ...]) -> None:
    """Copy a result just made into the cache (the first child to finish keeps it)."""
    entry = _entry(job)
    if entry is None or entry.exists():
        return
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.partial")
    partial.mkdir(parents=True, exist_ok=True)
    for name in files:
        (partial / name).write_bytes((job.place / name).read_bytes())
    with contextlib.suppress(OSError):  # another child kept it first: theirs is the same
        partial.rename(entry)
