"""Softcopies handed over to the PPID (SOP step 2): born-digital files filed as a scan is.

One hand-over is one or more files for one register entry; together they become the entry's next
version. Each file is checked before any work (`examine`): its size, that its content is what its
name says, that it is not password-protected, the signatures a PDF carries. Office documents
become PDF through LibreOffice; then everything goes through `ingest` as one document: the files
kept byte for byte in the raw batch, with SHA-256s, the PDF/A beside them. Pages that carry text
keep it (ocrmypdf's skip-text: no OCR of good text); pages without text are OCR'd like scans.

A digitally signed PDF stays the record, unchanged; each signature is checked before it is named
(`signatures`: intact, unchanged since signing, certificate valid then, signer chained to a
configured trust root), and the PDF/A made from it is an access copy (the signature cannot survive
the conversion) whose metadata says so, with each signature's verdict.
"""

from __future__ import annotations

import io
import re
import shutil
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pikepdf
from PIL import Image

from .._exec.libreoffice import convert_to_pdf
from ..core import storage
from ..core.config import Settings
from ..core.errors import InputFileError
from ..core.model import PageCheck
from ..db.database import Database, utcnow
from ..pages.batch_input import BatchInput, PageOrigin, read_batch
from ..pages.photo import PHOTO_KINDS, PhotoError, PhotoPage, take
from ..records import signatures as signature_checks
from ..records.signatures import SignatureCheck, access_copy_note
from .sources import IngestOptions, IngestResult, IngestSource

#: What may be handed over: file name ending -> kind.
KINDS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff", ".tiff": "tiff",
         ".webp": "webp", ".heic": "heic", ".heif": "heic", ".docx": "docx", ".xlsx": "xlsx", ".pptx": "pptx",
         ".odt": "odt", ".ods": "ods"}
OFFICE = {"docx", "xlsx", "pptx", "odt", "ods"}
#: The parts of an office document that are its text and settings, never a picture.
_OFFICE_TEXT = re.compile(r"(\.xml|\.rels|^mimetype)$")
#: An office file (a zip) that unpacks to more than this is a decompression bomb, not a document.
MAX_UNPACKED_BYTES = 2 * 1024**3
_OOXML_PART = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_ODF_TYPES = {"application/vnd.oasis.opendocument.text": "odt",
              "application/vnd.oasis.opendocument.spreadsheet": "ods"}
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
#: The ISO media brands of a HEIF picture (HEIC, what phones send).
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class SoftcopyError(InputFileError):
    """A file that cannot be handed over as it is."""


#: A signature a PDF carries and its verdict (`signatures.SignatureCheck`; the name records had).
Signature = SignatureCheck


@dataclass(frozen=True)
class Original:
    """One file as handed over."""

    name: str
    kind: str
    sha256: str
    bytes: int
    signatures: tuple[Signature, ...] = ()
    photo: dict | None = None  # a photo's page: found and flattened, or not found (`pages.photo`)

    def as_dict(self) -> dict:
        return asdict(self) | {"signatures": [s.as_dict() for s in self.signatures]}


def examine(path: Path, settings: Settings) -> Original:
    """Check one file before any work; SoftcopyError says what is wrong and what to hand over instead."""
    name = path.name
    if not path.is_file():
        raise SoftcopyError(f"{name}: not a file", code="not_file", name=name)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise SoftcopyError(f"{name}: {path.suffix or 'no extension'} cannot be handed over; use PDF, JPEG, PNG, "
                            "TIFF, WebP, HEIC, DOCX, XLSX, PPTX, ODT or ODS", code="extension", name=name)
    size = path.stat().st_size
    if size == 0:
        raise SoftcopyError(f"{name}: the file is empty", code="empty", name=name)
    if size > settings.softcopy_max_mb * 1024 * 1024:
        raise SoftcopyError(f"{name}: {size / 1024 / 1024:.0f} MB is over the limit of {settings.softcopy_max_mb} MB "
                            "(softcopy_max_mb); split it, or hand over a smaller copy", code="too_big", name=name,
                            limit=settings.softcopy_max_mb)
    found = content_kind(path)
    if found != kind:
        what = found.upper() if found else "no document Scan Station knows"
        raise SoftcopyError(f"{name}: the name says {kind.upper()}, but the content is {what}; "
                            "hand over the file as it was saved", code="mismatch", name=name, kind=kind.upper(),
                            found=found.upper() if found else "?")
    if kind == "pdf":
        _check_page_count(path, name, 0, settings)  # a 10,000-page PDF is refused before any work
    if kind in OFFICE:
        _check_office_images(path, name, settings)  # before LibreOffice decodes any of them
    signatures = pdf_signatures(path, settings) if kind == "pdf" else ()
    return Original(name, kind, storage.sha256_file(path), size, signatures)


