"""`scan-station serve`: the kiosk behind a production WSGI server (waitress)."""

from __future__ import annotations

import json

import click

from .cli import App, cli


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Request threads.")
@click.option("--json", "as_json", is_flag=True, help="Print the address as one JSON value, then serve.")
@click.pass_obj
def serve_cmd(app: App, host: str, port: int, threads: int, as_json: bool) -> None:
    """Run the kiosk (web/) until stopped."""
    import waitress

    from web import create_app  # the kiosk is a separate package; the service itself imports no Flask

    wsgi = create_app(home=app.settings.home)
    url = f"http://{host}:{port}/"
    click.echo(json.dumps({"url": url}) if as_json else f"Scan Station kiosk on {url}", err=not as_json)
    waitress.serve(wsgi, host=host, port=port, threads=threads)
