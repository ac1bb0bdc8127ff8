"""A realistic archive for `bench_search`: KPU Kota Tangerang's register and the text of its filed
documents, generated from a seed, with the ground truth of each benchmark query computed from
that text (never by a search engine).

What makes it realistic, and what each part tests:

- **A Zipfian vocabulary** (rank r drawn with weight 1/r): function words, then ~600 words of
  election administration with their affixed forms (`pilih`: memilih, dipilih, pemilih,
  pemilihan, terpilih, ...), then a long tail of rare words. The head is what makes a one-word
  query match nearly everything; the affixed forms are what stems join.
- **Letterheads that repeat** on every page ("KOMISI PEMILIHAN UMUM KOTA TANGERANG ... Jalan
  ..."), so that a few words match every document.
- **Document kinds with their numbers as printed**: decisions ("NOMOR 303 TAHUN 2024", spaced,
  one sequence a year), letters ("Nomor : 19/PP.07-SOP/3671/2024", a third of them printed with
  spaces, "No. 19 / PP.07 - SOP / 3671 / 2024"), minutes ("NOMOR: 45/BA/PL.01.2/3671/2024") and
  reports without a number. Bodies cite other documents' numbers, so a number is not unique.
- **People**: each document is signed by a full name no other document is signed by, from given
  names and family names that every other document shares ("Puji Nasution": thousands of Puji,
  thousands of Nasution); minutes list attendees drawn at random.
- **OCR's misreadings**: in one document in eight the printed number was read with a confusion
  tesseract makes on digits and capitals (O/0, I/l/1, S/5, B/8, Z/2, G/6); such entries have no
  number in the register, so only the page text can find them.
- **A register** with every field a DIP has, a tenth of it `dikecualikan`; half the entries give
  the document's number. **Versions and returns**: one entry in twenty is filed again (a
  "PERUBAHAN"), and one version in thirty is returned by the PPID, so that search must show the
  latest version that was not returned.
"""

from __future__ import annotations

import itertools
import random
import re
from bisect import bisect
from dataclasses import dataclass, field

FUNCTION_WORDS = (
    "yang dan di ke dari untuk dengan pada dalam ini itu atas oleh sebagai tentang bahwa tersebut adalah akan "
    "telah dapat serta atau tidak juga secara kepada sesuai berdasarkan terhadap agar bagi antara setiap "
    "sudah belum masih hanya para pun lain lainnya tanggal hari bulan tahun nomor pukul wib tempat").split()