def content_kind(path: Path) -> str | None:
    """What the file's bytes are, whatever its name says; SoftcopyError for a protected file."""
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    if head.startswith(OLE_MAGIC):  # where Office keeps an encrypted DOCX/XLSX/PPTX, and old .doc/.xls
        raise SoftcopyError(f"{path.name}: the document is password-protected (or an old Office format); "
                            "save an unprotected copy as DOCX, XLSX or PDF and hand that over", code="protected",
                            name=path.name)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    return None


def _check_office_images(path: Path, name: str, settings: Settings) -> None:
    """Every picture in an office document within `max_image_megapixels`, however its part is
    named (LibreOffice knows a picture by its bytes, not its name), in documents embedded in it
    too; read from the picture's header alone, nothing decoded. A picture Pillow does not know
    (EMF, SVG) is left to the conversion's time limit and to the check of the pages it makes."""
    from ..pages.source import pillow_limit

    with zipfile.ZipFile(path) as archive, pillow_limit(settings.max_image_megapixels):
        _check_pictures(archive, name, settings, depth=0)


def _check_pictures(archive: zipfile.ZipFile, name: str, settings: Settings, *, depth: int) -> None:
    from PIL import Image

    for info in archive.infolist():
        if info.is_dir() or not info.file_size or _OFFICE_TEXT.search(info.filename.lower()):
            continue
        with archive.open(info) as member:
            head = member.read(4)
        if head == b"PK\x03\x04" and depth < 3 and info.file_size <= settings.softcopy_max_mb * 1024 * 1024:
            # an office document embedded in this one
            try:
                with zipfile.ZipFile(io.BytesIO(archive.read(info))) as inner:
                    _check_pictures(inner, name, settings, depth=depth + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                pass
            continue
        try:
            with archive.open(info) as member, Image.open(member) as picture:
                width, height = picture.size
        except Image.DecompressionBombError:  # larger than the limit by far: Pillow refused to look
            _too_big(name, info.filename, 0, 0, settings)
        except (OSError, SyntaxError, ValueError, zipfile.BadZipFile, EOFError, NotImplementedError):
            continue
        if width * height > settings.max_image_megapixels * 1e6:
            _too_big(name, info.filename, width, height, settings)


def _too_big(name: str, member: str, width: int, height: int, settings: Settings) -> None:
    size = f" of {width} × {height} pixels" if width else ""
    raise SoftcopyError(f"{name}: the picture {Path(member).name}{size} is larger than max_image_megapixels = "
                        f"{settings.max_image_megapixels:g}; make it smaller in the document, or hand over a PDF",
                        code="office_image", name=name, limit=f"{settings.max_image_megapixels:g}")


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise SoftcopyError(f"{path.name}: unpacks to more than {MAX_UNPACKED_BYTES // 1024**3} GB; "
                                    "this is no document (a decompression bomb)", code="bomb", name=path.name)
            names = {i.filename for i in infos}
            kind: str | None  # an OOXML part's kind, then the one its ODF mimetype names, if any
            for part, kind in _OOXML_PART.items():
                if part in names:
                    return kind
            if "mimetype" in names:
                kind = _ODF_TYPES.get(archive.read("mimetype")[:100].decode("ascii", "replace").strip())
                manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
                if kind and b"encryption-data" in manifest:
                    raise SoftcopyError(f"{path.name}: the document is password-protected; save an unprotected "
                                        "copy and hand that over", code="protected", name=path.name)
                return kind
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def pdf_signatures(path: Path, settings: Settings) -> tuple[SignatureCheck, ...]:
    """The digital signatures (PAdES/CMS) a PDF carries, each checked before it is named: who the
    certificate says signed, when, and the verdict (`signatures.check_pdf`)."""
    return signature_checks.check_pdf(path, settings)


@dataclass(frozen=True)
class Softcopies:
    """Softcopies read: their pages as one batch, each file as handed over, and what a page
    should be looked at for before anything else (a photo in which no page was found)."""

    batch: BatchInput
    originals: list[Original]
    checks: list[PageCheck]


def read_softcopies(files: list[Path], work: Path, settings: Settings, *,
                    corners: Mapping[int, object] | None = None) -> Softcopies:
    """Every file checked, then made PDF and read as a batch of pages, in the order given; a photo
    of a page read as the page flattened and evenly lit (`pages.photo`), where `corners` (by the
    file's number, from 1) says, the page within the corners an officer put there."""
    originals = [examine(path, settings) for path in files]
    staged = _stage(files, originals, work / "originals")
    origins: list[PageOrigin]
    parts, origins, checks = [], [], []
    for index, (path, original) in enumerate(zip(staged, originals, strict=True)):
        part_work = work / f"part-{index + 1}"
        part_work.mkdir(parents=True)
        pdf = convert_to_pdf(path, part_work, timeout=settings.convert_timeout_seconds) \
            if original.kind in OFFICE else path
        photo = _photo(path, original, part_work, settings, (corners or {}).get(index + 1))
        if photo is not None:
            pdf, originals[index] = photo.path, replace(original, photo=photo.note | {"page": len(origins) + 1})
            if photo.problem:
                code = "no_page_in_photo" if photo.problem == "no_page" else "photo_outline"
                checks.append(PageCheck(len(origins) + 1, code, original.name))
        if original.kind in OFFICE or original.kind == "pdf":
            _check_page_count(pdf, original.name, len(origins), settings)  # with the files before it
        part = _read_part(pdf, part_work, settings, photo, original)
        parts.append(part)
        origins += [PageOrigin(path.name, o.frame) for o in part.origins]
        if len(origins) > settings.softcopy_max_pages:
            raise SoftcopyError(f"{original.name}: the hand-over has more than {settings.softcopy_max_pages} pages "
                                "(softcopy_max_pages); hand it over in parts", code="pages", name=original.name,
                                limit=settings.softcopy_max_pages)
    combined = work / "softcopy.pdf"
    with pikepdf.new() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)  # form fields (a signature's) are not kept
        for part in parts:
            assert part.pdf is not None  # read_batch wraps every part into a PDF (wrap=True)
            with pikepdf.open(part.pdf) as part_pdf:
                out.pages.extend(part_pdf.pages)
        out.save(combined)
    return Softcopies(BatchInput(source=files[0], raw_files=staged, pdf=combined, origins=origins), originals, checks)


