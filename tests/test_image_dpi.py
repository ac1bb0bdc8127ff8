"""Page images that record no resolution, or a nonsense one: TIFF and PNG files saved without one
read as 1 dpi in Pillow (or nothing). Their pages get `default_image_dpi`, so an A4 scan is an A4
page, not one 63 metres tall."""

from __future__ import annotations

import pikepdf
import pytest
from helpers import batches
from PIL import Image

from scan_station.capture import scanning
from scan_station.capture.batch_folder import BatchFolder
from scan_station.core.config import load_settings, plausible_dpi
from scan_station.pages.batch_input import read_batch

A4_POINTS = (595.3, 841.9)  # 210 × 297 mm
A4_AT_300 = (2480, 3508)


def _page_sizes(pdf_path) -> list[tuple[float, float]]:
    with pikepdf.open(pdf_path) as pdf:
        return [(float(p.mediabox[2]), float(p.mediabox[3])) for p in pdf.pages]


def _is_a4(size: tuple[float, float]) -> bool:
    return all(abs(got - want) < 2 for got, want in zip(size, A4_POINTS, strict=True))


@pytest.mark.parametrize("recorded, expected", [
    ((300, 300), 300), ((299.9994, 299.9994), 299.9994), (600, 600), ((1, 1), None), ((0.9906, 0.9906), None),
    ((72, 72), 72), ((0, 0), None), ((10_000, 10_000), None), ((300, 1), None), (None, None), ((), None),
    ((float("nan"), 300), None), ("300", 300), ("abc", None),
])
def test_a_recorded_resolution_is_believed_only_within_50_to_2400_dpi(recorded, expected):
    assert plausible_dpi(recorded) == expected


def _save(image: Image.Image, path, dpi):
    if dpi is None:
        image.save(path)
    else:
        image.save(path, dpi=dpi)
    return path


@pytest.mark.parametrize("suffix", ["tif", "png", "jpg"])
@pytest.mark.parametrize("dpi", [(1, 1), None, (9600, 9600)], ids=["1dpi", "none", "9600dpi"])
def test_a_page_image_without_a_believable_resolution_is_an_a4_page_at_the_default(tmp_path, suffix, dpi):
    settings = load_settings(tmp_path / "home")
    page = _save(Image.new("L", A4_AT_300, 255), tmp_path / f"page.{suffix}", dpi)
    batch = read_batch(page, tmp_path / "work", settings)
    assert [_is_a4(size) for size in _page_sizes(batch.pdf)] == [True]


def test_a_multi_page_tiff_at_1_dpi_reads_every_frame_at_the_default(tmp_path):
    settings = load_settings(tmp_path / "home", default_image_dpi=150)
    frames = [Image.new("1", (1240, 1754), 1) for _ in range(3)]  # A4 at 150 dpi
    tiff = tmp_path / "scan.tif"
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(1, 1), compression="group4")
    batch = read_batch(tiff, tmp_path / "work", settings)
    assert all(_is_a4(size) for size in _page_sizes(batch.pdf)) and batch.page_count == 3


def test_a_scanned_page_file_without_a_believable_resolution_is_classified_at_the_default(tmp_path):
    settings = load_settings(tmp_path / "home")
    folder = BatchFolder(tmp_path / "B1")
    folder.path.mkdir()
    Image.new("L", A4_AT_300, 255).save(folder.page_path(1), dpi=(1, 1))
    assert scanning._page_image(settings, folder, 1)[1] == 300


@pytest.mark.ocr
@pytest.mark.slow
@pytest.mark.parametrize("dpi", [(1, 1), None], ids=["1dpi", "none"])
def test_a_tiff_batch_without_a_resolution_is_ingested_as_a4_pages(run, home, tmp_path, dpi):
    added = run("register", "add", "--title", "Laporan Tahunan", "--unit", "Umum", "--category", "berkala", "--json")
    entry_id = added.json["id"]
    pages = [batches.cover(entry_id), batches.content("Laporan Tahunan", paragraphs=[
        "Pejabat Pengelola Informasi dan Dokumentasi menyimpan dokumen informasi publik."])]
    tiff = tmp_path / "scan.tif"
    save = {"save_all": True, "append_images": pages[1:], **({"dpi": dpi} if dpi else {})}
    pages[0].save(tiff, **save)
    result = run("ingest", tiff, "--quiet", "--json")
    assert result.code == 0, result.stderr
    (document,) = result.json["documents"]
    assert document["register_id"] == entry_id and document["page_count"] == 1
    assert [_is_a4(size) for size in _page_sizes(home / document["path"])] == [True]
    hits = run("search", "dokumentasi", "--json").json["hits"]  # the OCR read the page at its size
    assert [h["register_id"] for h in hits] == [entry_id]