#: root -> its forms in administrative text; the root's own form first where it is used alone.
FAMILIES = {
    "pilih": "memilih dipilih pemilih pemilihan terpilih pilihan",
    "tetap": "menetapkan ditetapkan penetapan tetap ketetapan",
    "laksana": "melaksanakan dilaksanakan pelaksanaan pelaksana",
    "hitung": "penghitungan menghitung dihitung perhitungan", "rekap": "rekapitulasi merekapitulasi direkapitulasi",
    "umum": "umum mengumumkan diumumkan pengumuman", "usul": "usulan mengusulkan diusulkan pengusulan",
    "ada": "pengadaan mengadakan diadakan keadaan", "periksa": "pemeriksaan memeriksa diperiksa",
    "awas": "pengawasan mengawasi pengawas diawasi", "putus": "keputusan memutuskan diputuskan",
    "tugas": "tugas petugas bertugas menugaskan penugasan", "bentuk": "pembentukan membentuk dibentuk bentuk",
    "angkat": "pengangkatan mengangkat diangkat", "henti": "pemberhentian memberhentikan diberhentikan",
    "daftar": "daftar pendaftaran mendaftar terdaftar", "data": "data pendataan pemutakhiran",
    "sah": "pengesahan mengesahkan disahkan sah", "atur": "peraturan mengatur diatur pengaturan",
    "lapor": "laporan melaporkan dilaporkan pelapor", "kirim": "pengiriman mengirimkan dikirim",
    "terima": "penerimaan menerima diterima penerima", "serah": "penyerahan menyerahkan diserahkan",
    "sosialisasi": "sosialisasi mensosialisasikan", "ajar": "pengajaran pelajaran belajar",
    "didik": "pendidikan pendidik", "ikut": "mengikuti diikuti peserta", "rapat": "rapat", "pleno": "pleno",
    "suara": "suara bersuara", "calon": "calon pencalonan mencalonkan", "anggar": "anggaran penganggaran",
    "belanja": "belanja pembelanjaan", "realisasi": "realisasi", "kegiatan": "kegiatan", "barang": "barang",
    "jasa": "jasa", "logistik": "logistik", "distribusi": "distribusi", "kotak": "kotak", "bilik": "bilik",
    "tinta": "tinta", "formulir": "formulir", "partai": "partai", "politik": "politik", "dewan": "dewan",
    "wakil": "perwakilan mewakili wakil", "rakyat": "rakyat", "daerah": "daerah", "ketua": "ketua",
    "sekretaris": "sekretaris sekretariat", "tahap": "tahapan bertahap", "jadwal": "jadwal penjadwalan",
    "program": "program", "masyarakat": "masyarakat", "sengketa": "sengketa", "gugat": "gugatan menggugat",
    "berat": "keberatan", "informasi": "informasi", "publik": "publik", "dokumen": "dokumen dokumentasi",
    "arsip": "arsip kearsipan pengarsipan", "berita": "berita", "acara": "acara", "nota": "nota", "dinas": "dinas",
    "undang": "undangan mengundang diundang perundangan", "disposisi": "disposisi", "verifikasi": "verifikasi",
    "faktual": "faktual", "penduduk": "penduduk kependudukan", "kecamatan": "kecamatan", "kelurahan": "kelurahan",
    "panitia": "panitia kepanitiaan", "badan": "badan", "ad": "adhoc", "tps": "tps", "ppk": "ppk", "pps": "pps",
    "kpps": "kpps", "pantarlih": "pantarlih", "saksi": "saksi kesaksian", "honor": "honorarium",
    "bayar": "pembayaran membayar dibayarkan", "biaya": "biaya pembiayaan", "keuang": "keuangan",
    "pertanggungjawaban": "pertanggungjawaban", "bukti": "bukti pembuktian", "kontrak": "kontrak",
    "sewa": "sewa penyewaan", "gedung": "gedung", "kendara": "kendaraan", "cetak": "pencetakan mencetak dicetak",
    "surat": "surat", "salin": "salinan menyalin", "sampai": "penyampaian menyampaikan disampaikan",
    "mohon": "permohonan memohon pemohon", "minta": "permintaan meminta diminta",
    "jawab": "jawaban menjawab penanggung", "tanggap": "tanggapan menanggapi",
    "selesai": "penyelesaian menyelesaikan diselesaikan", "kampanye": "kampanye berkampanye",
    "dana": "dana pendanaan", "audit": "audit diaudit", "hasil": "hasil menghasilkan", "alat": "alat peralatan",
    "peraga": "peraga", "tempat": "penempatan ditempatkan", "lantik": "pelantikan melantik dilantik",
    "sumpah": "sumpah", "janji": "janji perjanjian", "evaluasi": "evaluasi mengevaluasi",
    "pantau": "pemantauan memantau pemantau",
}
#: Two given names and a family name make a person; thousands share each word of a name.
GIVEN = ("Puji Agus Budi Dewi Eko Fitri Gita Hadi Indah Joko Kartika Lukman Mega Nur Oki Putri Rina Sari Teguh "
         "Umar Vina Wahyu Yusuf Zainal Ahmad Bayu Citra Dian Endang Fajar Galih Hendra Ika Jaya Kurnia Lina Maya "
         "Nanda Okta Prasetyo Ratna Slamet Tri Utami Wulan Yanti Asep Bambang Cecep Dedi Euis Farida Gunawan Heri "
         "Iwan Juju Komar Lilis Mamat Neneng Ojat Popon Rudi Siti Tatang Ujang Yayat Aan Ade Anis Arif Dadang "
         "Deni Diah Erna Fauzi Hasan Irfan Lia Mulyadi Nining Nurul Rahmat Rini Rizki Suryani Taufik Yuli").split()
FAMILY = ("Nasution Siregar Lubis Harahap Simanjuntak Situmorang Hutapea Sinaga Tanjung Daulay Rangkuti "
          "Pohan Hasibuan Batubara Ginting Tarigan Sembiring Purba Saragih Damanik Manurung Pardede Panjaitan "
          "Sitompul Hakim Rahman Hidayat Kurniawan Setiawan Nugroho Saputra Permana Wijaya Santoso Susanto "
          "Gunadi Prakoso Wibowo Pratama Suryadi Hartono Kusuma Wirawan Sudrajat Firmansyah Ramadhan Maulana "
          "Hakiki Fauzan Syahputra Rosyid Mahendra Anggara Kartasasmita Sumantri Hardjono Purnomo").split()
UNITS = ("Sekretaris", "Subbagian Keuangan, Umum dan Logistik", "Subbagian Teknis Penyelenggaraan Pemilu",
         "Subbagian Hukum dan Sumber Daya Manusia", "Subbagian Perencanaan, Data dan Informasi",
         "Divisi Sosialisasi, Pendidikan Pemilih dan Partisipasi Masyarakat")
