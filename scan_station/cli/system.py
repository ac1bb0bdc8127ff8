"""`scan-station doctor` and `worker`: is the installation usable, and the worker that files
confirmed batches (for OCR machines; `serve` runs one in the kiosk's own process)."""

from __future__ import annotations

import json

import click

from .common import App, command, emit


@command("doctor")
def doctor_cmd(app: App):
    """Check every program, language pack, the database and the folders; say how to fix what is missing."""
    from ..system import doctor

    probes = doctor.run(app.settings)
    ok = all(p.ok for p in probes)
    return ({"ok": ok, "probes": [p.as_dict() for p in probes]}, doctor.table(probes),
            0 if ok else doctor_exit_code(probes))


def doctor_exit_code(probes) -> int:
    from ..core.errors import exit_code_for

    failed = next(p for p in probes if not p.ok)
    return exit_code_for(failed.error(""))


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Jobs at the same time (default: ocr_workers, one per core). A page job reads one page on "
                   "one core; a filing assembles and files what was read, reading any page not read yet.")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as one JSON value, then work.")
@click.option("--until-empty", is_flag=True, help="Run what is queued now, then stop (e.g. from cron).")
@click.pass_obj
def worker_cmd(app: App, workers: int | None, as_json: bool, until_empty: bool) -> None:
    """File confirmed batches from the job queue until stopped (Ctrl-C). On start it queues again
    what a dead process left half-filed."""
    from ..core.config import shown_url
    from ..ocr.pool import shutdown_shared
    from ..system import doctor
    from ..system.jobs import consumer, make_jobs, requeue_orphans, run_until_empty

    doctor.require("worker", app.settings)
    queue = shown_url(app.settings.queue_url) if app.settings.queue_url else str(app.settings.home / "jobs.db")
    if as_json:
        emit(json.dumps({"queue": queue}))
    else:
        click.echo(f"Scan Station worker on {queue}", err=True)
    from ..search.rebuild import ensure_current

    ensure_current(app.settings, app.db)
    jobs = make_jobs(app.settings)
    requeue_orphans(app.settings, jobs)
    try:
        if until_empty:
            run_until_empty(jobs)
        else:
            consumer(jobs, workers=workers or app.settings.workers, periodic=True).run()
    finally:
        shutdown_shared()


COMMANDS = [doctor_cmd, worker_cmd]
