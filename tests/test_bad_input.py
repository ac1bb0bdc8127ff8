"""Bad input: a one-line error on stderr, a non-zero exit, nothing filed, nothing half-written."""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

import batches
from scan_station.errors import ExitCode


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