CODES = ("PP.07-SOP", "PL.01.2-SD", "HK.03.1-Kpt", "KU.02.1-Und", "PY.02.1-SD", "SDM.12-Pu", "PR.01.3-SD")
CATEGORIES = ("berkala",) * 5 + ("serta-merta", "setiap-saat", "setiap-saat") + ("dikecualikan",)
LETTERHEAD = ("KOMISI PEMILIHAN UMUM KOTA TANGERANG Jalan Satria Sudirman Nomor 1 Kelurahan Sukaasih "
              "Kecamatan Tangerang Kota Tangerang Banten 15111 Telepon 021 5523 4680 laman kota-tangerang.kpu.go.id")
#: What tesseract confuses in numbers, both ways.
CONFUSIONS = {"0": "O", "O": "0", "1": "l", "l": "1", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8",
              "2": "Z", "Z": "2", "6": "G", "G": "6"}
_NORMAL = re.compile(r"[^\W_]+")


def words(text: str) -> str:
    """A text as ground truth reads it: lower-case runs of letters and digits, one space between,
    a space at each end (so that `f" {phrase} " in words(text)` finds whole words)."""
    return " " + " ".join(_NORMAL.findall(text.lower())) + " "



@dataclass
class Version:
    version: int
    pages: list[str]
    returned: bool = False


@dataclass
class ArchiveEntry:
    register_id: str
    fields: dict
    kind: str
    number: str  # as printed on its first page ("" for a report)
    number_typed: str  # as an officer types it from the paper ("NOMOR 303 TAHUN 2024", "19/PP.07-SOP/...")
    signer: str
    number_misread: bool  # OCR misread the printed number in the page text
    versions: list[Version] = field(default_factory=list)

    def searchable(self) -> Version | None:
        """What search shows: the latest version not returned."""
        kept = [v for v in self.versions if not v.returned]
        return max(kept, key=lambda v: v.version) if kept else None


class _Zipf:
    def __init__(self, vocabulary: list[str]):
        self.vocabulary = vocabulary
        self.cum = list(itertools.accumulate(1 / (r + 1) for r in range(len(vocabulary))))

    def draw(self, rng: random.Random, n: int) -> list[str]:
        total, cum, vocab = self.cum[-1], self.cum, self.vocabulary
        return [vocab[bisect(cum, rng.random() * total)] for _ in range(n)]


def _vocabulary(rng: random.Random, tail: int) -> list[str]:
    forms = [f for family in FAMILIES.values() for f in family.split()]
    rng.shuffle(forms)
    syllables = [c + v for c in "bcdghjklmnprstwy" for v in "aiueo"]
    rare = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(tail)}
    return FUNCTION_WORDS + forms + sorted(rare - set(forms) - set(FUNCTION_WORDS))


#: Words around a number that are not part of it (an OCR misreading of them is not the number's).
_NOT_NUMBER = frozenset({"NOMOR", "TAHUN", "Nomor", "No"})


def misread(rng: random.Random, value: str, changes: int = 1) -> str:
    """`value` with `changes` of its number's characters read as tesseract confuses them."""
    spots = [m.start() + i for m in _NORMAL.finditer(value) if m.group() not in _NOT_NUMBER
             for i, c in enumerate(m.group()) if c in CONFUSIONS]
    chars = list(value)
    for i in rng.sample(spots, min(changes, len(spots))):
        chars[i] = CONFUSIONS[chars[i]]
    return "".join(chars)


