"""`scan-station ingest`, `search`, `verify`, `report`, `demo`: filing batches and what is filed."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import BadArgumentsError
from .common import App, command, ingest_summary, progress_lines, storage_code
from .sheets import chosen_format, deliver, sheet_options


@command("ingest")
@click.argument("path", type=click.Path(path_type=Path, readable=False))
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@click.option("--expect", "expected", multiple=True, metavar="ID[,ID...]",
              help="Register ids the batch should hold; the ones missing and the ones not expected are reported.")
def ingest_cmd(app: App, path: Path, quiet: bool, expected: tuple[str, ...]):
    """Split a scanned batch at its cover sheets, OCR and file the documents."""
    from ..filing.ingest import ingest
    from ..filing.sources import IngestOptions, IngestSource
    from ..records.reconcile import against
    from ..system import doctor

    doctor.require("ingest", app.settings)
    result = ingest(IngestSource.batch_file(path, submitted_by=app.actor), settings=app.settings, db=app.db,
                    options=IngestOptions(on_progress=None if quiet else progress_lines)).as_dict()
    if expected:
        wanted = [i.strip().upper() for value in expected for i in value.split(",") if i.strip()]
        found = [d["register_id"] for d in result["documents"]] + [h["register_id"] for h in result["held"]
                                                                   if h["register_id"]]
        result |= against(wanted, found)
    return result, ingest_summary(result)


@command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option("--entry", "entry_id", required=True, help="The register entry the softcopy is of.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
def submit_cmd(app: App, files: tuple[Path, ...], entry_id: str, quiet: bool):
    """Hand over softcopies (PDF, images, office documents) as the entry's next version."""
    from ..filing.softcopy import KINDS, OFFICE, submit
    from ..filing.sources import IngestOptions
    from ..system import doctor

    needs_office = any(KINDS.get(Path(f).suffix.lower()) in OFFICE for f in files)
    doctor.require("submit_office" if needs_office else "ingest", app.settings)
    result = submit(list(files), entry_id=entry_id, settings=app.settings, db=app.db, submitted_by=app.actor,
                    options=IngestOptions(on_progress=None if quiet else progress_lines)).as_dict()
    return result, ingest_summary(result)


@command("search")
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="Most documents to show.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 500), help="Which page of results.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="Best match first, or newest first.")
def search_cmd(app: App, query: str, limit: int, page: int, sort: str):
    """Full-text search over OCR text and register fields (see docs/search.md)."""
    from ..search import find

    with app.db.session() as session:
        results = find(session, query, per_page=limit, page=page, sort=sort)
    hits = [{"register_id": d.register_id, "version": d.version, "page": d.pages[0].page if d.pages else 1,
             "title": d.title, "snippet": d.pages[0].snippet if d.pages else "",
             "pages": [{"page": p.page, "snippet": p.snippet} for p in d.pages],
             "path": app.settings.display_path(app.settings.storage_dir / d.path)} for d in results.documents]
    data = {"total": results.total, "page": results.page, "hits": hits}
    human = "\n".join(f"{h['register_id']} v{h['version']} p.{h['page']}  {h['snippet']}" for h in hits)
    return data, (f"{results.total} document(s)\n" + human) if hits else "no hits"


@command("reindex")
def reindex_cmd(app: App):
    """Rebuild the search index from the sidecars in storage; search goes on meanwhile."""
    from ..search.rebuild import reindex

    result = reindex(app.settings, app.db)
    return result, (f"{result['entries']} document(s), {result['pages']} page(s) indexed in {result['seconds']} s "
                    f"({result['pages_per_second']} pages/s); {len(result['problems'])} problem(s)")


@command("verify")
def verify_cmd(app: App):
    """Re-hash every stored file; report mismatches, missing files, orphans, and a search index out of step."""
    from ..archive.verify import verify

    result = verify(app.db, app.settings)
    human = f"{result['checked']} file(s) checked, {len(result['problems'])} problem(s)"
    human += "".join(f"\n  {p['kind']}: {p['path']}" for p in result["problems"])
    return result, human, storage_code(not result["ok"])


