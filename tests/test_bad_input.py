"""Bad input: a one-line error on stderr, a non-zero exit, nothing filed, nothing half-written."""

import dataclasses
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from pathlib import Path

import pikepdf
import pytest
from helpers import batches
from PIL import Image

from scan_station.core.errors import ExitCode

DEFAULT_PILLOW_LIMIT = Image.MAX_IMAGE_PIXELS


def assert_refused(result, home: Path, *words: str, code: int = ExitCode.input_file):
    assert result.code == code, (result.code, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    storage = home / "storage"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*")), "something was filed"


def test_corrupt_pdf(run, home, tmp_path):
    good = batches.write_pdf([batches.content("Halaman")], tmp_path / "good.pdf").read_bytes()
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(good[:300])
    assert_refused(run("ingest", bad, "--json"), home, "truncated.pdf")


def test_garbage_named_pdf(run, home, tmp_path):
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"this is not a pdf at all\n" * 20)
    assert_refused(run("ingest", bad, "--json"), home, "scan.pdf", "not a PDF")


def test_encrypted_pdf(run, home, tmp_path):
    src = batches.write_pdf([batches.content("Rahasia")], tmp_path / "plain.pdf")
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(src) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="rahasia", owner="pemilik"))
    assert_refused(run("ingest", locked, "--json"), home, "locked.pdf", "password-protected")


def test_zero_page_pdf(run, home, tmp_path):
    empty = tmp_path / "empty.pdf"
    pikepdf.new().save(empty)
    assert_refused(run("ingest", empty, "--json"), home, "no pages")


def test_zero_byte_file(run, home, tmp_path):
    empty = tmp_path / "nothing.pdf"
    empty.touch()
    assert_refused(run("ingest", empty, "--json"), home, "empty")


def test_non_image_file_in_folder(run, home, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    batches.content("Halaman").save(folder / "page-001.png", dpi=(300, 300))
    (folder / "notes.txt").write_text("catatan")
    assert_refused(run("ingest", folder, "--json"), home, "notes.txt", "not a page image")


def test_file_that_claims_to_be_an_image(run, home, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "page-001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50)
    result = run("ingest", folder, "--json")
    assert_refused(result, home, "page-001.png")


def test_image_that_is_not_a_page(run, home, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    Image.new("L", (64, 64), 255).save(folder / "icon.png")
    assert_refused(run("ingest", folder, "--json"), home, "icon.png", "too small to be a scanned page")


def test_strip_that_is_not_a_page(run, home, tmp_path):
    strip = tmp_path / "strip.png"
    Image.new("L", (6000, 300), 255).save(strip, dpi=(300, 300))
    assert_refused(run("ingest", strip, "--json"), home, "strip.png", "not the size of a scanned page")


def _png_bomb(path: Path, side: int) -> None:
    """A valid grey PNG of side × side pixels, all white, that compresses to almost nothing."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * side
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_decompression_bomb(run, home, tmp_path):
    bomb = tmp_path / "bomb.png"
    _png_bomb(bomb, 20000)  # 400 megapixels in about 400 kB
    assert bomb.stat().st_size < 1_000_000
    assert_refused(run("ingest", bomb, "--json"), home, "bomb.png")


def test_decompression_bomb_inside_a_pdf(run, home, tmp_path):
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 20000 * 100))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 20000, 20000, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    pdf.save(tmp_path / "bomb.pdf")
    assert_refused(run("ingest", tmp_path / "bomb.pdf", "--json"), home, "bomb.pdf", "megapixels")


def test_missing_path(run, home, tmp_path):
    assert_refused(run("ingest", tmp_path / "nowhere", "--json"), home, "no such file")


def test_empty_folder(run, home, tmp_path):
    (tmp_path / "empty").mkdir()
    assert_refused(run("ingest", tmp_path / "empty", "--json"), home, "no page images")


@pytest.mark.needs_root
def test_unreadable_folder(tmp_path):
    """Root reads everything, so the command runs as `nobody` on a folder only root may read."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the command as another user")
    base = Path(tempfile.mkdtemp(prefix="scan-station-unreadable-"))
    try:
        base.chmod(0o755)
        home = base / "home"
        home.mkdir()
        home.chmod(0o777)
        locked = base / "locked"
        locked.mkdir()
        batches.content("Halaman").save(locked / "page-001.png", dpi=(300, 300))
        locked.chmod(0o700)
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             sys.executable, "-m", "scan_station", "--home", str(home), "ingest", str(locked), "--json"],
            capture_output=True, text=True, env={**os.environ, "HOME": str(home)}, timeout=120,
        )
        assert done.returncode == ExitCode.input_file, done.stderr
        assert done.stdout == ""
        assert "permission denied" in done.stderr.lower()
        assert len(done.stderr.strip().splitlines()) == 1
    finally:
        shutil.rmtree(base)