class Archive:
    """`documents` filed versions of about 0.95 × as many register entries, ~5.3 pages each."""

    def __init__(self, documents: int, *, seed: int = 12, exempt_share: float = 0.1):
        self.rng = rng = random.Random(seed)
        self.zipf = _Zipf(_vocabulary(rng, tail=max(2000, documents // 2)))
        pairs = [f"{g} {f}" for g in GIVEN for f in FAMILY]
        rng.shuffle(pairs)
        # Half the two-word names sign one document each, the other half are named in passing;
        # then three-word names, each signing one document.
        self.people = pairs[len(pairs) // 2:]
        triples = (f"{g} {h} {f}" for g, h, f in zip(itertools.cycle(GIVEN), rng.sample(GIVEN * 400, len(GIVEN) * 400),
                                                      itertools.cycle(rng.sample(FAMILY, len(FAMILY)))))
        signers = list(dict.fromkeys(itertools.chain(pairs[:len(pairs) // 2],
                                                     (t for t in triples if len(set(t.split())) == 3))))
        forms = [f for family in FAMILIES.values() for f in family.split()]
        self.titles = _Zipf(rng.sample(forms, len(forms)))
        self.entries: list[ArchiveEntry] = []
        sequences: dict[tuple[str, int], int] = {}
        filed = 0
        while filed < documents:
            n = len(self.entries)
            year = 2021 + n * 5 // max(documents, 1) % 5
            kind = rng.choice(("keputusan", "surat", "surat", "berita acara", "laporan"))
            seq = sequences[(kind, year)] = sequences.get((kind, year), 0) + 1
            entry = self._entry(n, year, kind, seq, signers[n % len(signers)], exempt_share)
            versions = 2 if rng.random() < 0.05 else 1
            for v in range(1, versions + 1):
                entry.versions.append(Version(v, self._pages(entry, v),
                                              returned=rng.random() < 1 / 30))
            self.entries.append(entry)
            filed += versions

    # -- making documents ---------------------------------------------------------------------------

    def _entry(self, n: int, year: int, kind: str, seq: int, signer: str, exempt_share: float) -> ArchiveEntry:
        rng = self.rng
        code = rng.choice(CODES)
        number, typed = {
            "keputusan": (f"NOMOR {seq} TAHUN {year}", f"NOMOR {seq} TAHUN {year}"),
            "surat": (f"Nomor : {seq}/{code}/3671/{year}", f"{seq}/{code}/3671/{year}"),
            "berita acara": (f"NOMOR: {seq}/BA/{code}/3671/{year}", f"{seq}/BA/{code}/3671/{year}"),
            "laporan": ("", ""),
        }[kind]
        if kind == "surat" and rng.random() < 1 / 3:  # printed with spaces
            number = f"No. {seq} / {code.replace('-', ' - ')} / 3671 / {year}"
        misread_number = bool(number) and rng.random() < 1 / 8
        title_words = " ".join(dict.fromkeys(self.titles.draw(rng, rng.randint(3, 7))))
        title = f"{kind.title()} tentang {title_words}"
        category = "dikecualikan" if rng.random() < exempt_share else rng.choice(CATEGORIES[:-1])
        fields = {
            "id": f"PPID-{year}-{n + 1:06d}", "title": title, "unit": rng.choice(UNITS),
            "summary": " ".join(self.zipf.draw(rng, rng.randint(8, 20))), "responsible": rng.choice(self.people[:40]),
            "created_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "place": "Kota Tangerang",
            "format": "softcopy", "category": category, "classification": code.split("-")[0],
            "number": typed if (number and not misread_number and rng.random() < 0.5) else "",
        }
        return ArchiveEntry(fields["id"], fields, kind, number, typed, signer, misread_number)

    def _pages(self, entry: ArchiveEntry, version: int) -> list[str]:
        rng = self.rng
        count = max(1, min(24, int(rng.lognormvariate(1.5, 0.6))))
        printed = misread(rng, entry.number, 2) if entry.number_misread else entry.number
        head = f"{entry.kind.upper()} {'PERUBAHAN ' if version > 1 else ''}{printed}\n{entry.fields['title']}"
        pages = []
        for p in range(count):
            body = self.zipf.draw(rng, rng.randint(150, 450))
            for _ in range(rng.randint(0, 2)):  # a cited document, a person named in passing
                body.insert(rng.randrange(len(body)), rng.choice((self._citation(), rng.choice(self.people))))
            if entry.kind == "berita acara" and p == 0:
                body[:0] = ["hadir"] + [rng.choice(self.people) for _ in range(rng.randint(3, 8))]
            lines = [LETTERHEAD, head if p == 0 else f"- {p + 1} -", " ".join(body)]
            if p == count - 1:
                lines.append(f"KETUA KOMISI PEMILIHAN UMUM KOTA TANGERANG\nttd\n{entry.signer.upper()}")
            pages.append("\n".join(lines))
        return pages

    def _citation(self) -> str:
        rng = self.rng
        year = rng.randint(2017, 2025)
        return rng.choice((f"Keputusan KPU Nomor {rng.randint(1, 400)} Tahun {year}",
                           f"Peraturan KPU Nomor {rng.randint(1, 25)} Tahun {year}",
                           f"surat Nomor {rng.randint(1, 400)}/{rng.choice(CODES)}/3671/{year}"))

    # -- what it holds --------------------------------------------------------------------------------

    def documents(self):
        """(entry, version) for every filed version."""
        return ((e, v) for e in self.entries for v in e.versions)

    @property
    def page_count(self) -> int:
        return sum(len(v.pages) for _e, v in self.documents())
