"""Pages made the way real offices scan, and hostile ones from outside, through the page-level OCR
path (page_source, page_ocr, page_images, assemble): every readable page is read and filed as it
looks, bad input is one line with its exit code, and a result kept with a page is used only when
it is whole and what it says it is."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import struct
import warnings
import zlib
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from helpers import batches
from helpers.kiosk import ROLES, login, logout, make_app, token
from PIL import Image, ImageOps

import web.review
from scan_station.capture import page_jobs
from scan_station.capture.scanning import start_batch
from scan_station.core.config import load_settings
from scan_station.core.errors import DiskFullError, ExitCode, OcrError, StorageError, exit_code_for
from scan_station.ocr.assemble import assemble
from scan_station.ocr.page import PageJob, load_result, ocr_page
from scan_station.pages import samples
from scan_station.pages.batch_input import read_batch
from scan_station.pages.classify import classify_pdf
from scan_station.pages.images import straightened
from scan_station.pages.source import RENDER_DPI, PageSource, file_digest, load

DPI = 150  # small pages: nothing here depends on the size


def _text(title: str = "Laporan Kegiatan") -> Image.Image:
    return samples.text_page(title, samples.PARAGRAPHS[:3], page_no=1, dpi=DPI).convert("L")


# -- PDF pages of every kind a scanner or a program makes ------------------------------------------


def _image_pdf(out: Path, data: bytes, size: tuple[int, int], *, rotate: object = None, **image: object) -> Path:
    """A one-page PDF that is one image drawn over the whole page, as a scanner's is."""
    pdf = pikepdf.new()
    width_pt, height_pt = size[0] / DPI * 72, size[1] / DPI * 72
    page = pdf.add_blank_page(page_size=(width_pt, height_pt))
    stream = pikepdf.Stream(pdf, data)
    stream.Type, stream.Subtype, stream.Width, stream.Height = pikepdf.Name.XObject, pikepdf.Name.Image, *size
    for key, value in image.items():
        stream[f"/{key}"] = value
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
    page.Contents = pikepdf.Stream(pdf, f"q {width_pt} 0 0 {height_pt} 0 0 cm /Im0 Do Q".encode())
    if rotate is not None:
        page.Rotate = rotate
    pdf.save(out)
    return out


def _jbig2(grey: Image.Image) -> bytes:
    """The page as JBIG2 (an embedded stream: page information, one generic region coded MMR, end
    of page), as office copiers' "high compression" PDFs carry it; MMR is CCITT Group 4."""
    bits = grey.point(lambda v: 0 if v > 128 else 255).convert("1")
    buffer = io.BytesIO()
    bits.save(buffer, "TIFF", compression="group4", strip_size=2**31 - 1)
    with Image.open(io.BytesIO(buffer.getvalue())) as tiff:
        start, length = (tiff.tag_v2[tag] for tag in (273, 279))
    start, length = (v[0] if isinstance(v, tuple) else v for v in (start, length))
    mmr = buffer.getvalue()[start:start + length]

    def segment(number: int, kind: int, data: bytes) -> bytes:
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    width, height = grey.size
    return (segment(0, 48, struct.pack(">IIIIBH", width, height, 0, 0, 0, 0))
            + segment(1, 38, struct.pack(">IIIIB", width, height, 0, 0, 0) + b"\x01" + mmr) + segment(2, 49, b""))


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _separation() -> pikepdf.Array:
    black = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1], C1=[0], N=1)
    return pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name("/Black"), pikepdf.Name.DeviceGray, black])


