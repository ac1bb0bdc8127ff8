"""`scan-station serve`: the kiosk behind a production WSGI server (waitress), with a worker that
files confirmed batches; `scan-station worker`: that worker alone, for OCR machines."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from sqlalchemy import func, select

from .cli import App, cli

DEMO_SANE_CONFIG = Path(__file__).parent / "sane-demo"


def first_admin(app: App) -> str | None:
    """With no user at all, make the admin `admin` with a random password and return it."""
    from .db import UserAccount
    from .users import add_user

    with app.db.session() as session:
        if session.scalar(select(func.count()).select_from(UserAccount)):
            return None
        password = secrets.token_urlsafe(9)
        add_user(session, username="admin", password=password, role="admin", name="Admin")
    return password


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Request threads.")
@click.option("--no-worker", is_flag=True, help="Do not file batches in this process (run `scan-station worker` elsewhere).")
@click.option("--demo", is_flag=True, help="Offer the demo scanner: SANE's test and pnm backends, pnm fed from demo-feeder/.")
@click.option("--json", "as_json", is_flag=True, help="Print the address (and a first admin) as one JSON value, then serve.")
@click.pass_obj
def serve_cmd(app: App, host: str, port: int, threads: int, no_worker: bool, demo: bool, as_json: bool) -> None:
    """Run the kiosk (web/) until stopped."""
    import waitress

    from .jobs import make_jobs, start_worker, stop_worker
    from .scanning import known_scanners

    if demo:  # before libsane is first initialised and the settings are first read
        os.environ["SANE_CONFIG_DIR"] = str(DEMO_SANE_CONFIG)
        os.environ["SCAN_STATION_DEMO_FEEDER"] = "true"
    from web import create_app  # the kiosk is a separate package; the service itself imports no Flask

    wsgi = create_app(home=app.settings.home)
    wsgi.config["SCAN_EVENTS_MAX_STREAMS"] = max(1, threads // 2)  # the other half always serves pages
    settings = wsgi.extensions["scan_station"]["settings"]
    known_scanners(settings, refresh=demo or not (settings.home / "scanners.json").is_file())
    server = waitress.create_server(wsgi, host=host, port=port, threads=threads)  # listening from here on
    url = f"http://{host}:{server.effective_port}/"
    password = first_admin(app)
    if as_json:
        click.echo(json.dumps({"url": url, "first_admin": {"username": "admin", "password": password} if password else None}))
    else:
        click.echo(f"Scan Station kiosk on {url}", err=True)
        if password:
            click.echo(f"First admin: username admin, password {password} (change it under Administrasi)", err=True)
    worker = None if no_worker else start_worker(make_jobs(settings))
    try:
        server.run()
    finally:
        if worker is not None:
            stop_worker(worker)


@cli.command("worker")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Batches filed at the same time (each uses every core for OCR).")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as one JSON value, then work.")
@click.pass_obj
def worker_cmd(app: App, workers: int, as_json: bool) -> None:
    """File confirmed batches from the job queue until stopped (Ctrl-C)."""
    from huey.consumer import Consumer

    from .jobs import make_jobs

    queue = app.settings.queue_url or str(app.settings.home / "jobs.db")
    click.echo(json.dumps({"queue": queue}) if as_json else f"Scan Station worker on {queue}", err=not as_json)
    Consumer(make_jobs(app.settings).queue, workers=workers, worker_type="thread", periodic=False).run()
