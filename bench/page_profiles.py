"""Stored size by kind of page, and what compression does to OCR (for bench_ingest.py).

Pages of each profile, made by the tests' office generator at 300 dpi A4: text on white office
paper and on light toner (black and white), text with a photo (grey), text with a red stamp and
a colour photo (colour), and text on grey recycled paper with heavy sensor noise (noisy). For each:
the raw master as the kiosk writes it (PNG, as scanned), and the access copy as filing stores it
(`scan_station.pages.images.encode`, the function the pipeline calls). Then the character error
rate of tesseract on the lossless page and on the stored page, against the printed text.
"""

from __future__ import annotations

import functools
import io
import random
import statistics
import sys
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers import office  # noqa: E402  (the tests' generator)
from helpers.ocr_quality import cer, tesseract_text  # noqa: E402

from scan_station.ocr.assemble import image_stream  # noqa: E402
from scan_station.pages import samples  # noqa: E402
from scan_station.pages.images import encode  # noqa: E402


def _photo(width: int, height: int, *, colour: bool = False) -> Image.Image:
    rng = np.random.default_rng(width)
    x, y = np.linspace(0, 1, width)[None, :], np.linspace(0, 1, height)[:, None]
    channels = [128 + 90 * np.sin(6 * x + 3 * y + k) * np.cos(4 * y - k) + rng.normal(0, 12, (height, width))
                for k in ((0, 1, 2) if colour else (0,))]
    pixels = np.clip(np.stack(channels, axis=-1) if colour else channels[0], 0, 255).astype("uint8")
    return Image.fromarray(pixels)


def _printed(seed: int) -> tuple[Image.Image, str]:
    paragraphs = random.Random(seed).sample(samples.PARAGRAPHS, k=4)
    title = f"Laporan Kegiatan {seed}"
    return samples.text_page(title, paragraphs, page_no=1, dpi=300), "\n".join([title, *paragraphs, "Halaman 1"])


def _noisy(page: Image.Image, seed: int) -> Image.Image:
    pixels = np.asarray(page, dtype=np.float64) + np.random.default_rng(seed).normal(0, 14, (page.height, page.width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))


@functools.cache  # made once for the sizes and the PNG levels both; nobody changes them
def profile_pages(per_profile: int = 3) -> dict[str, list[tuple[Image.Image, str | None]]]:
    """Profile name -> [(scanned page, printed text or None)]."""
    profiles: dict[str, list[tuple[Image.Image, str | None]]] = {"text B/W": [], "grey": [], "colour": [], "noisy": []}
    for n in range(per_profile):
        printed, truth = _printed(n)
        back = office.text_print("Halaman lain", dpi=300, seed=n + 50)
        paper = (office.OFFICE, office.LIGHT_TONER, office.THIN_PAPER)[n % 3]
        profiles["text B/W"].append((office.scan(printed, back, paper, dpi=300, seed=n), truth))
        with_photo = printed.convert("L")
        with_photo.paste(_photo(1200, 800), (300, 1400))
        profiles["grey"].append((office.scan(with_photo, None, office.OFFICE, dpi=300, seed=n), None))
        coloured = office.scan(printed, back, office.OFFICE, dpi=300, seed=n).convert("RGB")
        coloured.paste(_photo(900, 600, colour=True), (300, 1500))
        ImageDraw.Draw(coloured).ellipse((1500, 2800, 1850, 3150), outline=(200, 30, 40), width=18)
        profiles["colour"].append((coloured, None))
        noisy = _noisy(office.scan(printed, back, office.GREY_RECYCLED, dpi=300, seed=n), n)
        profiles["noisy"].append((noisy, truth))
    return profiles


def _stored(page: Image.Image) -> tuple[int, int, str, Image.Image]:
    """(raw master bytes, access copy bytes, kind chosen, the stored page decoded)."""
    master = io.BytesIO()
    page.save(master, "PNG", compress_level=1)  # as the kiosk's scanning thread writes a page
    stored = encode(page, compact=True)
    with pikepdf.new() as pdf:
        decoded = pikepdf.PdfImage(image_stream(pdf, stored)).as_pil_image()
    return master.tell(), len(stored.data), str(stored.kind), decoded


def measure(work: Path, per_profile: int = 3) -> dict:
    """KB per page of master and access copy by profile, and CER lossless vs stored."""
    figures: dict = {"sizes": {}, "cer": {}}
    lossless_cer, stored_cer = [], []
    for name, pages in profile_pages(per_profile).items():
        masters, copies, kinds = [], [], []
        for n, (page, truth) in enumerate(pages):
            master, copy, kind, stored = _stored(page)
            masters.append(master)
            copies.append(copy)
            kinds.append(kind)
            if truth is not None:
                lossless_cer.append(cer(tesseract_text(page, work, name=f"{n}-lossless"), truth))
                stored_cer.append(cer(tesseract_text(stored.convert(page.mode), work, name=f"{n}-stored"), truth))
        figures["sizes"][name] = {"master_kb_per_page": round(statistics.mean(masters) / 1024),
                                  "access_kb_per_page": round(statistics.mean(copies) / 1024, 1),
                                  "stored_as": sorted(set(kinds))}
    figures["cer"] = {"pages": len(lossless_cer), "lossless_percent": round(statistics.mean(lossless_cer), 2),
                      "stored_percent": round(statistics.mean(stored_cer), 2),
                      "worst_page_difference_points": round(max(s - c for s, c in zip(stored_cer, lossless_cer,
                                                                                       strict=True)), 2)}
    return figures


def png_levels(levels: tuple[int, ...] = (1, 3, 6, 9), *, per_profile: int = 2) -> dict:
    """The raw master's PNG compression: seconds to write a page and KB it takes, by zlib level,
    over the grey and noisy profile pages (the kiosk's writer thread must keep up with the feeder:
    a sheet-fed scanner delivers one or two pages a second)."""
    import time

    pages = [page for name in ("text B/W", "noisy") for page, _truth in profile_pages(per_profile)[name]]
    figures = {}
    for level in levels:
        seconds, sizes = [], []
        for page in pages:
            out = io.BytesIO()
            started = time.perf_counter()
            page.save(out, "PNG", compress_level=level)
            seconds.append(time.perf_counter() - started)
            sizes.append(out.tell())
        figures[f"level_{level}"] = {"seconds_per_page": round(statistics.mean(seconds), 3),
                                     "kb_per_page": round(statistics.mean(sizes) / 1024)}
    return figures
