"""A fixed archive for the search tests: 42 register entries with known words, numbers, names,
units, years, categories and versions, written straight into the database (no OCR), indexed as
filing indexes them. `QUERIES` are the questions and their known answers."""

from __future__ import annotations

import datetime as dt

from scan_station import search
from scan_station.db.database import Batch, Document, DocumentPage, Entry

FILLER = ("Kegiatan ini dilaksanakan oleh sekretariat pada hari kerja. "
          "Catatan ini dibuat untuk keperluan administrasi kantor.")
UNITS = ["Subbagian Keuangan, Umum dan Logistik", "Subbagian Teknis Penyelenggaraan",
         "Subbagian Hukum dan SDM", "Subbagian Perencanaan, Data dan Informasi"]
#: (word in the title, another form of it in the text): each makes one document (T01..T24)
TOPICS = [("hibah", "menghibahkan"), ("audit", "diaudit"), ("verifikasi", "memverifikasi"),
          ("sosialisasi", "disosialisasikan"), ("kampanye", "berkampanye"), ("distribusi", "pendistribusian"),
          ("evaluasi", "mengevaluasi"), ("pelantikan", "dilantik"), ("sengketa", "persengketaan"),
          ("gugatan", "menggugat"), ("pengarsipan", "arsip"), ("kontrak", "dikontrakkan"), ("lelang", "pelelangan"),
          ("pemutakhiran", "dimutakhirkan"), ("bantuan", "membantu"), ("pengawasan", "diawasi"),
          ("pencalonan", "mencalonkan"), ("pelatihan", "dilatih"), ("pemeriksaan", "diperiksa"),
          ("penyusunan", "disusun"), ("pembayaran", "dibayarkan"), ("peminjaman", "dipinjam"),
          ("pengiriman", "dikirimkan"), ("penghargaan", "dihargai")]


def _special() -> list[dict]:
    """Entries with a purpose: phrases, exclusions, prefixes, numbers, names, permissions, versions."""
    d = dict
    return [
        d(id="S01", title="Berita Acara Rapat Pleno", pages=[FILLER, "Rapat pleno terbuka rekapitulasi hasil "
          "penghitungan surat suara tingkat kota."], year=2025),
        d(id="S02", title="Undangan", pages=["Surat undangan ini memuat hak suara anggota.", FILLER], year=2024),
        d(id="S03", title="Notulen Rapat Koordinasi", pages=["Rapat koordinasi persiapan tahapan.", FILLER]),
        d(id="S04", title="Catatan Pemungutan", pages=["Warga memilih di tempat pemungutan suara."], year=2023),
        d(id="S05", title="Laporan Pemilihan Umum", pages=[FILLER, FILLER, "Pelaksanaan pemilihan umum serentak."]),
        d(id="S06", title="Jadwal Pemilu", pages=["Jadwal pemilu dan pemilukada diubah."]),
        d(id="S07", title="Standar Operasional Prosedur Hubungan Masyarakat", number="19/PP.07-SOP/HM/I/2025",
          pages=["Prosedur tetap layanan informasi.", FILLER], year=2025),
        d(id="S08", title="Keputusan Penetapan", pages=[FILLER, "Keputusan Nomor: 27/PL.O1-Kpt/III/2024 tentang "
          "jadwal."], year=2024),
        d(id="S09", title="Surat Tugas", responsible="Suharyanto", pages=["Ditandatangani oleh Suharyanto."]),
        d(id="S10", title="Disposisi", pages=["Diteruskan kepada Bapak Suharyamto untuk tindak lanjut."]),
        d(id="S11", title="Rapat Pleno Tertutup", category="dikecualikan", pages=["Rapat pleno tertutup membahas "
          "surat suara rusak. Kata sandi zirkon."]),
        d(id="S12", title="Anggaran Zamrud", versions=[("accepted", "Anggaran lama zamrud versi pertama."),
                                                    ("submitted", "Anggaran zamrud hasil pindai ulang.")]),
        d(id="S13", title="Laporan Safir", versions=[("accepted", "Laporan safir yang diterima."),
                                                  ("returned", "Laporan safir dengan halaman terbalik.")]),
        d(id="S14", title="Laporan Berlian", versions=[("returned", "Laporan berlian yang dikembalikan.")]),
        d(id="S15", title="Rekap Kehadiran", unit=UNITS[2], category="serta-merta",
          pages=["Rekap kehadiran anggota rapat pleno."], year=2023),
        d(id="S16", title="Daftar Hadir Rapat Pleno", unit=UNITS[3], category="setiap-saat",
          pages=["Daftar hadir rapat pleno rekapitulasi."], year=2024),
        d(id="S17", title="Nota Dinas Kuarsa", category="dikecualikan", number="88/HK.03-ND/II/2025",
          pages=["Nota dinas kuarsa tentang anggaran."], year=2025),
        d(id="S18", title="Memo Giok", pages=["Memo giok: surat-menyurat dengan pihak ketiga."]),
        # a name's words scattered all over one page, and standing together on the next
        d(id="S19", title="Keputusan Panitia Seleksi", pages=[
            "Peserta: Intan Hakim, Bayu Permadi, Permadi Intan, Bayu Hakim; Intan, Bayu, Permadi, Intan, Bayu.",
            "Ditetapkan oleh Intan Bayu Permadi."]),
    ]