# -- one decompression-bomb guard, wherever the image is ----------------------------------------------


def _gray_image(pdf: pikepdf.Pdf, width, height) -> pikepdf.Stream:
    image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 1000))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    return image


def _inline_bomb_pdf(path: Path) -> Path:
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    data = zlib.compress(b"\x00" * 1000)
    page.Contents = pdf.make_stream(
        b"q 595 0 0 842 0 0 cm BI /W 50000 /H 50000 /BPC 8 /CS /G /F /Fl ID " + data + b" EI Q"
    )
    pdf.save(path)
    return path


def test_a_huge_inline_image_in_a_tiny_pdf_is_a_bomb(run, home, tmp_path):
    bomb = _inline_bomb_pdf(tmp_path / "inline.pdf")
    assert bomb.stat().st_size < 2000
    assert_refused(run("ingest", bomb, "--json"), home, "inline.pdf", "50000 × 50000", "max_image_megapixels")


def test_the_inline_bomb_is_refused_quickly_and_with_little_memory(tmp_path):
    """In a child process of its own, which reports the peak memory of its own address space.

    (rusage's ru_maxrss would carry over the size of the pytest process that forked it.)
    """
    bomb = _inline_bomb_pdf(tmp_path / "inline.pdf")
    code = (
        "import sys, re; from pathlib import Path; from scan_station.core.config import load_settings;"
        "from scan_station.pages.batch_input import read_batch;"
        "from scan_station.core.errors import DecompressionBombError\n"
        "def peak(): return int(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1])\n"
        f"try: read_batch(Path({str(bomb)!r}), Path({str(tmp_path / 'work')!r}),"
        f" load_settings({str(tmp_path / 'h')!r}))\n"
        "except DecompressionBombError: print(peak()); sys.exit(0)\nsys.exit(1)"
    )
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert time.monotonic() - started < 30
    peak_kb = int(child.stdout.split()[-1])
    assert peak_kb < 300_000, f"{peak_kb} kB"  # the image itself would be 2.5 GB


def _page_with(pdf: pikepdf.Pdf, **resources) -> pikepdf.Page:
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(**resources)
    return page


def _form(pdf: pikepdf.Pdf, content: bytes, **resources) -> pikepdf.Stream:
    form = pdf.make_stream(content)
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = [0, 0, 595, 842]
    form.Resources = pikepdf.Dictionary(**resources)
    return form


def _bomb_in_a_form(pdf: pikepdf.Pdf) -> None:
    form = _form(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q", XObject=pikepdf.Dictionary(Im0=_gray_image(pdf, 20000, 20000)))
    page = _page_with(pdf, XObject=pikepdf.Dictionary(Fm0=form))
    page.Contents = pdf.make_stream(b"/Fm0 Do")


def _bomb_in_an_annotation(pdf: pikepdf.Pdf) -> None:
    appearance = _form(
        pdf, b"q 100 0 0 100 0 0 cm /Im0 Do Q", XObject=pikepdf.Dictionary(Im0=_gray_image(pdf, 30000, 30000))
    )
    page = _page_with(pdf)
    page.Annots = pdf.make_indirect(
        [
            pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Stamp,
                    Rect=[0, 0, 100, 100],
                    AP=pikepdf.Dictionary(N=appearance),
                )
            )
        ]
    )


