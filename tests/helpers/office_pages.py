"""What offices print: the pages of real KPU paperwork, drawn as the ideal print (black on white,
upright) with the words printed on them — letters, full-text berita acara pages, sparse last
pages, tables, pages with a photo or a stamp — each with a running page number in one of the
styles offices use ("- 2 -", "Halaman 2 dari 5", "2/5").

`tests/helpers/office.py` then "scans" them (paper, toner, show-through, feeding, skew, JPEG). Seeded: the
same call draws the same page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scan_station.pages import samples

#: Words of Indonesian administrative prose, from which the pages' sentences are drawn.
WORDS = sorted({w.strip(".,;:") for p in samples.PARAGRAPHS for w in p.split()} | set("""
    berdasarkan keputusan komisi pemilihan umum kota tangerang tentang penetapan jadwal tahapan
    penyelenggaraan rapat pleno terbuka rekapitulasi hasil penghitungan suara kecamatan kelurahan
    anggota sekretaris ketua divisi teknis hukum pengawasan perencanaan data informasi keuangan umum
    logistik partisipasi masyarakat sumber daya manusia bahwa dalam rangka pelaksanaan tugas fungsi
    perlu menetapkan mengingat menimbang memperhatikan undang peraturan nomor tahun pasal ayat huruf
    sebagaimana dimaksud telah diubah terakhir dengan selanjutnya disebut adalah yang dan atau dari
    kepada untuk oleh pada bagi dengan serta sesuai ketentuan berlaku sejak tanggal ditetapkan
    laporan kegiatan pemutakhiran daftar pemilih sementara tetap tambahan petugas panitia pemungutan
    suara tempat wilayah kabupaten provinsi republik indonesia surat edaran undangan pemberitahuan
    permohonan jawaban tanggapan keberatan sengketa putusan salinan lampiran tembusan arsip dokumen
    berita acara serah terima barang jasa pengadaan anggaran belanja pendapatan realisasi dokumen
    pelaksanaan program kerja rencana strategis evaluasi monitoring sosialisasi bimbingan teknis
    pendidikan pemilih relawan demokrasi media sosial pengumuman pendaftaran calon peserta partai
