"""`scan-station serve`: the kiosk behind a production WSGI server (waitress), with a worker that
files confirmed batches. It joins the `scan-station` command through the entry point group
`scan_station.commands` (the service itself imports nothing of the kiosk)."""

from __future__ import annotations

import json
import os
import secrets
import signal

import click

from scan_station.cli.common import App, emit
from scan_station.core.config import DEMO_SANE_CONFIG


def first_admin(app: App) -> str | None:
    """With no user at all, make the admin `admin` with a random password and return it."""
    from sqlalchemy import func, select

    from scan_station.accounts.users import add_user
    from scan_station.db.database import UserAccount

    with app.db.session() as session:
        if session.scalar(select(func.count()).select_from(UserAccount)):
            return None
        password = secrets.token_urlsafe(9)
        add_user(session, username="admin", password=password, role="admin", name="Admin")
    return password


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Request threads.")
@click.option("--no-worker", is_flag=True, help="Do not file batches here (run `scan-station worker` elsewhere).")
@click.option("--demo", is_flag=True, help="Offer the demo scanner: SANE's test and pnm backends (demo-feeder/).")
@click.option("--json", "as_json", is_flag=True, help="Print the address (and a first admin) as JSON, then serve.")
@click.pass_obj
def serve(app: App, host: str, port: int, threads: int, no_worker: bool, demo: bool, as_json: bool) -> None:
    """Run the kiosk (web/) until stopped."""

    from scan_station.capture.profiles import known_scanners
    from scan_station.ocr.pool import shutdown_shared
    from scan_station.system import doctor
    from scan_station.system.jobs import stop_worker

    from .app import create_app

    if demo:  # before libsane is first initialised and the settings are first read
        os.environ["SANE_CONFIG_DIR"] = str(DEMO_SANE_CONFIG)
        os.environ["SCAN_STATION_DEMO_FEEDER"] = "true"
    doctor.require("serve" if no_worker else "serve_and_file", app.settings)
    wsgi = create_app(home=app.settings.home)
    wsgi.config["SCAN_EVENTS_MAX_STREAMS"] = max(1, threads // 2)  # the other half always serves pages
    settings = wsgi.extensions["scan_station"]["settings"]
    known_scanners(settings, refresh=demo or not (settings.home / "scanners.json").is_file())
    server = _listen(wsgi, host, port, threads)  # listening from here on
    url = f"http://{host}:{server.effective_port}/"
    password = first_admin(app)
    if as_json:
        admin = {"username": "admin", "password": password} if password else None
        emit(json.dumps({"url": url, "first_admin": admin}))
    else:
        click.echo(f"Scan Station kiosk on {url}", err=True)
        if password:
            click.echo(f"First admin: username admin, password {password} (change it under Administrasi)", err=True)
    from scan_station.search.rebuild import ensure_current

    ensure_current(settings, wsgi.extensions["scan_station"]["db"])
    worker = None if no_worker else _start_worker(settings)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()
    finally:
        if worker is not None:
            stop_worker(worker)
            shutdown_shared()


def _stop(signum, frame) -> None:
    """SIGTERM (systemd's stop) ends the kiosk as Ctrl-C does: the worker finishes the job it
    holds, the OCR children end, exit 0."""
    raise KeyboardInterrupt


def largest_body(wsgi) -> int:
    """The largest request body the kiosk accepts on any page."""
    from .softcopy import upload_limit as softcopy_limit
    from .verify import upload_limit as verify_limit

    settings = wsgi.extensions["scan_station"]["settings"]
    return max(softcopy_limit(settings), verify_limit(settings))


def _listen(wsgi, host: str, port: int, threads: int):
    """The server, listening; a clear refusal for an address that cannot be listened on."""
    import errno

    import waitress

    from scan_station.core.errors import BadArgumentsError

    try:
        # waitress reads a body whole before the kiosk sees the request: it takes none larger
        # than the largest the kiosk accepts anywhere (a softcopy hand-over), refusing it (413)
        # from its Content-Length alone; each page's own, smaller limit follows before parsing.
        return waitress.create_server(wsgi, host=host, port=port, threads=threads,
                                      max_request_body_size=largest_body(wsgi))
    except OSError as exc:
        why = {errno.EADDRINUSE: "is in use by another program (another kiosk?); stop it or choose another --port",
               errno.EADDRNOTAVAIL: "is not an address of this machine; choose --host 127.0.0.1 or 0.0.0.0",
               errno.EACCES: "needs root (ports below 1024); choose --port 8080 or above"}.get(
                   exc.errno, f"cannot be listened on ({exc.strerror or exc})")
        raise BadArgumentsError(f"{host}:{port} {why}") from None
    except ValueError:  # waitress: "Invalid host/port specified."
        raise BadArgumentsError(f"--host {host!r}: not an address or a name of this machine") from None


def _start_worker(settings):
    """The worker `serve` runs beside the kiosk: it first queues again what a dead process left."""
    from scan_station.system.jobs import make_jobs, requeue_orphans, start_worker

    jobs = make_jobs(settings)
    requeue_orphans(settings, jobs)
    return start_worker(jobs, workers=settings.workers, periodic=True)