def _read_part(pdf: Path, work: Path, settings: Settings, photo: PhotoPage | None, original: Original) -> BatchInput:
    """One file's pages (`read_batch`); what is wrong with a photo's page is said of the photo."""
    try:
        return read_batch(pdf, work, settings)
    except InputFileError as exc:
        if photo is None:
            raise
        said = str(exc).replace(photo.path.name, original.name)
        raise type(exc)(said, code=exc.code, **{**exc.params, "name": original.name}) from None


#: What to do about a photo that cannot be taken as given, by `PhotoError.code`.
_PHOTO_FIX = {"corners": "drag the corners onto the page's corners",
              "photo_frames": "hand over each picture as a file of its own"}


def _photo(path: Path, original: Original, work: Path, settings: Settings, corners: object) -> PhotoPage | None:
    """The page of a photo handed over (`pages.photo.take`); None for any other file."""
    if original.kind not in PHOTO_KINDS:
        if corners is not None:
            raise SoftcopyError(f"{original.name}: corners were given, but the file is no photo", code="corners",
                                name=original.name)
        return None
    try:
        return take(path, work, max_megapixels=settings.max_image_megapixels, corners=corners)
    except Image.DecompressionBombError:
        raise SoftcopyError(f"{original.name}: the picture is larger than max_image_megapixels = "
                            f"{settings.max_image_megapixels:g}; hand over a smaller copy", code="photo_too_big",
                            name=original.name, limit=f"{settings.max_image_megapixels:g}") from None
    except PhotoError as exc:
        raise SoftcopyError(f"{original.name}: {exc}; {_PHOTO_FIX[exc.code]}", code=exc.code,
                            name=original.name) from None
    except (OSError, SyntaxError, EOFError, ValueError) as exc:
        raise SoftcopyError(f"{original.name}: the picture cannot be read ({type(exc).__name__}); hand it over "
                            "again as it was saved", code="photo_damaged", name=original.name) from None