def _inline_bomb_in_a_form(pdf: pikepdf.Pdf) -> None:
    form = _form(pdf, b"q 10 0 0 10 0 0 cm BI /W 40000 /H 40000 /BPC 1 /CS /G ID \x00 EI Q")
    page = _page_with(pdf, XObject=pikepdf.Dictionary(Fm0=form))
    page.Contents = pdf.make_stream(b"/Fm0 Do")


@pytest.mark.parametrize(
    "build",
    [_bomb_in_a_form, _bomb_in_an_annotation, _inline_bomb_in_a_form],
    ids=["form-xobject", "annotation-appearance", "inline-in-form"],
)
def test_a_bomb_hidden_outside_the_page_resources_is_refused(run, home, tmp_path, build):
    pdf = pikepdf.new()
    build(pdf)
    pdf.save(tmp_path / "hidden.pdf")
    assert_refused(run("ingest", tmp_path / "hidden.pdf", "--json"), home, "hidden.pdf", "max_image_megapixels")


@pytest.mark.parametrize("width", [pikepdf.Name("/Lebar"), pikepdf.String("2480"), -5, 0])
def test_an_image_size_that_is_no_number_is_a_damaged_pdf(run, home, tmp_path, width):
    pdf = pikepdf.new()
    page = _page_with(pdf, XObject=pikepdf.Dictionary(Im0=_gray_image(pdf, width, 3508)))
    page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    pdf.save(tmp_path / "odd.pdf")
    assert_refused(run("ingest", tmp_path / "odd.pdf", "--json"), home, "odd.pdf", "damaged")


def test_an_inline_image_size_that_is_no_number_is_a_damaged_pdf(run, home, tmp_path):
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Contents = pdf.make_stream(b"q 10 0 0 10 0 0 cm BI /W /Lebar /H (x) /BPC 8 /CS /G ID \x00 EI Q")
    pdf.save(tmp_path / "odd.pdf")
    assert_refused(run("ingest", tmp_path / "odd.pdf", "--json"), home, "odd.pdf", "damaged")


