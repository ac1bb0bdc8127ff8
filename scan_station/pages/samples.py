"""Scanned-looking sample pages and batches, for the demo, the tests and the benchmark.

Pages are drawn at scanner resolution in grey, with a little skew and sensor noise, and saved as
a scanner would (JPEG inside a PDF). Cover sheets are the real ones from `coversheet`, rasterised.
"""

from __future__ import annotations

import functools
import io
import random
import textwrap
from collections.abc import Sequence
from pathlib import Path

import img2pdf
import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFont

A4_MM = (210, 297)

SAMPLE_ENTRIES = [
    {
        "title": "Keputusan KPU Kota Tangerang tentang Penetapan Daftar Pemilih Tetap",
        "unit": "Subbagian Perencanaan, Data dan Informasi",
        "category": "berkala",
        "summary": "Penetapan daftar pemilih tetap untuk pemilihan umum di Kota Tangerang.",
        "responsible": "Ketua KPU Kota Tangerang",
        "created_date": "2025-03-12",
        "place": "Tangerang",
        "classification": "PL.01",
        "number": "45/PL.01.2-Kpt/3671/2025",
        "retention": "5 tahun",
    },
    {
        "title": "Laporan Realisasi Anggaran Tahun 2025",
        "unit": "Subbagian Keuangan, Umum dan Logistik",
        "category": "berkala",
        "summary": "Laporan realisasi anggaran pendapatan dan belanja satuan kerja.",
        "responsible": "Sekretaris KPU Kota Tangerang",
        "created_date": "2025-07-01",
        "place": "Tangerang",
        "classification": "KU.02",
        "number": "112/KU.02-LP/3671/2025",
        "retention": "10 tahun",
    },
    {
        "title": "SOP Pendokumentasian Informasi Publik",
        "unit": "Subbagian Hukum dan Sumber Daya Manusia",
        "category": "setiap-saat",
        "summary": "Prosedur pendokumentasian dan penyimpanan informasi publik oleh PPID.",
        "responsible": "PPID KPU Kota Tangerang",
        "created_date": "2025-01-20",
        "place": "Tangerang",
        "classification": "HM.03",
        "number": "19/PP.07-SOP/HM/I/2025",
        "retention": "Permanen",
    },
    {
        "title": "Pengumuman Jadwal Rekapitulasi Hasil Penghitungan Suara",
        "unit": "Divisi Teknis Penyelenggaraan",
        "category": "serta-merta",
        "summary": "Jadwal dan tempat rekapitulasi hasil penghitungan suara tingkat kota.",
        "responsible": "Ketua KPU Kota Tangerang",
        "created_date": "2025-02-18",
        "place": "Tangerang",
        "classification": "PL.02",
        "number": "07/PL.02.6-Pu/3671/2025",
        "retention": "2 tahun",
    },
]

