"""The scanner layer on real libsane: the `test` backend (a feeder with 10 pages, faults through
its read-return-value option) and the `pnm` backend (scans the image file it is given)."""

from __future__ import annotations

import time

import pytest
import sane
from helpers import batches
from PIL import ImageFilter

from scan_station.capture.scanner import FAULTS, ScannerError, Session, fault_for
from scan_station.capture.scanning import scan_pages, start_batch
from scan_station.core.errors import ScanStationError, exit_code_for
from scan_station.core.model import Profile

pytestmark = pytest.mark.scanner

FEEDER = Profile("Uji ADF", "adf", "gray", 75, "max")
STATUSES = {  # the test backend's status -> our fault
    "SANE_STATUS_JAMMED": "jammed", "SANE_STATUS_COVER_OPEN": "cover_open", "SANE_STATUS_IO_ERROR": "io_error",
    "SANE_STATUS_DEVICE_BUSY": "busy", "SANE_STATUS_NO_DOCS": "no_docs", "SANE_STATUS_ACCESS_DENIED": "access_denied",
    "SANE_STATUS_NO_MEM": "no_memory", "SANE_STATUS_CANCELLED": "cancelled",
}


def clear_fault():
    """What a person does after a jam: take the paper out. The test backend keeps an injected
    status across handles in one process, as a real jam stays until it is cleared."""
    set_fault("Default")


def set_fault(status: str) -> None:
    """The next read of SANE's test backend fails with `status` (until cleared)."""
    with sane.open("test:0") as dev:
        dev.read_return_value = status


@pytest.fixture(autouse=True)
def no_fault_left_behind():
    yield
    clear_fault()


def test_discovery_reports_what_each_backend_offers(run):
    result = run("scanners", "--refresh", "--json")
    assert result.code == 0, result.stderr
    found = {s["name"]: s for s in result.json["scanners"]}
    test = found["test:0"]
    assert test["sources"] == ["Flatbed", "Automatic Document Feeder"]
    assert test["modes"] == ["Gray", "Color"]
    assert test["resolutions"] == {"min": 1, "max": 1200, "step": 1}
    assert test["max_area_mm"] == [200.0, 200.0] and test["page_sizes"] == ["max"]  # A4 and A5 are taller
    assert 300 in found["pnm:0"]["resolutions"] and found["pnm:0"]["sources"] == ["Flatbed"]
    assert run("scanners", "--json").json == result.json  # cached


@pytest.mark.parametrize("device, profile, offered", [
    ("test:0", Profile("A4", "adf", "gray", 300, "A4"), "scans at most 200 × 200 mm (max)"),
    ("test:0", Profile("BW", "adf", "lineart", 300, "max"), "it offers: Gray, Color"),
    ("test:0", Profile("Dupleks", "adf-duplex", "gray", 300, "max"), "it offers: Flatbed, Automatic Document Feeder"),
    ("pnm:0", Profile("ADF", "adf", "gray", 300, "max"), "flatbed only"),
    ("pnm:0", Profile("Halus", "flatbed", "gray", 600, "max"), "it offers: 75, 90"),
])
def test_a_profile_the_device_cannot_do_is_refused_naming_what_it_offers(device, profile, offered):
    with pytest.raises(ScanStationError) as info:
        Session(device, profile)
    assert offered in str(info.value)
    assert exit_code_for(info.value) == 2


def test_feeder_batch_until_empty_every_page_on_disk_when_reported(settings, db):
    folder = _feeder_batch(settings, db)
    seen = []

    def on_page(event):
        assert folder.page_path(event.page).is_file()  # written before it is announced
        seen.append((event.page, event.kind))

    classified = scan_pages(settings, folder, on_page=on_page)
    assert folder.read_state().pages == 10 and folder.read_state().status == "scanned"
    assert sorted(p for p, kind in seen if kind is None) == list(range(1, 11))
    assert sorted(classified) == list(range(1, 11))  # classified while scanning


def _feeder_batch(settings, db):
    folder = start_batch(settings, db, device="test:0", profile=None)
    folder.update(profile=FEEDER)
    return folder