def _white_png(path: Path, width: int, height: int, dpi: int) -> Path:
    """A grey PNG of width × height white pixels, written row by row (little memory, small file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    per_metre = round(dpi / 0.0254)
    phys = struct.pack(">IIB", per_metre, per_metre, 1)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"pHYs", phys)
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )
    return path


def test_a_genuine_100_megapixel_page_follows_the_setting_not_pillows_default(tmp_path):
    from scan_station.core.config import load_settings
    from scan_station.core.errors import DecompressionBombError
    from scan_station.pages.batch_input import read_batch

    page = _white_png(tmp_path / "a3-600dpi.png", 8500, 12000, 600)  # 102 MP, 360 × 508 mm
    generous = load_settings(tmp_path / "h1", max_image_megapixels=150)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even Pillow's warning
        batch = read_batch(page, tmp_path / "work", generous)
    assert batch.page_count == 1
    with pikepdf.open(batch.pdf) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert (image.Width, image.Height) == (8500, 12000)
    strict = load_settings(tmp_path / "h2", max_image_megapixels=50)
    with pytest.raises(DecompressionBombError, match=r"102 MP\)? is larger than max_image_megapixels = 50"):
        read_batch(page, tmp_path / "work2", strict)
    below = load_settings(tmp_path / "h3", max_image_megapixels=80)
    with pytest.raises(
        DecompressionBombError, match=r"8500 × 12000 pixels \(102 MP\) is larger than max_image_megapixels = 80"
    ):
        read_batch(page, tmp_path / "work3", below)
    assert Image.MAX_IMAGE_PIXELS == DEFAULT_PILLOW_LIMIT  # put back after the read


def test_a_139_megapixel_tiff_frame_is_taken_when_the_setting_allows(tmp_path):
    from scan_station.core.config import load_settings
    from scan_station.pages.batch_input import read_batch

    tiff = tmp_path / "scan.tif"
    small = Image.new("1", (2480, 3508), 1)
    big = Image.new("1", (9800, 14200), 1)  # 139 MP, 415 × 601 mm at 600 dpi
    small.save(tiff, save_all=True, append_images=[big, small], dpi=(600, 600), compression="group4")
    del big
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even Pillow's warning for the second frame
        batch = read_batch(tiff, tmp_path / "work", load_settings(tmp_path / "h", max_image_megapixels=150))
    assert batch.page_count == 3


def test_a_pillow_sized_bomb_is_refused_with_our_message(run, home, tmp_path):
    bomb = tmp_path / "bomb.png"
    _png_bomb(bomb, 20000)  # 400 MP: more than twice the limit, so Pillow itself refuses to open it
    result = run("ingest", bomb, "--json")
    assert_refused(result, home, "bomb.png", "400 MP", "max_image_megapixels = 150")


# -- files that are not regular files ------------------------------------------------------------


@pytest.fixture
def no_hang():
    """Fail instead of hanging for ever (opening a named pipe blocks until a writer comes)."""

    def timeout(*_):
        raise TimeoutError("blocked on a named pipe")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_named_pipe_is_refused_without_opening_it(run, home, tmp_path, no_hang):
    fifo = tmp_path / "scan.pdf"
    os.mkfifo(fifo)
    assert_refused(run("ingest", fifo, "--json"), home, "scan.pdf", "not a regular file", "named pipe")


def test_a_named_pipe_in_a_batch_folder_is_refused(run, home, tmp_path, no_hang):
    folder = tmp_path / "batch"
    folder.mkdir()
    batches.content("Halaman").save(folder / "page-001.png", dpi=(300, 300))
    os.mkfifo(folder / "page-002.png")
    assert_refused(run("ingest", folder, "--json"), home, "page-002.png", "named pipe")


def test_a_device_is_refused(run, home):
    assert_refused(run("ingest", "/dev/zero", "--json"), home, "/dev/zero", "not a regular file", "device")


def test_a_subfolder_or_broken_link_in_a_batch_folder_is_refused(run, home, tmp_path):
    folder = tmp_path / "batch"
    (folder / "lagi").mkdir(parents=True)
    batches.content("Halaman").save(folder / "page-001.png", dpi=(300, 300))
    assert_refused(run("ingest", folder, "--json"), home, "lagi", "folder")
    (folder / "lagi").rmdir()
    (folder / "page-002.png").symlink_to(tmp_path / "gone.png")
    assert_refused(run("ingest", folder, "--json"), home, "page-002.png", "no such file")


def test_a_link_to_a_regular_file_is_fine(tmp_path):
    from scan_station.core.config import load_settings
    from scan_station.pages.batch_input import read_batch

    target = batches.write_pdf([batches.content("Halaman")], tmp_path / "real.pdf")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    folder = tmp_path / "batch"
    folder.mkdir()
    batches.content("Halaman").save(tmp_path / "page.png", dpi=(300, 300))
    (folder / "page-001.png").symlink_to(tmp_path / "page.png")
    settings = load_settings(tmp_path / "h")
    assert read_batch(link, tmp_path / "w1", settings).page_count == 1
    assert read_batch(folder, tmp_path / "w2", settings).page_count == 1


def test_the_ocr_step_gets_the_same_limit(run, home, tmp_path, monkeypatch):
    """Without running tesseract: each page's OCR job carries the setting, and the page's pixels
    are refused by it before they are decoded."""
    from scan_station.core.errors import DecompressionBombError, OcrError
    from scan_station.ocr import pool as ocr_pool
    from scan_station.ocr.page import ocr_page

    home.mkdir(parents=True)
    (home / "scan-station.toml").write_text("max_image_megapixels = 123\n")
    entry_id = run("register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala", "--json").json[
        "id"
    ]
    jobs = []

    def page(_pool, job):
        jobs.append(job)
        raise OcrError("stopped by the test")

    monkeypatch.setattr(ocr_pool.OcrPool, "page", page)
    batch = batches.write_pdf([batches.cover(entry_id), batches.content("Halaman")], tmp_path / "b.pdf")
    run("ingest", batch, "--quiet")
    assert [job.max_image_mpixels for job in jobs] == [123]

    small = dataclasses.replace(jobs[0], max_image_mpixels=1, folder=tmp_path / "results")
    with pytest.raises(DecompressionBombError, match="max_image_megapixels = 1"):
        ocr_page(small)
    assert not (tmp_path / "results").exists()  # refused before anything was made