""".split()))
FONTS = ("LiberationSerif-Regular.ttf", "LiberationSans-Regular.ttf", "DejaVuSans.ttf", "DejaVuSerif.ttf")
BOLD = {"LiberationSerif-Regular.ttf": "LiberationSerif-Bold.ttf", "LiberationSans-Regular.ttf":
        "LiberationSans-Bold.ttf", "DejaVuSans.ttf": "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf": "DejaVuSerif-Bold.ttf"}
NUMBERING = ("- {n} -", "Halaman {n} dari {total}", "{n}/{total}")
LAYOUTS = ("letter", "full", "sparse", "table", "photo", "stamp")
#: Pages with nothing to read: photographs of an event, a signed and stamped sheet.
PICTURES = ("pictures",)


@dataclass(frozen=True)
class Printed:
    """A page as printed: the ideal image (grey, upright, white paper) and its words."""

    image: Image.Image
    text: str
    layout: str
    number: str = ""  # the running page number as printed, "" for none


def a4(dpi: int) -> Image.Image:
    return Image.new("L", (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)), 255)


def _font(name: str, points: float, dpi: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(name, round(points / 72 * dpi))
    except OSError:
        return samples._font(round(points / 72 * dpi))


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


class _Pen:
    """Lines of text down a page, wrapped to its width; remembers what it wrote."""

    def __init__(self, page: Image.Image, dpi: int, font: str, *, points: float = 11, spacing: float = 1.4,
                 margin_mm: float = 25):
        self.page, self.dpi, self.draw = page, dpi, ImageDraw.Draw(page)
        self.font_name, self.points, self.spacing = font, points, spacing
        self.left = self.top = round(margin_mm / 25.4 * dpi)
        self.right = page.width - round(20 / 25.4 * dpi)
        self.bottom = page.height - round(30 / 25.4 * dpi)
        self.y, self.lines = self.top, []

    def room(self) -> bool:
        return self.y + self._height(self.points) < self.bottom

    def _height(self, points: float) -> int:
        return round(points / 72 * self.dpi * self.spacing)

    def write(self, text: str, *, points: float | None = None, bold: bool = False, centre: bool = False,
              indent_mm: float = 0) -> None:
        points = points or self.points
        font = _font(BOLD[self.font_name] if bold else self.font_name, points, self.dpi)
        left = self.left + round(indent_mm / 25.4 * self.dpi)
        line = ""
        for word in text.split():
            wider = f"{line} {word}".strip()
            if self.draw.textlength(wider, font=font) > self.right - left and line:
                self._line(line, font, left, centre, points)
                line = word
            else:
                line = wider
        if line:
            self._line(line, font, left, centre, points)

    def _line(self, line: str, font, left: int, centre: bool, points: float) -> None:
        if not self.room():
            return
        x = (self.page.width - self.draw.textlength(line, font=font)) / 2 if centre else left
        self.draw.text((x, self.y), line, font=font, fill=0)
        self.lines.append(line)
        self.y += self._height(points)

    def gap(self, lines: float = 0.5) -> None:
        self.y += round(self._height(self.points) * lines)


def _numbered(pen: _Pen, rng: random.Random, page_no: int | None, of: int, style: int | None) -> str:
    if page_no is None or style is None:
        return ""
    label = NUMBERING[style].format(n=page_no, total=of)
    font = _font(pen.font_name, 10, pen.dpi)
    width = pen.draw.textlength(label, font=font)
    y = pen.page.height - round(18 / 25.4 * pen.dpi) if rng.random() < 0.8 else round(10 / 25.4 * pen.dpi)
    pen.draw.text(((pen.page.width - width) / 2, y), label, font=font, fill=0)
    pen.lines.append(label)
    return label


def _letterhead(pen: _Pen) -> None:
    pen.write("KOMISI PEMILIHAN UMUM", points=14, bold=True, centre=True)
    pen.write("KOTA TANGERANG", points=14, bold=True, centre=True)
    pen.write("Jalan Satria Sudirman Nomor 1 Tangerang", points=9, centre=True)
    rule = pen.y + round(pen.dpi / 50)
    pen.draw.line((pen.left, rule, pen.right, rule), fill=0, width=max(2, round(pen.dpi / 100)))
    pen.gap(1.2)


def photo(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    x, y = np.linspace(0, 1, width)[None, :], np.linspace(0, 1, height)[:, None]
    shades = 128 + 90 * np.sin(6 * x + 3 * y + seed) * np.cos(4 * y - seed) + rng.normal(0, 12, (height, width))
    return Image.fromarray(np.clip(shades, 0, 255).astype("uint8"))


def _table(pen: _Pen, rng: random.Random, rows: int) -> None:
    """A bordered table: a header row, then rows of a number, a name of a place, words and a count."""
    columns = [0.08, 0.32, 0.42, 0.18]
    width = pen.right - pen.left
    edges = [pen.left + round(width * sum(columns[:i])) for i in range(len(columns) + 1)]
    font = _font(pen.font_name, 10, pen.dpi)
    height = round(10 / 72 * pen.dpi * 2.0)
    line = max(1, round(pen.dpi / 150))
    header = ["No", "Kelurahan", "Keterangan", "Jumlah"]
    for r in range(rows + 1):
        if pen.y + height > pen.bottom:
            break
        cells = header if r == 0 else [str(r), rng.choice(WORDS).title(), " ".join(rng.choice(WORDS) for _ in range(2)),
                                       f"{rng.randint(10, 9999):,}".replace(",", ".")]
        for c, text in enumerate(cells):
            pen.draw.text((edges[c] + round(pen.dpi / 40), pen.y + round(height * 0.2)), text, font=font, fill=0)
        pen.lines.append(" ".join(cells))
        pen.draw.line((edges[0], pen.y, edges[-1], pen.y), fill=0, width=line)
        pen.y += height
    pen.draw.line((edges[0], pen.y, edges[-1], pen.y), fill=0, width=line)
    top = pen.y - height * min(rows + 1, len(pen.lines))
    for x in edges:
        pen.draw.line((x, top, x, pen.y), fill=0, width=line)
    pen.gap(1)


def page(layout: str, *, dpi: int = 300, seed: int = 0, page_no: int | None = 1, of: int = 1,
         numbering: int | None = 0, font: str | None = None) -> Printed:
    """One printed page of `layout` (see LAYOUTS); `numbering` picks a NUMBERING style, None for none."""
    rng = random.Random(seed)
    image = a4(dpi)
    pen = _Pen(image, dpi, font or rng.choice(FONTS), spacing=1.25 if layout == "full" else 1.45)
    if layout in ("letter", "stamp", "photo") and (page_no or 1) == 1:
        _letterhead(pen)
    if layout == "pictures":
        size = (round(150 / 25.4 * dpi), round(100 / 25.4 * dpi))
        for n in range(2):
            image.paste(photo(*size, seed + n), ((image.width - size[0]) // 2, round((30 + 120 * n) / 25.4 * dpi)))
        page_no = None
    elif layout == "sparse":
        pen.y = round(40 / 25.4 * dpi)
        pen.write(rng.choice(["Tembusan:", "Demikian untuk menjadi perhatian.", "Kepala Subbagian Umum"]))
        pen.write(f"{rng.randint(1, 3)}. {sentence(rng, 3)}")
    elif layout == "full":
        pen.write(f"BERITA ACARA {sentence(rng, 4)[:-1].upper()}", points=12, bold=True, centre=True)
        pen.gap()
        item = 1
        while pen.room():
            pen.write(f"{item}. {sentence(rng, rng.randint(14, 30))}", indent_mm=0)
            item += 1
    elif layout == "table":
        pen.write(f"Rekapitulasi {sentence(rng, 3)[:-1]}", points=12, bold=True)
        pen.gap()
        _table(pen, rng, rows=rng.randint(8, 18))
        pen.write(sentence(rng, 16))
    else:  # letter, photo, stamp: a heading, paragraphs
        pen.write(sentence(rng, 5)[:-1], points=13, bold=True)
        pen.gap()
        paragraphs = rng.randint(3, 5) if layout == "letter" else 2
        for _ in range(paragraphs):
            pen.write(" ".join(sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(2, 4))))
            pen.gap()
        if layout == "photo":
            size = (round(120 / 25.4 * dpi), round(80 / 25.4 * dpi))
            if pen.y + size[1] < pen.bottom:
                image.paste(photo(*size, seed), (pen.left, pen.y))
                pen.y += size[1] + round(5 / 25.4 * dpi)
            pen.write(f"Gambar 1. {sentence(rng, 6)}", points=9)
        if layout == "stamp":
            pen.write("Ketua,", indent_mm=100)
            _stamp(image, (pen.left + round(95 / 25.4 * dpi), pen.y), dpi)
            pen.gap(4)
            pen.write(rng.choice(WORDS).upper() + " " + rng.choice(WORDS).upper(), bold=True, indent_mm=100)
    number = _numbered(pen, rng, page_no, of, numbering)
    return Printed(image, "\n".join(pen.lines), layout, number)


def _stamp(image: Image.Image, at: tuple[int, int], dpi: int) -> None:
    """A round stamp with a signature scrawled over it, in grey (a blue or red stamp, in grey)."""
    draw = ImageDraw.Draw(image)
    radius, width = round(17 / 25.4 * dpi), max(2, round(dpi / 100))
    x, y = at
    draw.ellipse((x, y, x + 2 * radius, y + 2 * radius), outline=110, width=width)
    draw.ellipse((x + radius // 3, y + radius // 3, x + 5 * radius // 3, y + 5 * radius // 3), outline=110, width=width)
    points = [(x + radius * (0.3 + 0.12 * k), y + radius * (1.0 + 0.4 * np.sin(k * 1.7))) for k in range(14)]
    draw.line(points, fill=30, width=width)