def test_a_jam_halfway_keeps_every_page_and_the_batch_resumes(settings, db, run):
    """The test backend's feeder holds ten sheets; the second load jams on its first sheet."""
    folder = _feeder_batch(settings, db)
    scan_pages(settings, folder)  # the first load: ten pages
    set_fault("SANE_STATUS_JAMMED")
    with pytest.raises(ScannerError) as info:
        scan_pages(settings, folder)  # Lanjutkan with the second load: it jams
    assert info.value.fault.kind == "jammed"
    assert "Kertas macet — keluarkan kertas, lalu tekan Lanjutkan" in str(info.value)
    assert "resume" in str(info.value)
    assert sorted(p.name for p in folder.path.glob("page-*.png")) == [f"page-{n:04d}.png" for n in range(1, 11)]
    state = folder.read_state()
    assert state.status == "interrupted" and state.fault.kind == "jammed" and state.pages == 10

    clear_fault()
    result = run("resume", state.batch, "--json")  # the paper is out; the feeder goes on
    assert result.code == 0, result.stderr
    assert result.json["batch"] == state.batch and result.json["pages"] == 20
    assert not folder.path.exists()  # ingested: the pages are in storage now
    kept = settings.home / result.json["raw_batch"]
    assert len(list(kept.glob("page-*.png"))) == 20


def test_a_partial_batch_can_be_ingested_as_it_is(settings, db, run):
    folder = _feeder_batch(settings, db)
    scan_pages(settings, folder)
    set_fault("SANE_STATUS_IO_ERROR")
    with pytest.raises(ScannerError):
        scan_pages(settings, folder)
    clear_fault()
    result = run("ingest", folder.path, "--json")
    assert result.code == 0 and result.json["pages"] == 10


@pytest.mark.parametrize("status, kind", STATUSES.items())
def test_every_sane_status_is_a_clear_fault(status, kind):
    with Session("test:0", FEEDER) as session:
        session.set_option("read-return-value", status)
        with pytest.raises(ScannerError) as info:
            next(session.pages())
    assert info.value.fault.kind == kind
    assert info.value.fault.id and info.value.fault.en and info.value.fault.id != info.value.fault.en


def test_every_fault_text_has_both_languages():
    for text, fault in FAULTS.items():
        assert fault.id and fault.en, text
    assert fault_for(RuntimeError("Scanner returned no data")).kind == "io_error"


def test_a_scanner_that_is_gone(settings, db, run):
    with pytest.raises(ScannerError) as info:
        Session("test:7", FEEDER)
    assert info.value.fault.kind == "gone"
    assert "Pemindai tidak ditemukan" in str(info.value)
    folder = _feeder_batch(settings, db)
    state = folder.update(device="test:7")  # unplugged since the batch started
    result = run("resume", state.batch, "--json")
    assert result.code == 8 and "Scanner not found" in result.stderr and result.stdout == ""
    assert folder.path.is_dir()


def _pgm(image, path):
    image.convert("L").save(path)  # binary PGM
    return path


@pytest.mark.ocr
def test_real_pages_through_pnm_are_split_and_filed(settings, db, run, tmp_path):
    """Cover sheets printed by `coversheet` and document pages, scanned one by one through libsane's
    pnm backend (page after page on a flatbed), then ingested."""
    ids = [
        run("register", "add", "--title", t, "--unit", "Subbagian Umum", "--category", "berkala", "--json").json["id"]
        for t in ("Laporan Kegiatan", "Surat Keputusan")
    ]
    covers = tmp_path / "covers.pdf"
    assert run("coversheet", *ids, "-o", covers, "--json").code == 0
    pages = [
        batches.render(covers, 1),
        batches.content("Laporan kegiatan sosialisasi pemilih"),
        batches.render(covers, 2),
        batches.content("Surat keputusan penetapan", page_no=1).filter(ImageFilter.GaussianBlur(7)),  # unreadable
    ]
    files = [_pgm(img, tmp_path / f"p{n}.pgm") for n, img in enumerate(pages, start=1)]
    assert (
        run(
            "profiles",
            "add",
            "Kaca abu-abu",
            "--source",
            "flatbed",
            "--mode",
            "gray",
            "--resolution",
            "300",
            "--page-size",
            "A4",
            "--json",
        ).code
        == 0
    )
    batch = None
    for path in files:
        with sane.open("pnm:0") as dev:  # the pnm backend's options are global: this sets the next page
            dev.filename = str(path)
        args = ["scan", "--device", "pnm:0", "--profile", "Kaca abu-abu", "--json"]
        if batch:
            args += ["--batch", batch]
        if path != files[-1]:
            args.append("--no-ingest")
        result = run(*args)
        assert result.code == 0, result.stderr
        batch = result.json["batch"]
    filed = result.json
    assert filed["pages"] == 4
    assert [(d["register_id"], d["batch_pages"]) for d in filed["documents"]] == [(ids[0], [2]), (ids[1], [4])]
    assert [(c["page"], c["register_id"]) for c in filed["pages_to_check"]] == [(4, ids[1])]  # filed, and said
    assert filed["pages_to_check"][0]["code"] in ("unreadable", "no_text")
    hits = run("search", "sosialisasi", "--json").json["hits"]
    assert hits and hits[0]["register_id"] == ids[0]