@command("berita-acara")
@click.option("--batch", "batch_id", help="The filed batch it covers.")
@click.option("--month", help="Or: the month (YYYY-MM) of filing it covers, with --unit.")
@click.option("--unit", help="The unit pengolah whose documents of --month it covers.")
@click.option("--replaces", metavar="NUMBER", help="The berita acara this one corrects.")
@click.option("--by", default="", help="Who makes it (shown as pelaksana).")
@click.option("--signed-copy", metavar="NUMBER", help="Instead: the register entry to scan berita acara NUMBER's "
              "signed paper back under (made once); print its cover sheet with `coversheet`.")
def berita_acara_cmd(app: App, batch_id: str | None, month: str | None, unit: str | None, replaces: str | None,
                     by: str, signed_copy: str | None):
    """Berita acara alih media with its daftar arsip, as PDF/A, filed in storage."""
    from ..core.errors import BadArgumentsError
    from ..records import berita_acara, report
    from ..system import doctor

    if signed_copy:
        register_id = berita_acara.signed_copy_entry(app.settings, app.db, berita_acara.record_id(app.db, signed_copy),
                                                     actor=app.actor)
        return ({"number": signed_copy, "register_id": register_id},
                f"berita acara {signed_copy}: scan its signed paper as {register_id} "
                f"(scan-station coversheet {register_id} -o sampul.pdf)")
    one_batch, unit_month = batch_id and not (month or unit), not batch_id and month and unit
    if not (one_batch or unit_month):
        raise BadArgumentsError("give --batch B, or --month YYYY-MM with --unit U")
    scope = berita_acara.Scope(batch_id=batch_id) if batch_id else berita_acara.Scope(
        month=report.parse_month(month), unit=unit)
    doctor.require("ingest", app.settings)
    made = berita_acara.make(app.settings, app.db, scope, by=by, replaces=replaces, actor=app.actor)
    counts = f"{made['documents']} document(s), {made['pages']} page(s)"
    return made, f"berita acara {made['number']}: {counts}, {made['path']}"


@command("report")
@click.option("--month", help="YYYY-MM; default: this month.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the per-unit table as CSV instead (--format csv).")
@sheet_options
def report_cmd(app: App, month: str | None, as_csv: bool, kind: str | None, output: Path | None):
    """The monthly report for the Atasan PPID: filed, accepted, returned per unit."""
    from ..records import report

    if as_csv and kind not in (None, "csv"):
        raise BadArgumentsError(f"--csv and --format {kind}: give one of them")
    year, number = report.parse_month(month)
    with app.db.session() as session:
        data = report.monthly(session, year, number)
    if as_csv or kind or output:
        kind = chosen_format(kind, output)
        written, human = deliver(report.export_report(data, kind), output, kind, len(data["units"]) + 1)
        return written or data, human
    lines = [
        f"{data['month']}: {data['total']['filed']} document(s) filed, {data['total']['pages']} page(s); "
        f"accepted {data['total']['accepted']}, returned {data['total']['returned']}, "
        f"waiting {data['total']['waiting']}; "
        f"{data['held_pages']} page(s) held"
    ]
    lines += [
        f"  {r['unit']}: {r['filed']} filed, {r['accepted']} accepted, {r['returned']} returned" for r in data["units"]
    ]
    lines += [f"  returned {r['register_id']} v{r['version']} by {r['by']}: {r['reason']}" for r in data["returned"]]
    return data, "\n".join(lines)


@command("demo")
@click.option("--documents", default=3, show_default=True, type=click.IntRange(min=1),
              help="Sample entries to make (at most 20).")
def demo_cmd(app: App, documents: int):
    """Register samples, print their cover sheets, scan-simulate a batch, ingest it and search."""
    from ..capture.demo import run_demo
    from ..system import doctor

    doctor.require("ingest", app.settings)
    result = run_demo(app.settings, app.db, documents=documents, on_progress=progress_lines)
    return result, result["report"]


COMMANDS = [ingest_cmd, submit_cmd, search_cmd, reindex_cmd, verify_cmd, berita_acara_cmd, report_cmd, demo_cmd]
