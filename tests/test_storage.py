"""Storage writes: atomic, never overwriting, and a full disk loses nothing and files nothing."""

from __future__ import annotations

import shutil

import pytest
from helpers import batches
from sqlalchemy import select

from scan_station.core import storage
from scan_station.core.config import load_settings
from scan_station.core.errors import DiskFullError, StorageError
from scan_station.db.database import Batch, Database, Document
from scan_station.filing.ingest import ingest
from scan_station.filing.sources import IngestOptions, IngestSource
from scan_station.register import add_entry


def test_atomic_write_never_overwrites(tmp_path):
    target = tmp_path / "a" / "file.bin"
    storage.atomic_write_bytes(target, b"first")
    with pytest.raises(StorageError, match="never overwrites"):
        storage.atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]  # no temporary left behind


@pytest.mark.needs_root
def test_a_full_disk_mid_write_leaves_no_file(tiny_disk):
    disk = tiny_disk(1024)
    with pytest.raises(DiskFullError, match="is full"):
        storage.atomic_write(disk / "big.bin", (b"\0" * 65536 for _ in range(64)))  # 4 MB into 1 MB
    assert list(disk.iterdir()) == []


@pytest.mark.needs_root
@pytest.mark.ocr
def test_disk_full_at_filing_keeps_the_batch_and_files_nothing(tiny_disk, tmp_path):
    disk = tiny_disk(16 * 1024)
    settings = load_settings(tmp_path / "home", storage_dir=str(disk), ocr_workers=2)
    db = Database(settings)
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Laporan", unit="Umum", category="berkala").id
    batch = batches.write_pdf([batches.cover(entry_id), batches.content("Laporan")], tmp_path / "scan.pdf")

    def fill_disk_after_ocr(event):
        if event.step == "ocr":  # OCR is done: now another program eats the disk
            free = shutil.disk_usage(disk).free
            (disk / "filler").write_bytes(b"\0" * (free - 50_000))

    with pytest.raises(DiskFullError, match="nothing was filed"):
        ingest(IngestSource.batch_file(batch), settings=settings, db=db,
               options=IngestOptions(on_progress=fill_disk_after_ocr))
    with db.session() as s:
        assert s.scalars(select(Document)).all() == []
        (record,) = s.scalars(select(Batch)).all()
        assert record.status == "failed" and "free" in record.error
        kept = disk / record.raw_dir / "scan.pdf"
    assert kept.read_bytes() == batch.read_bytes()  # every scanned page is still there
    pdfs = [p for p in disk.rglob("*.pdf") if "batches" not in p.parts]
    assert pdfs == []


@pytest.mark.needs_root
def test_disk_too_small_for_the_raw_batch_refuses_before_writing(tiny_disk, tmp_path, run, home):
    disk = tiny_disk(512)
    (home).mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text(f'storage_dir = "{disk}"\n')
    entry_id = run("register", "add", "--title", "T", "--unit", "U", "--category", "berkala", "--json").json["id"]
    batch = batches.write_pdf([batches.cover(entry_id), batches.content("Isi")], tmp_path / "scan.pdf")
    result = run("ingest", batch, "--json")
    assert result.code == 5 and result.stdout == ""
    assert "not enough free space" in result.stderr and "nothing was filed" in result.stderr
    assert list(disk.rglob("*.*")) == []
