"""Small pictures of filed pages for search results, rendered once (pypdfium2) and kept on disk.

The cache is `<index_dir>/thumbnails/<sha256 of the PDF>-<page>.png`: a stored file never
changes, so a picture never goes stale; deleting the folder only costs rendering again.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core import storage

WIDTH = 160  # pixels


def thumbnail(pdf: Path, sha256: str, page: int, cache: Path) -> Path:
    """The PNG of page `page` (1-based) of `pdf`, rendered if not cached yet."""
    import pypdfium2 as pdfium

    target = cache / f"{sha256}-{page}.png"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(pdf))
    try:
        sheet = document[page - 1]
        width, height = sheet.get_size()
        scale = min(WIDTH / max(1.0, width), WIDTH * 4 / max(1.0, height))  # a ribbon of a page stays small
        image = sheet.render(scale=scale, grayscale=True).to_pil()
    finally:
        document.close()
    temporary = cache / f"{storage.TMP_PREFIX}{os.getpid()}-{target.name}"
    image.save(temporary, format="PNG", optimize=True)
    temporary.replace(target)
    return target
