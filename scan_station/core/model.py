"""The typed objects that flow between the steps: what a page is, a scan profile, a fault, a
document's OCR'd PDF.

Plain dataclasses with no behaviour beyond reading themselves back from JSON, importable without
the image, OCR or scanner libraries (the kiosk and the command line use them too).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

COVER, BLANK, CONTENT = "cover", "blank", "content"
#: A cover symbol or mark less dark than this (of the paper's brightness) is not printed on the
#: side scanned: it shows through from the other side, or the sheet is face down.
FAINT = 0.25
#: The reason a cover sheet's pages are held when nobody can read it.
UNREADABLE = "lembar sampul tidak terbaca"


@dataclass(frozen=True)
class PageClass:
    """What one page of a batch is (see `classify`)."""

    number: int  # 1-based page of the batch
    kind: str  # COVER, BLANK or CONTENT
    register_id: str | None = None  # for covers with a valid payload
    problem: str | None = None  # for covers that cannot be trusted
    orientation: str | None = None  # of the cover's barcode: UP, RIGHT, DOWN, LEFT
    foreign_barcodes: tuple[str, ...] = ()
    decode_ms: float = field(default=0.0, compare=False)
    #: How dark the cover's symbols are (of the paper's brightness); for a cover's back, its shadow's.
    contrast: float = field(default=0.0, compare=False)
    #: The register id whose payload shows only mirrored or faint: the other side of a cover sheet.
    shadow_of: str | None = None
    mark: float = field(default=0.0, compare=False)  # strength of the cover mark, 0 when there is none
    maybe_blank: bool = False  # content kept although it might be blank ("mungkin kosong")
    #: Why the page is what it is, in words, and the ink measured (for blank and content pages).
    reason: str = field(default="", compare=False)
    measure: dict | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, data: dict) -> PageClass:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**values | {"foreign_barcodes": tuple(values.get("foreign_barcodes", ()))})


@dataclass(frozen=True)
class Profile:
    """Scanner settings in device-independent terms (see `scanner.fit`)."""

    name: str
    source: str  # flatbed, adf, adf-duplex
    mode: str  # lineart, gray, color
    resolution: int
    page_size: str  # key of PAGE_SIZES_MM, or "max"

    @property
    def feeder(self) -> bool:
        return self.source != "flatbed"


@dataclass(frozen=True)
class Fault:
    """What stopped a scan, and what to do, in Bahasa Indonesia and in English."""

    kind: str
    id: str  # Bahasa Indonesia, shown first
    en: str
    #: Where the fault's detail is the service's (a profile the device cannot do): the code and
    #: parameters a screen translates, as every `ScanStationError` carries.
    code: str = ""
    params: dict = field(default_factory=dict, hash=False, compare=False)


#: Paper sizes profiles may name, in millimetres.
SOURCES, MODES = ("flatbed", "adf", "adf-duplex"), ("lineart", "gray", "color")
PAGE_SIZES_MM = {"A4": (210, 297), "F4": (215, 330), "A5": (148, 210), "Letter": (216, 279), "Legal": (216, 356)}


#: What a page check's code means, in Bahasa Indonesia and in English: the kiosk translates the
#: code itself; these are for the record (`ingest --json`, sidecars).
CHECK_LABELS = {
    "unreadable": ("teks sulit dibaca", "text hard to read"),
    "no_text": ("tidak ada teks terbaca", "no text read"),
    "maybe_blank": ("mungkin kosong", "maybe blank"),
    "skewed": ("terlalu miring", "skewed beyond levelling"),
    "cut_off": ("isi terpotong di tepi", "content cut off at the edge"),
    "darker": ("jauh lebih gelap dari halaman lain", "much darker than the other pages"),
    "lighter": ("jauh lebih terang dari halaman lain", "much lighter than the other pages"),
    "page_missing": ("halaman hilang", "page missing"),
    "page_repeated": ("halaman berulang", "page repeated"),
    "no_page_in_photo": ("halaman tidak ditemukan di foto", "no page found in the photo"),
    "photo_outline": ("batas halaman di foto perlu diperiksa", "the page's outline in the photo needs checking"),
}


@dataclass(frozen=True)
class PageCheck:
    """Something on a page the officer should look at (`page_checks`): a code the kiosk
    translates, its figures, and what was found, in English, for the record."""

    page: int  # the batch page
    code: str  # a key of CHECK_LABELS
    detail: str = ""
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        indonesian, english = CHECK_LABELS.get(self.code, (self.code, self.code))
        return f"{indonesian} ({english})" + (f": {self.detail}" if self.detail else "")

    def as_dict(self) -> dict:
        return {"page": self.page, "code": self.code, "reason": self.reason, "detail": self.detail,
                "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict) -> PageCheck:
        if data["code"] not in CHECK_LABELS or not isinstance(data.get("params", {}), dict):
            raise ValueError(f"not a page check: {data!r}")
        return cls(int(data["page"]), data["code"], str(data.get("detail", "")), dict(data.get("params", {})))


@dataclass(frozen=True)
class OcrResult:
    """A document made searchable: its PDF/A in the work folder, the text of each page, and what
    the PDF/A validator said; for pages read one by one, each page's readability verdict
    (`readability.Readability.as_dict`) and the checks it failed."""

    key: str
    output_pdf: Path
    page_texts: list[str]
    pdfa_passed: bool
    pdfa_findings: list[str]
    page_readability: list[dict | None] = field(default_factory=list)
    page_checks: tuple[PageCheck, ...] = ()


# -- lifecycles stored as strings: one vocabulary each, the database holds their values ------------


class DocumentStatus(StrEnum):
    """Where a filed version stands in the handover (`document.status`; a `DocumentEvent`'s
    action is one of these too)."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class BatchOutcome(StrEnum):
    """What became of a batch received (`batch.status`); a batch still being scanned or reviewed
    has a `batchfolder.Status` instead."""

    RECEIVED = "received"  # its raw pages are kept; its documents are being filed
    FILED = "filed"
    FAILED = "failed"
    CANCELLED = "cancelled"  # given up at the kiosk; its pages kept in storage (`cancel`)


class RequestStatus(StrEnum):
    """A request for access to "dikecualikan" (`access_request.status`, `grants`)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
