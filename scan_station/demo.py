"""The demo that the README's first command runs: the whole capture pipeline on sample data."""

from __future__ import annotations


from . import samples
from .config import Settings
from .coversheet import coversheets_pdf
from .db import Database, utcnow
from .ingest import Progress, ingest
from .register import add_entry
from .search import search
from .storage import atomic_write_bytes


def run_demo(settings: Settings, db: Database, *, documents: int = 3, on_progress: Progress | None = None) -> dict:
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
    for i, (entry, cover) in enumerate(zip(entries, covers)):
        pages.append(cover)
        pages.extend(samples.document_pages(entry.title, 2 + i % 2, seed=i))
        if i == 0:
            pages.append(samples.blank_back())  # a duplex back: dropped and listed
    batch_path = samples.write_batch_pdf(pages, folder / f"batch-{stamp}.pdf")

    result = ingest(batch_path, settings=settings, db=db, on_progress=on_progress)
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
