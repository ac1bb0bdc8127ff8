"""The fields of a register entry: their names (the database's columns, the CLI's and JSON's keys),
the headers of a DIP spreadsheet, and their limits. Apart from `register`, so that a short command
can name the columns without importing SQLAlchemy (`sqlite_read`)."""

from __future__ import annotations

from dataclasses import dataclass

from .entry_ids import MAX_ID_LENGTH


@dataclass(frozen=True)
class Field:
    name: str  # attribute of Entry and CLI/JSON key
    header: str  # CSV column header, as in a DIP spreadsheet
    required: bool = False
    max_length: int = 200  # characters, after cleaning
    multiline: bool = False  # keeps its line breaks (only the summary)


FIELDS = (
    Field("id", "Nomor Register", max_length=MAX_ID_LENGTH),
    Field("title", "Judul Informasi", required=True, max_length=500),
    Field("summary", "Ringkasan Isi Informasi", max_length=5000, multiline=True),
    Field("unit", "Pejabat/Unit yang Menguasai Informasi", required=True),
    Field("responsible", "Penanggung Jawab Pembuatan/Penerbitan Informasi"),
    Field("created_date", "Waktu Pembuatan Informasi", max_length=40),
    Field("place", "Tempat Pembuatan Informasi"),
    Field("format", "Bentuk Informasi yang Tersedia", max_length=40),
    Field("retention", "Jangka Waktu Penyimpanan atau Retensi Arsip"),
    Field("category", "Kategori Informasi", required=True, max_length=40),
    Field("classification", "Kode Klasifikasi", max_length=40),
    Field("number", "Nomor Naskah", max_length=120),
    Field("hardcopy_location", "Lokasi Penyimpanan Hardcopy"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