def entries() -> list[dict]:
    out = []
    for n, (word, form) in enumerate(TOPICS, start=1):
        out.append({"id": f"T{n:02d}", "title": f"Dokumen {word.title()}", "unit": UNITS[n % 4],
                    "year": 2023 + n % 3, "category": "berkala",
                    "pages": [FILLER, f"Berkas ini {form} sesuai ketentuan.", FILLER][: 1 + n % 3]})
    return out + _special()


def build(db) -> dict[str, str]:
    """Write the archive into `db` (an empty home's); returns short id -> register id."""
    ids = {}
    with db.session() as s:
        s.add(Batch(id="B-CORPUS", source_name="corpus", raw_dir="raw/corpus", manifest_sha256="0" * 64, page_count=1))
        for spec in entries():
            entry = Entry(id=f"PPID-{spec['id']}", title=spec["title"], unit=spec.get("unit", UNITS[0]),
                          category=spec.get("category", "berkala"), number=spec.get("number", ""),
                          responsible=spec.get("responsible", ""),
                          created_date=dt.date(spec.get("year", 2024), 5, 1))
            s.add(entry)
            s.flush()
            ids[spec["id"]] = entry.id
            versions = spec.get("versions") or [("accepted", "\n".join(spec["pages"]))]
            for version, (status, text) in enumerate(versions, start=1):
                pages = spec["pages"] if "pages" in spec else [text]
                _document(s, entry, version, status, pages)
    return ids


def _document(s, entry, version, status, pages):
    document = Document(register_id=entry.id, version=version, batch_id="B-CORPUS", batch_pages=[1],
                        page_count=len(pages), path=f"{entry.id}-v{version}.pdf", sha256="0" * 64,
                        sidecar_path=f"{entry.id}-v{version}.json", sidecar_sha256="0" * 64, status=status)
    s.add(document)
    s.flush()
    for n, text in enumerate(pages, start=1):
        s.add(DocumentPage(document_id=document.id, page=n, batch_page=n, text=text))
    search.index_document(s, document, entry, pages)


def _topic_queries() -> list[tuple[str, list[str]]]:
    out = []
    for n, (word, form) in enumerate(TOPICS, start=1):
        out += [(word, [f"T{n:02d}"]), (form, [f"T{n:02d}"])]
    return out


#: (query, the documents it must find, exactly; for ranked answers, in this order) as seen by a
#: role that may see "dikecualikan"
QUERIES: list[tuple[str, list[str]]] = _topic_queries() + [
    ('"surat suara"', ["S01", "S11"]),
    ("surat suara", ["S01", "S02", "S11"]),  # S04 has "suara" only
    ('"suara surat"', []),
    ("rapat -pleno", ["S03"]),
    ('rapat -"rapat pleno"', ["S03"]),
    ("pleno -tertutup -kehadiran", ["S01"]),  # S16's "hadir" is a form of "kehadiran": left out too
    ("pemilihan", ["S04", "S05"]),
    ("memilih", ["S04", "S05"]),
    ("pemil*", ["S05", "S06"]),  # S04 "memilih" does not begin so
    ("pemilu*", ["S06"]),
    ("pleno OR koordinasi", ["S01", "S03", "S11", "S15", "S16"]),
    ("19/PP.07-SOP/HM/I/2025", ["S07"]),
    ("19/PP.07-SOP/HM/1/2025", ["S07"]),
    ("l9/PP.O7-SOP/HM/I/2025", ["S07"]),
    ("19.PP.07.SOP.HM.I.2025", ["S07"]),
    ('nomor:"19 PP 07 SOP HM I 2025"', ["S07"]),
    ("nomor:19/PP.07", ["S07"]),
    ("27/PL.01-Kpt/III/2024", ["S08"]),
    ("Suharyanto", ["S09", "S10"]),  # the exact name first, the misread one after
    ("suharyamto", ["S10", "S09"]),
    ("pleno unit:hukum", ["S15"]),
    ('pleno unit:"Perencanaan, Data"', ["S16"]),
    ("pleno kategori:setiap-saat", ["S16"]),
    ("pleno tahun:2023", ["S15"]),
    ("tahun:2025 kategori:dikecualikan", ["S17"]),
    ("zamrud", ["S12"]),
    ("safir", ["S13"]),
    ("berlian", []),
    ("zamrud status:diajukan", ["S12"]),
    ("safir status:diterima", ["S13"]),
    ("zirkon", ["S11"]),
    ('"surat menyurat"', ["S18"]),
    ("surat-menyurat", ["S18"]),
    ("a\"b OR", []),
    ("unit:", []),
    ("---", []),
    ("88/HK.O3-ND/II/2025", ["S17"]),
    ("intan bayu permadi", ["S19"]),
]
#: Queries whose answers are ranked (the order above is asserted); the others are sets.
RANKED = {"Suharyanto", "suharyamto"}
