"""The demo that the README's first command runs: the whole capture pipeline on sample data."""

from __future__ import annotations

import io
import time

from sqlalchemy import select

from ..core.config import Settings
from ..core.errors import BadArgumentsError, UnknownEntryError
from ..core.storage import atomic_write_bytes
from ..db.database import Database, Entry, utcnow
from ..filing.ingest import ingest
from ..filing.sources import IngestOptions, IngestSource, OnProgress
from ..pages import samples
from ..papers.cover_sheet import coversheets_pdf
from ..register import add_entry
from ..search import search

#: Entries one demo run, or one filling of the demo feeder, may take (each is a cover sheet and pages
#: drawn, and OCR'd when scanned).
MAX_DEMO_DOCUMENTS = 20


def _check_demo_count(count: int, what: str, fix: str) -> None:
    if count > MAX_DEMO_DOCUMENTS:
        raise BadArgumentsError(f"{count:,} {what}; the demo takes at most {MAX_DEMO_DOCUMENTS} at a time, so {fix}")


def run_demo(settings: Settings, db: Database, *, documents: int = 3, on_progress: OnProgress | None = None) -> dict:
    _check_demo_count(documents, "sample documents asked for", f"ask for {MAX_DEMO_DOCUMENTS} or fewer")
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    folder = settings.home / "demo"
    with db.session() as session:
        entries = []
        for i in range(documents):
            fields = dict(samples.SAMPLE_ENTRIES[i % len(samples.SAMPLE_ENTRIES)])
            entries.append(add_entry(session, settings, **fields))
        cover_pdf = coversheets_pdf(entries)
    cover_path = folder / f"coversheets-{stamp}.pdf"
    atomic_write_bytes(cover_path, cover_pdf)

    covers = samples.cover_page_images(cover_pdf)
    pages = []
    for i, (entry, cover) in enumerate(zip(entries, covers, strict=False)):
        pages.append(cover)
        pages.extend(samples.document_pages(entry.title, 2 + i % 2, seed=i))
        if i == 0:
            pages.append(samples.blank_back())  # a duplex back: dropped and listed
    batch_path = samples.write_batch_pdf(pages, folder / f"batch-{stamp}.pdf")

    result = ingest(IngestSource.batch_file(batch_path), settings=settings, db=db,
                    options=IngestOptions(on_progress=on_progress)).as_dict()
    query = "pendokumentasian informasi"
    with db.session() as session:
        hits = search(session, query, limit=5)
    lines = [
        f"Registered: {', '.join(e.id for e in entries)}",
        f"Cover sheets to print: {cover_path}",
        f"Sample scanned batch: {batch_path} ({result['pages']} pages)",
        f"Raw batch kept in: {settings.home / result['raw_batch']}",
        "Filed PDF/A documents:",
        *[f"  {settings.home / d['path']}  ({d['register_id']} v{d['version']}, {d['page_count']} pages)"
          for d in result["documents"]],
        f"Blank pages dropped: {result['blank_pages']}",
        f"Search for {query!r}: {len(hits)} hit(s)",
        *[f"  {h.register_id} v{h.version} page {h.page}: {h.snippet}" for h in hits],
        f"Try: scan-station --home {settings.home} search anggaran",
    ]
    return {
        "entries": [e.id for e in entries],
        "coversheets": str(cover_path),
        "batch_file": str(batch_path),
        "ingest": result,
        "search": {"query": query, "hits": [h.__dict__ for h in hits]},
        "report": "\n".join(lines),
    }


def fill_demo_feeder(settings: Settings, db: Database, register_ids: list[str], *, pages: int = 2,
                     extra: list | None = None) -> int:
    """Put paper in the demo scanner's feeder: for each entry its real cover sheet, then `pages`
    sample text pages about it (`extra` images go last). Returns how many pages wait there now."""
    _check_demo_count(len(register_ids), "entries for the demo feeder", "fill it in parts")
    with db.session() as session:
        entries = {e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(register_ids)))}
    missing = [i for i in register_ids if i not in entries]
    if missing:
        raise UnknownEntryError(f"not in the register: {', '.join(missing)}", code="not_registered",
                                entries=", ".join(missing)[:200])
    images = []
    covers = samples.cover_page_images(coversheets_pdf([entries[i] for i in register_ids])) if register_ids else []
    for n, (register_id, cover) in enumerate(zip(register_ids, covers, strict=False)):
        images.append(cover)
        images.extend(samples.document_pages(entries[register_id].title, pages, seed=n))
    images.extend(extra or [])
    folder = settings.demo_feeder_dir
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.time_ns()
    for n, image in enumerate(images, start=1):
        buffer = io.BytesIO()
        image.convert("L").save(buffer, format="PPM")  # binary PGM, as the pnm backend reads it
        atomic_write_bytes(folder / f"{stamp}-{n:04d}.pnm", buffer.getvalue())
    return len(list(folder.glob("*.pnm")))