PARAGRAPHS = [
    "Komisi Pemilihan Umum Kota Tangerang menetapkan daftar pemilih tetap berdasarkan hasil "
    "pemutakhiran data pemilih yang dilaksanakan oleh panitia pemungutan suara di setiap kelurahan.",
    "Pejabat Pengelola Informasi dan Dokumentasi bertugas menyimpan, mendokumentasikan, menyediakan "
    "dan memberikan pelayanan informasi publik kepada masyarakat secara cepat dan tepat waktu.",
    "Setiap satuan kerja wajib menyerahkan salinan elektronik informasi publik yang dikuasainya "
    "kepada PPID untuk didaftarkan dalam daftar informasi publik dan disimpan dalam penyimpanan internal.",
    "Laporan realisasi anggaran memuat pendapatan, belanja pegawai, belanja barang dan jasa, serta "
    "belanja modal sesuai dengan dokumen pelaksanaan anggaran tahun berjalan.",
    "Rekapitulasi hasil penghitungan suara dilaksanakan dalam rapat pleno terbuka yang dihadiri oleh "
    "saksi peserta pemilihan, pengawas pemilihan, dan pemantau yang terdaftar.",
    "Informasi yang dikecualikan tidak dapat diberikan kepada pemohon karena dapat menghambat proses "
    "penegakan hukum atau mengungkap rahasia pribadi seseorang.",
    "Dokumen asli disimpan oleh unit pengolah, sedangkan salinan elektronik yang telah dipindai "
    "disimpan oleh PPID dengan pencatatan nomor register, tanggal, dan penanggung jawab.",
    "Masyarakat dapat mengajukan permohonan informasi secara langsung di meja layanan informasi atau "
    "melalui surat elektronik dengan melampirkan identitas pemohon.",
]


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("LiberationSerif-Regular.ttf", "DejaVuSerif.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size_px)
        except OSError:
            continue
    return ImageFont.load_default(size=size_px)


def _blank_page(dpi: int) -> Image.Image:
    w, h = (round(mm / 25.4 * dpi) for mm in A4_MM)
    return Image.new("L", (w, h), 255)


#: How far a page's grain may lie within the grain made once per page size (`_grain`).
GRAIN_MARGIN = 256


def scanned_look(image: Image.Image, *, skew: float = 0.0, noise: float = 6.0) -> Image.Image:
    """Skew by a few degrees and add grey sensor noise, as a sheet-fed scanner does. The noise is
    cut at a random place from a larger field made once per size (making a page's worth of noise
    costs more than the rest of the page), so that no two pages carry the same."""
    if skew:  # bilinear: what a scanner's optics leave is softer than either; bicubic cost 2.4× as much
        image = image.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    if noise:
        x, y = random.randrange(GRAIN_MARGIN), random.randrange(GRAIN_MARGIN)
        grain = _grain(image.size, noise).crop((x, y, x + image.width, y + image.height))
        image = ImageChops.add(image, grain, scale=1.0, offset=-128)
    return image


@functools.lru_cache(maxsize=4)
def _grain(size: tuple[int, int], noise: float) -> Image.Image:
    return Image.effect_noise((size[0] + GRAIN_MARGIN, size[1] + GRAIN_MARGIN), noise)


def text_page(heading: str, paragraphs: Sequence[str], *, page_no: int, dpi: int = 300) -> Image.Image:
    page = _blank_page(dpi)
    draw = ImageDraw.Draw(page)
    margin = round(25 / 25.4 * dpi)
    body = _font(round(11 / 72 * dpi))
    head = _font(round(14 / 72 * dpi))
    line_height = round(11 / 72 * dpi * 1.5)
    y = margin
    for line in textwrap.wrap(heading, 60):
        draw.text((margin, y), line, font=head, fill=0)
        y += round(line_height * 1.3)
    y += line_height
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, 78):
            draw.text((margin, y), line, font=body, fill=0)
            y += line_height
        y += line_height // 2
    draw.text((page.width // 2 - margin // 2, page.height - margin), f"Halaman {page_no}", font=body, fill=0)
    return page


def document_pages(entry_title: str, count: int, *, seed: int, dpi: int = 300) -> list[Image.Image]:
    rng = random.Random(seed)
    pages = []
    for n in range(1, count + 1):
        paragraphs = rng.sample(PARAGRAPHS, k=min(6, len(PARAGRAPHS)))
        page = text_page(entry_title if n == 1 else f"{entry_title} (lanjutan)", paragraphs, page_no=n, dpi=dpi)
        pages.append(scanned_look(page, skew=rng.uniform(-1.0, 1.0)))
    return pages


def cover_page_images(coversheet_pdf: bytes, *, dpi: int = 300) -> list[Image.Image]:
    """The pages of a cover-sheet PDF as a scanner would see them."""
    pdf = pdfium.PdfDocument(coversheet_pdf)
    try:
        images = [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()
    return [scanned_look(img, skew=0.6) for img in images]


def blank_back(*, dpi: int = 300) -> Image.Image:
    """The empty back of a sheet scanned in duplex: paper tone, noise, a speck of dust."""
    page = _blank_page(dpi)
    ImageDraw.Draw(page).ellipse((900, 1400, 904, 1404), fill=90)
    return scanned_look(page, noise=5)


def write_batch_pdf(pages: Sequence[Image.Image], out: Path, *, dpi: int = 300, quality: int = 85) -> Path:
    """A PDF of JPEG page images, the way a scanner's scan-to-PDF makes one."""
    blobs = []
    for page in pages:
        buffer = io.BytesIO()
        page.save(buffer, format="JPEG", quality=quality, dpi=(dpi, dpi))
        blobs.append(buffer.getvalue())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(img2pdf.convert(blobs))
    return out
