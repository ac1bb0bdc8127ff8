"""`scan-station` commands for scanners: scanners, profiles, scan, resume."""

from __future__ import annotations

import click

from ..core.errors import ScanStationError
from ..core.model import MODES, PAGE_SIZES_MM, SOURCES
from .common import App, command, ingest_summary


@command("scanners")
@click.option("--refresh", is_flag=True, help="Discover again instead of using the cached list.")
def scanners_cmd(app: App, refresh: bool):
    """List scanners with their sources, modes, resolutions and page sizes."""
    from ..capture.profiles import known_scanners

    data = known_scanners(app.settings, refresh=refresh)
    lines = [f"{s['name']}  {s['vendor']} {s['model']} ({s['type']}): sources {', '.join(s['sources'])}; "
             f"modes {', '.join(s['modes']) or '-'}; pages {', '.join(s['page_sizes'])}" for s in data["scanners"]]
    return data, "\n".join(lines) or "no scanner found"


@click.group()
def profiles() -> None:
    """Named scan profiles (source, mode, resolution, page size)."""


@command(group=profiles, name="list")
def profiles_list(app: App):
    """List the scan profiles."""
    from sqlalchemy import select

    from ..capture.profiles import profile_dict
    from ..db.database import ScanProfile

    with app.db.session() as session:
        rows = [profile_dict(r) for r in session.scalars(select(ScanProfile).order_by(ScanProfile.name))]
    return rows, "\n".join(
        f"{r['name']}: {r['source']}, {r['mode']}, {r['resolution']} dpi, {r['page_size']}" for r in rows
    )


@command(group=profiles, name="add")
@click.argument("name")
@click.option("--source", type=click.Choice(SOURCES), required=True, help="Where the paper is.")
@click.option("--mode", type=click.Choice(MODES), required=True, help="Black-and-white, grey or colour.")
@click.option("--resolution", type=click.IntRange(50, 1200), required=True, help="Dots per inch.")
@click.option(
    "--page-size",
    type=click.Choice([*PAGE_SIZES_MM, "max"]),
    default="A4",
    show_default=True,
    help="Paper size; max is the whole scan area.",
)
def profiles_add(app: App, name: str, source: str, mode: str, resolution: int, page_size: str):
    """Add a scan profile."""
    from ..capture.profiles import add_profile

    data = add_profile(app.db, name=name, source=source, mode=mode, resolution=resolution, page_size=page_size)
    return data, f"profile {name!r} added"


@command(group=profiles, name="remove")
@click.argument("name")
def profiles_remove(app: App, name: str):
    """Remove a scan profile."""
    from ..capture.profiles import remove_profile

    remove_profile(app.db, name)
    return {"removed": name}, f"profile {name!r} removed"


def _page_line(event) -> None:
    if event.kind:
        click.echo(f"  page {event.page}: {event.kind}{' ' + event.register_id if event.register_id else ''}", err=True)


@command("scan")
@click.option("--device", help="SANE device name (see: scanners); default: the first one found.")
@click.option(
    "--profile",
    help="Scan profile name (see: profiles list); default: the default_profile setting, "
    "else the first profile the device can do.",
)
@click.option("--batch", "batch_id", help="Add pages to this scan batch (flatbed: page after page).")
@click.option("--no-ingest", is_flag=True, help="Stop after scanning; ingest later with: scan --batch B.")
def scan_cmd(app: App, device: str | None, profile: str | None, batch_id: str | None, no_ingest: bool):
    """Scan until the feeder is empty (a flatbed: one page), then ingest the batch."""
    from ..capture.profiles import choose_profile
    from ..capture.scanning import batch_folder, start_batch
    from ..system import doctor

    doctor.require("scan_only" if no_ingest else "scan", app.settings)
    if batch_id:
        folder = batch_folder(app.settings, batch_id)
    else:
        device = device or _first_device(app)
        if not profile:
            chosen, why = choose_profile(app.settings, app.db, device=device)
            profile = chosen.name
            click.echo(f"profile: {profile} ({why})", err=True)
        folder = start_batch(app.settings, app.db, device=device, profile=profile)
    return _scan_then_ingest(app, folder, ingest=not no_ingest)


def _scan_then_ingest(app: App, folder, *, ingest: bool):
    """Scan into `folder`, its pages read meanwhile (`page_jobs`): in this process's OCR pool when
    it files the batch itself right after, else by the workers (page jobs on the queue)."""
    from ..capture.page_jobs import queue_pages, read_pages
    from ..capture.scanning import ingest_scanned, scan_pages
    from ..filing.sources import IngestOptions
    from ..ocr.pool import OcrPool
    from ..system.jobs import make_jobs

    def both(reader):
        return lambda event: (_page_line(event), reader(event))

    if not ingest:
        scan_pages(app.settings, folder, on_page=both(queue_pages(make_jobs(app.settings), folder.id)))
        state = folder.read_state()
        return state.to_json(), f"batch {state.batch}: {state.pages} page(s) scanned, not ingested yet"
    with OcrPool(app.settings.workers) as pool:
        scan_pages(app.settings, folder, on_page=both(read_pages(app.settings, app.db, folder, pool)))
        result = ingest_scanned(app.settings, app.db, folder, options=IngestOptions(pool=pool)).as_dict()
    return result, ingest_summary(result)


def _first_device(app: App) -> str:
    from ..capture.profiles import known_scanners

    found = known_scanners(app.settings)["scanners"] or known_scanners(app.settings, refresh=True)["scanners"]
    if not found:
        raise ScanStationError("no scanner found; plug one in, then run: scan-station scanners --refresh")
    return found[0]["name"]


@command("resume")
@click.argument("batch")
@click.option("--no-ingest", is_flag=True, help="Only scan; leave the batch for review (`confirm`).")
def resume_cmd(app: App, batch: str, no_ingest: bool):
    """Continue a scan batch after a fault, then ingest it."""
    from ..capture.scanning import batch_folder
    from ..system import doctor

    doctor.require("scan_only" if no_ingest else "scan", app.settings)
    return _scan_then_ingest(app, batch_folder(app.settings, batch), ingest=not no_ingest)


@command("confirm")
@click.argument("batch")
def confirm_cmd(app: App, batch: str):
    """Queue a scanned batch for filing as its review says (as Konfirmasi does); a worker files it."""
    from ..capture.review import confirm
    from ..capture.scanning import batch_folder
    from ..system.jobs import make_jobs

    folder = batch_folder(app.settings, batch)
    review = confirm(app.settings, app.db, folder, user=app.actor)
    make_jobs(app.settings).file_batch(folder.id)
    documents = [{"register_id": d.register_id, "batch_pages": d.batch_pages} for d in review.documents]
    return ({"batch": folder.id, "queued": True, "documents": documents},
            f"batch {folder.id}: {len(documents)} document(s) queued for filing")


@command("cancel")
@click.argument("batch")
def cancel_cmd(app: App, batch: str):
    """Cancel a scan batch that will not be filed (as Batalkan does); its pages are kept in storage."""
    from ..capture.cancel import cancel_batch
    from ..capture.scanning import batch_folder

    done = cancel_batch(app.settings, app.db, batch_folder(app.settings, batch), user=app.actor)
    kept = f"{done['pages']} page(s) kept in storage at {done['kept']}" if done["kept"] else "it had no pages"
    return done, f"batch {done['batch']} cancelled: {kept}"


COMMANDS = [scanners_cmd, profiles, scan_cmd, resume_cmd, confirm_cmd, cancel_cmd]