def _kinds(grey: Image.Image, folder: Path) -> dict[str, Path]:
    """One-page PDFs of `grey` in the encodings pikepdf cannot decode, damaged, or hostile."""
    gray, flate = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    sixteen = (np.asarray(grey, dtype=np.uint16) * 257).astype(">u2").tobytes()
    inverted = ImageOps.invert(grey).tobytes()
    made = {
        "jbig2": (_jbig2(grey), dict(ColorSpace=gray, BitsPerComponent=1, Filter=pikepdf.Name.JBIG2Decode)),
        "separation": (zlib.compress(inverted), dict(ColorSpace=_separation(), BitsPerComponent=8, Filter=flate)),
        "devicen": (zlib.compress(inverted), dict(ColorSpace=pikepdf.Array([pikepdf.Name.DeviceN, [
            pikepdf.Name("/Black")], *_separation()[2:]]), BitsPerComponent=8, Filter=flate)),
        "16-bit": (zlib.compress(sixteen), dict(ColorSpace=gray, BitsPerComponent=16, Filter=flate)),
        "truncated-jpeg": (_jpeg(grey)[: len(_jpeg(grey)) * 2 // 3], dict(ColorSpace=gray, BitsPerComponent=8,
                                                                          Filter=pikepdf.Name.DCTDecode)),
        "short-flate": (zlib.compress(grey.tobytes()[: grey.width * grey.height // 2]),
                        dict(ColorSpace=gray, BitsPerComponent=8, Filter=flate)),
    }
    found = {name: _image_pdf(folder / f"{name}.pdf", data, grey.size, **image) for name, (data, image) in made.items()}
    found["rotate-name"] = _image_pdf(folder / "rotate-name.pdf", _jpeg(grey), grey.size, rotate=pikepdf.Name("/Foo"),
                                      ColorSpace=gray, BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
    return found


def _rendered(path: Path) -> np.ndarray:
    pdf = pdfium.PdfDocument(path)
    try:
        return np.asarray(pdf[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L"), dtype=np.float64)
    finally:
        pdf.close()


@pytest.mark.parametrize("kind", ["jbig2", "separation", "devicen", "16-bit", "truncated-jpeg", "short-flate",
                                  "rotate-name"])
def test_a_pdf_page_of_any_kind_is_read_as_a_viewer_shows_it(tmp_path, kind):
    """Pages pikepdf cannot decode (JBIG2 without jbig2dec, Separation, DeviceN), damaged data, 16
    bits a sample, a /Rotate that is no number: the pixels a viewer shows, never an error (these
    failed the OCR: exit 7, or 15 for the /Rotate; the 16-bit page was read black and white)."""
    path = _kinds(_text(), tmp_path)[kind]
    read = load(PageSource(path), default_dpi=300, max_megapixels=250).image
    shown = _rendered(path)
    ours = np.asarray(read.convert("L").resize(shown.shape[::-1], Image.Resampling.BOX), dtype=np.float64)
    assert abs(ours.mean() - shown.mean()) < 3
    assert np.corrcoef(ours.ravel(), shown.ravel())[0, 1] > 0.75
    assert next(iter(classify_pdf(path, dpi=100))).kind == "content"


def test_a_flate_image_that_inflates_beyond_its_pixels_is_rendered_not_decoded_whole(tmp_path):
    """A 1 MB PDF whose page image inflates to 1 GB held 2 GB in the OCR child (pikepdf decodes a
    stream whole; 10 GB would be the OOM killer). Such a page is rendered (the renderer decodes
    what the page shows); an honest Flate page is still decoded as it is. 200 MB here."""
    honest = _text()
    squeezer = zlib.compressobj(9)
    bomb = b"".join(squeezer.compress(bytes(1 << 20)) for _ in range(200)) + squeezer.flush()
    made = {name: _image_pdf(tmp_path / f"{name}.pdf", data, honest.size, ColorSpace=pikepdf.Name.DeviceGray,
                             BitsPerComponent=8, Filter=pikepdf.Name.FlateDecode)
            for name, data in (("honest", zlib.compress(honest.tobytes())), ("bomb", bomb))}
    read = {name: load(PageSource(path), default_dpi=300, max_megapixels=250) for name, path in made.items()}
    assert read["honest"].dpi == pytest.approx((DPI, DPI)) and read["honest"].image.tobytes() == honest.tobytes()
    assert read["bomb"].dpi == (RENDER_DPI, RENDER_DPI)


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_a_16_bit_grey_page_keeps_its_greys(tmp_path, suffix):
    """A 16-bit grey scan was clipped to 8 bits: everything lighter than 1/256 of black went white
    (ink of grey toner too), so the page was filed blank."""
    grey = samples.scanned_look(_text())
    path = tmp_path / f"page.{suffix}"
    Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257).save(path, dpi=(DPI, DPI))
    read = np.asarray(load(PageSource(path), default_dpi=300, max_megapixels=250).image, dtype=np.int16)
    assert np.abs(read - np.asarray(grey, dtype=np.int16)).max() <= 1


def test_a_fax_page_keeps_its_shape(tmp_path):
    """A fax is 204 × 98 dpi: taken as 204 both ways, an A4 page became half as tall."""
    fax = _text().resize((1728, 1143)).point(lambda v: 255 if v > 128 else 0).convert("1")
    folder = tmp_path / "batch"
    folder.mkdir()
    fax.save(folder / "fax.tif", compression="group4", dpi=(204, 98))
    source = load(PageSource(folder / "fax.tif"), default_dpi=300, max_megapixels=250)
    assert source.dpi == (204, 98) and 285 < source.size_inches[1] * 25.4 < 300
    batch = read_batch(folder, tmp_path / "work", load_settings(tmp_path / "home"))
    with pikepdf.open(batch.pdf) as pdf:
        assert 285 < float(pdf.pages[0].mediabox[3]) / 72 * 25.4 < 300  # classified as the A4 page it is


def test_a_jpeg_larger_than_its_pdf_says_is_refused_as_a_bomb(run, home, tmp_path):
    """A JPEG whose own header says 60,000 × 60,000 behind /Width 1240: Pillow's bomb error went
    unhandled while classifying (exit 15); now refused when the batch is read."""
    data = _jpeg(_text())
    at = data.index(b"\xff\xc0") + 5
    bomb = _image_pdf(tmp_path / "bomb.pdf", data[:at] + struct.pack(">HH", 60000, 60000) + data[at + 4:],
                      (1240, 1754), ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
                      Filter=pikepdf.Name.DCTDecode)
    result = run("ingest", bomb)
    assert result.code == ExitCode.input_file and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "max_image_megapixels" in result.stderr
    assert not (home / "storage").exists() or not any((home / "storage").rglob("*.pdf"))


def test_a_scanners_jpeg_is_classified_whatever_pillows_own_limit(tmp_path, monkeypatch):
    """A genuine page larger than Pillow's default limit (89 MP; an A3 scan at 800 dpi, which
    max_image_megapixels may allow): classifying its JPEG raised Pillow's bomb error (exit 15), or
    printed its warning. Pillow's default is made 1 MP here, the page 2 MP."""
    path = _image_pdf(tmp_path / "page.pdf", _jpeg(_text()), (1240, 1754), ColorSpace=pikepdf.Name.DeviceGray,
                      BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert next(iter(classify_pdf(path, dpi=100))).kind == "content"
    assert Image.MAX_IMAGE_PIXELS == 1_000_000


# -- whole batches -----------------------------------------------------------------------------------


def _entry(run) -> str:
    return run("register", "add", "--title", "Laporan", "--unit", "Umum", "--category", "berkala", "--json").json["id"]


def _filed_texts(home: Path, summary: dict) -> list[str]:
    (document,) = summary["documents"]
    sidecar = json.loads((home / document["path"]).with_suffix(".json").read_text())
    assert sidecar["pdfa"]["validation_passed"], sidecar["pdfa"]
    return [page["text"] for page in sidecar["pages"]]


@pytest.mark.ocr
@pytest.mark.slow
def test_a_batch_of_pdf_pages_of_every_kind_is_filed_with_their_text(run, home, tmp_path):
    register_id = _entry(run)
    titles = {"jbig2": "Nota Dinas", "separation": "Surat Keputusan", "16-bit": "Laporan Keuangan",
              "rotate-name": "Daftar Hadir"}
    batch = pikepdf.new()
    keep = [batches.image_page_pdf(batches.cover(register_id))]
    batch.pages.append(keep[0].pages[0])
    for kind, title in titles.items():
        (tmp_path / kind).mkdir()
        keep.append(pikepdf.open(_kinds(_text(title), tmp_path / kind)[kind]))
        batch.pages.append(keep[-1].pages[0])
    batch.save(tmp_path / "batch.pdf")
    result = run("ingest", tmp_path / "batch.pdf", "--json")
    assert result.code == 0, result.stderr
    texts = _filed_texts(home, result.json)
    assert [title in text for title, text in zip(titles.values(), texts, strict=True)] == [True] * len(titles)


@pytest.mark.ocr
@pytest.mark.slow
def test_a_folder_of_a_16_bit_scan_a_fax_a_phone_photo_and_a_page_twice_is_filed_as_they_look(run, home, tmp_path):
    register_id = _entry(run)
    folder = tmp_path / "batch"
    folder.mkdir()
    batches.cover(register_id).save(folder / "page-1.png", dpi=(300, 300))
    grey = samples.scanned_look(_text("Laporan Keuangan"))
    Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257).save(folder / "page-2.png", dpi=(DPI, DPI))
    fax = _text("Nota Dinas").resize((1728, 1143)).point(lambda v: 255 if v > 160 else 0).convert("1")
    fax.save(folder / "page-3.tif", compression="group4", dpi=(204, 98))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held sideways: shown turned a quarter clockwise
    _text("Daftar Hadir").rotate(90, expand=True).save(folder / "page-4.jpg", exif=exif, dpi=(DPI, DPI))
    (folder / "page-5.png").symlink_to(folder / "page-2.png")  # the same file twice: the same SHA-256
    result = run("ingest", folder, "--json")
    assert result.code == 0, result.stderr
    texts = _filed_texts(home, result.json)
    assert [t in text for t, text in zip(("Laporan Keuangan", "Nota Dinas", "Daftar Hadir", "Laporan Keuangan"),
                                        texts, strict=True)] == [True] * 4
    with pikepdf.open(home / result.json["documents"][0]["path"]) as pdf:
        heights_mm = [float(p.mediabox[3]) / 72 * 25.4 for p in pdf.pages]
    assert all(285 < h < 300 for h in heights_mm), heights_mm  # A4 portrait, the fax too


# -- levelling and cleaning ----------------------------------------------------------------------


def test_a_dark_page_is_not_taken_for_a_scanners_border():
    """A black page, or white text on black, had a white frame painted into its filed copy."""
    assert straightened(Image.new("L", (1240, 1754), 0), DPI).image is None
    negative = ImageOps.invert(_text())
    cleaned = straightened(negative, DPI).image
    assert cleaned is None or np.asarray(cleaned)[:, :40].mean() < 20


def test_a_straight_page_at_75_dpi_is_not_turned():
    """Skew was measured at a quarter of the page's resolution: about 19 dpi for a 75 dpi page,
    which found 0.4° on a straight page and turned it."""
    page = samples.text_page("Laporan Kegiatan", samples.PARAGRAPHS[:3], page_no=1, dpi=75)
    assert straightened(page, 75).image is None


# -- results kept with a page --------------------------------------------------------------------


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> PageJob:
    """A page read once, its result kept."""
    base = tmp_path_factory.mktemp("kept")
    _text().save(base / "page.png", dpi=(DPI, DPI))
    job = PageJob(3, PageSource(base / "page.png"), file_digest(base / "page.png"), base / "results")
    ocr_page(job)
    return job


def _copy(kept: PageJob, tmp_path: Path) -> tuple[PageJob, dict]:
    job = dataclasses.replace(kept, folder=tmp_path / "results")
    shutil.copytree(kept.folder, job.folder)
    return job, json.loads((job.place / "result.json").read_text())


def _say(job: PageJob, record: dict, **changes: object) -> None:
    (job.place / "result.json").write_text(json.dumps(record | changes))


LIES = {
    "not an object": lambda job, record: (job.place / "result.json").write_text("[]"),
    "not JSON": lambda job, record: (job.place / "result.json").write_text("{"),
    "another job's key": lambda job, record: _say(job, record, key="0" * 24),
    "image replaced": lambda job, record: (job.place / f"{job.key}.image").write_bytes(b"not the page"),
    "text layer cut short": lambda job, record: (job.place / f"{job.key}.text.pdf").write_bytes(
        (job.place / f"{job.key}.text.pdf").read_bytes()[:300]),
    "text layer missing": lambda job, record: (job.place / f"{job.key}.text.pdf").unlink(),
    "turned 45 degrees": lambda job, record: _say(job, record, placement=45),
    "a page of no size": lambda job, record: _say(job, record, page_size=[0, -842]),
    "text that is no text": lambda job, record: _say(job, record, text=42),
    "a colour space of its own": lambda job, record: _say(job, record, image=record["image"] | {"colour": "/Lab"}),
    "seconds that are no number": lambda job, record: _say(job, record, seconds={"read": "slow"}),
}


@pytest.mark.ocr
@pytest.mark.parametrize("lie", LIES)
def test_a_kept_result_that_is_damaged_or_lies_is_not_used(kept, tmp_path, lie):
    """Before: a record that was no object raised AttributeError (filing ended "unexpected"), a
    placement of 45 a KeyError in assemble, a replaced image was filed as it was."""
    job, record = _copy(kept, tmp_path)
    assert load_result(job) is not None
    LIES[lie](job, record)
    assert load_result(job) is None


@pytest.mark.ocr
def test_a_kept_result_reads_only_its_own_files(kept, tmp_path):
    """The record named its files, and an absolute name was read wherever it pointed: any file the
    worker can read would have been filed as the page's image."""
    job, record = _copy(kept, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive")
    _say(job, record, image_file=str(secret), text_pdf="../../secret.txt", number=99)
    result = load_result(job)
    assert result is not None and result.image_file == job.place / f"{job.key}.image" and result.number == 3
    assert b"not for the archive" not in result.image.data


@pytest.mark.ocr
def test_a_damaged_result_is_read_again_and_filed_whole(kept, tmp_path):
    job, _record = _copy(kept, tmp_path)
    (job.place / f"{job.key}.image").write_bytes(b"not the page")
    result = ocr_page(job)
    assert load_result(job) is not None and "Laporan" in result.text
    out = assemble([result], key="doc", metadata={"title": "Laporan"}, out=tmp_path / "doc.pdf")
    assert out.pdfa_passed, out.pdfa_findings
    with pikepdf.open(out.output_pdf) as pdf:
        image = pikepdf.PdfImage(next(iter(pdf.pages[0].get_images().values()))).as_pil_image().convert("L")
    filed, page = (np.asarray(i, dtype=np.float64).ravel() for i in (image, _text()))
    assert image.size == (1240, 1754) and np.corrcoef(filed, page)[0, 1] > 0.9  # the page, not what was there


# -- the results' folder -----------------------------------------------------------------------------


def _job(tmp_path: Path, folder: Path) -> PageJob:
    _text().save(tmp_path / "page.png", dpi=(DPI, DPI))
    return PageJob(2, PageSource(tmp_path / "page.png"), file_digest(tmp_path / "page.png"), folder)


def test_a_page_read_after_its_batch_was_filed_does_not_bring_the_batch_folder_back(tmp_path):
    """The results' folder was made with its parents: a page job that ran on after its batch was
    filed (or removed) made an empty batch folder again, and kept its result in it."""
    batch = tmp_path / "B20260101-000000-AAAA"
    with pytest.raises(StorageError):
        ocr_page(_job(tmp_path, batch / ".ocr"))
    assert not batch.exists()


def test_a_results_folder_that_cannot_take_the_write_is_a_storage_error(tmp_path):
    """Was OCR failed (exit 7) "NotADirectoryError"; it is the storage's (exit 5), which the queue
    tries again."""
    (tmp_path / ".ocr").write_text("a file where the folder should be")
    with pytest.raises(StorageError) as raised:
        ocr_page(_job(tmp_path, tmp_path / ".ocr"))
    assert exit_code_for(raised.value) == ExitCode.storage and "page 2" in str(raised.value)


@pytest.mark.needs_root
def test_a_full_results_disk_is_a_full_disk(tmp_path, tiny_disk):
    disk = tiny_disk(256)
    with pytest.raises(DiskFullError):
        ocr_page(_job(tmp_path, disk / ".ocr"))
    assert not any(p.is_file() for p in disk.rglob("*"))  # no work file left behind


def test_a_page_job_whose_batch_is_filed_while_it_is_read_is_gone_not_failed(settings, db, monkeypatch):
    """Whatever the read said (tesseract finds its folder gone: an OcrError), the batch is gone:
    nothing to do, no failed job in the worker's log."""
    folder = start_batch(settings, db, device="test:0", profile=None)

    def filed_meanwhile(*_args) -> Future:
        shutil.rmtree(folder.path)
        future: Future = Future()
        future.set_exception(OcrError("tesseract could not read the page"))
        return future

    monkeypatch.setattr(page_jobs, "start_page", filed_meanwhile)
    assert page_jobs.ocr_page(settings, db, folder.id, 1) == "gone"


# -- the kiosk ---------------------------------------------------------------------------------------


def test_the_kiosk_serves_nothing_of_a_batchs_ocr_folder_and_refuses_hostile_pages(home, monkeypatch):
    """A page's kept OCR (its text: perhaps of a "dikecualikan" entry) is never a response, to any
    role or to nobody; a correction for a page that is no page number is 400, one the batch does
    not have is said in the review, and neither queues a page job."""
    app = make_app(home)
    settings, db = (app.extensions["scan_station"][key] for key in ("settings", "db"))
    batch = start_batch(settings, db, device="test:0", profile=None)
    (batch.ocr_dir / "page-0001").mkdir(parents=True)
    (batch.ocr_dir / "page-0001" / "result.json").write_text('{"text": "RAHASIA-DIKECUALIKAN"}')
    queued = []
    monkeypatch.setattr(web.review, "queue_page", lambda _jobs, _batch, page: queued.append(page))
    b = batch.id
    probes = [f"/scan/{b}/.ocr/page-0001/result.json", f"/scan/{b}/pages/..%2F.ocr%2Fpage-0001%2Fresult.json",
              f"/scan/{b}/pages/%2E%2E/.ocr/page-0001/result.json", f"/review/{b}/.ocr", f"/review/{b}%2F.ocr",
              f"/scan/{b}%2F.ocr%2Fpage-0001/events", f"/static/..%2F..%2F{settings.scans_dir.name}%2F{b}%2F.ocr",
              "/scan/.ocr/pages/1.png", "/search?q=dikecualikan"]
    client = app.test_client()
    for username in [None, *ROLES]:
        if username:
            login(client, username)
        for url in probes:
            response = client.get(url)
            assert response.status_code < 500 and b"RAHASIA-DIKECUALIKAN" not in response.data, (username, url)
        if username:
            logout(client)
    login(client, "dok")
    csrf = token(client, f"/review/{b}")
    for action in ("rotate", "move", "restore", "remove", "rescan"):
        for value in ("-1", "0", "100001", "99999999999999999999", "1e309", "NaN", "", "²", "١", "1.0", "\x00"):
            sent = client.post(f"/review/{b}/{action}", data={"page": value, "direction": "next", "csrf_token": csrf})
            assert sent.status_code == 400, (action, value, sent.status_code)
        sent = client.post(f"/review/{b}/{action}", data={"page": "7", "direction": "next", "csrf_token": csrf})
        assert sent.status_code == 302, (action, sent.status_code)
    assert queued == []