def _check_page_count(pdf: Path, name: str, before: int, settings: Settings) -> None:
    """Before the pages are read one by one: a PDF of more pages than a hand-over may have
    (`before` of them came with the files before it) is refused at once."""
    try:
        with pikepdf.open(pdf) as doc:
            count = len(doc.pages)
    except pikepdf.PasswordError:
        raise SoftcopyError(f"{name}: the PDF is password-protected; hand over an unprotected copy", code="protected",
                            name=name) from None
    except pikepdf.PdfError:
        return  # read_batch says what is wrong with it
    if before + count > settings.softcopy_max_pages:
        raise SoftcopyError(f"{name}: {count} pages; a hand-over may have at most {settings.softcopy_max_pages} "
                            "(softcopy_max_pages); hand it over in parts", code="pages", name=name,
                            limit=settings.softcopy_max_pages)


def _stage(files: list[Path], originals: list[Original], folder: Path) -> list[Path]:
    """Copies under names that are safe and distinct in the raw batch (two `scan.pdf` from two
    folders stay two files)."""
    folder.mkdir(parents=True)
    staged, used = [], set()
    for index, (path, original) in enumerate(zip(files, originals, strict=True), start=1):
        stem = storage.slug(path.stem)[:80] or "softcopy"
        name = f"{stem}{path.suffix.lower()}"
        if name in used:
            name = f"{index}-{name}"
        used.add(name)
        shutil.copyfile(path, folder / name)
        staged.append(folder / name)
        if storage.sha256_file(folder / name) != original.sha256:
            raise SoftcopyError(f"{original.name}: the file changed while it was being read; hand it over again",
                                code="changed", name=original.name)
    return staged


def submit(files: list[Path], *, entry_id: str, settings: Settings, db: Database, submitted_by: str = "",
           options: IngestOptions | None = None, batch_id: str | None = None,
           corners: Mapping[int, object] | None = None) -> IngestResult:
    """Hand over `files` as the next version of register entry `entry_id`, as one ingest (a photo
    numbered in `corners` flattened from the corners given). Nothing is filed, and nothing kept,
    when any file is refused."""
    from ..register import get_entry
    from .ingest import ingest, new_batch_id

    files = [Path(f) for f in files]
    with db.session() as session:
        entry_id = get_entry(session, entry_id).id  # exit 4 before any work
    batch_id = batch_id or new_batch_id(utcnow())
    work = settings.work_dir / batch_id
    try:
        read = read_softcopies(files, work / "softcopy", settings, corners=corners)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    origin = {"kind": "softcopy", "files": [o.as_dict() for o in read.originals],
              "note": access_copy_note(read.originals)}
    source = IngestSource.softcopies(files[0], entry_id=entry_id, batch_id=batch_id, submitted_by=submitted_by,
                                     prepared=read.batch, origin=origin, checks=read.checks)
    return ingest(source, settings=settings, db=db, options=options)