def test_scan_without_a_profile_takes_the_first_the_device_can_do_and_says_which(run, home):
    run("scanners", "--refresh")
    refused = run("scan", "--device", "test:0", "--no-ingest", "--json")  # the presets are A4: test:0 scans 200 mm
    assert refused.code == 2 and "no scan profile fits test:0" in refused.stderr and "profiles add" in refused.stderr
    run(
        "profiles",
        "add",
        "A Foto warna",
        "--source",
        "flatbed",
        "--mode",
        "color",
        "--resolution",
        "75",
        "--page-size",
        "max",
    )  # first by name, but never a colour flatbed profile on a feeder scanner
    run("profiles", "add", "Uji ADF", "--source", "adf", "--mode", "gray", "--resolution", "75", "--page-size", "max")
    done = run("scan", "--device", "test:0", "--no-ingest", "--json")
    assert done.code == 0, done.stderr
    assert "profile: Uji ADF (the first profile test:0 can do)" in done.stderr
    assert done.json["profile"]["name"] == "Uji ADF" and done.json["pages"] == 10


def test_scan_without_a_profile_takes_the_default_profile_setting(run, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "scan-station.toml").write_text('default_profile = "Uji kaca"\n')
    run(
        "profiles",
        "add",
        "Uji kaca",
        "--source",
        "flatbed",
        "--mode",
        "gray",
        "--resolution",
        "75",
        "--page-size",
        "max",
    )
    done = run("scan", "--device", "test:0", "--no-ingest", "--json")
    assert done.code == 0, done.stderr
    assert "profile: Uji kaca (the default_profile setting)" in done.stderr and done.json["pages"] == 1


def test_a_backend_that_never_returns_from_cancelling_does_not_hang_the_scan(monkeypatch):
    """Seen once with SANE's test backend after an I/O error in a process with many threads: the
    cancel never came back. A fake beside the real backend, as no real one can be made to hang.
    Until the cancel comes back, the device is not opened again: the fault says what helps (a
    restart), where opening it would only say "busy" and "wait"; when it comes back, its handle
    is closed and the real device opens again."""
    import threading

    from helpers.waiting import wait_until

    from scan_station.capture import scanner

    stuck, closed = threading.Event(), []

    class Stuck:
        def cancel(self):
            stuck.wait()  # stuck in the backend until the test lets it go

        def close(self):
            assert stuck.is_set(), "a handle under a cancel still running is never closed"
            closed.append(True)

    monkeypatch.setattr(scanner, "CANCEL_SECONDS", 0.2)
    monkeypatch.setattr(scanner, "_STUCK", set())
    session = scanner.Session.__new__(scanner.Session)
    session._dev, session.device = Stuck(), "test:0"
    started = time.monotonic()
    session.close()
    assert time.monotonic() - started < 2 and session._dev is None
    with pytest.raises(ScannerError) as info:
        Session("test:0", FEEDER)
    fault = info.value.fault
    assert fault.kind == "stuck" and "memulai ulang" in fault.id and "restart" in fault.en
    stuck.set()  # the cancel comes back after all
    wait_until(lambda: closed and "test:0" not in scanner._STUCK, 5, "the late cancel closing the handle")
    with Session("test:0", FEEDER) as again:
        assert next(again.pages()).image.size[0] > 0
