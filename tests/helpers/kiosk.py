"""Driving the kiosk in tests: an app with one user per role, logging in, CSRF tokens, entries."""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit

from flask import url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import run_wsgi_app
from werkzeug.wsgi import get_current_url

from scan_station.accounts.users import add_user
from scan_station.db.database import AccessRequest, BeritaAcara, Document, Entry, UserAccount
from scan_station.register import add_entry
from web import create_app, service

PASSWORD = "rahasia-123"
ROLES = {"dok": "dokumentasi", "ppid": "ppid", "atasan": "atasan", "admin": "admin"}


class KioskClient(FlaskClient):
    """Flask's test client, matching cookies by the request's host and path as it does, but without
    first making the whole URL, query included, into an IRI only to take those two from it: that was
    a tenth of a request's time where the hostile walk sends 5,000-character query values."""

    def _add_cookies_to_wsgi(self, environ) -> None:
        query = environ.pop("QUERY_STRING", None)
        try:
            super()._add_cookies_to_wsgi(environ)
        finally:
            if query is not None:
                environ["QUERY_STRING"] = query

    def run_wsgi_app(self, environ, buffered: bool = False):
        self._add_cookies_to_wsgi(environ)
        answer = run_wsgi_app(self.application, environ, buffered=buffered)
        url = urlsplit(get_current_url(environ, strip_querystring=True))
        self._update_cookies_from_response(url.hostname or "localhost", url.path, answer[2].getlist("Set-Cookie"))
        return answer


def make_app(home, *, users: bool = True, **config):
    """The kiosk on `home`, with one user per role (password PASSWORD) unless `users` is false."""
    app = create_app({"SCAN_STATION_HOME": str(home), "SECRET_KEY": "test", "TESTING": True, **config})
    app.test_client_class = KioskClient
    if users:
        with app.extensions["scan_station"]["db"].session() as s:
            for username, role in ROLES.items():
                add_user(s, username=username, password=PASSWORD, role=role, name=username.title())
    return app


def token(client, url="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def login(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def logout(client):
    client.post("/logout", data={"csrf_token": token(client, "/search")})


def add(app, **fields):
    with app.app_context():
        settings, db = service()
        with db.session() as s:
            return add_entry(s, settings, **({"title": "Laporan", "unit": "Umum", "category": "berkala"} | fields)).id


def state_of(folder) -> dict:
    """A batch's state as its JSON says it, from a batch folder or its path."""
    from pathlib import Path

    from scan_station.capture.batch_folder import BatchFolder

    folder = folder if isinstance(folder, BatchFolder) else BatchFolder(Path(folder))
    return folder.read_state().to_json()


def real_values(app, lived) -> dict[str, list]:
    """For each URL argument, every value the lived-in home has."""
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    with db.session() as s:
        entries = list(s.scalars(select(Entry.id)))
        users = list(s.scalars(select(UserAccount.username)))
        records = list(s.scalars(select(BeritaAcara.id)))
        hashes = list(s.scalars(select(Document.sha256).order_by(Document.id)))
        requests = list(s.scalars(select(AccessRequest.id)))
    batches = sorted(p.parent.name for p in settings.scans_dir.glob("*/.scan.json"))
    uploads = sorted(p.parent.name for p in settings.scans_dir.glob("softcopies/*/upload.json"))
    return {"batch": batches, "upload_id": uploads, "document_id": sorted(lived.documents.values()),
            "entry_id": entries, "username": users, "code": ["id", "en"], "name": ["Teks abu-abu 300 dpi, kaca"],
            "record_id": records, "sha256": hashes, "request_id": requests, "decision": ["confirm", "refuse"],
            "number": [1, 2]}


def routes(app, *, method: str | None = None, skip=()) -> list:
    """The kiosk's URL rules in a fixed order: the one route walker of the tests. Only those that
    answer `method` when it is given, none of the endpoints in `skip`."""
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
            if rule.endpoint not in skip and (method is None or method in rule.methods)]


def every_url(app, values: dict[str, list], *, skip=("static",)) -> list[str]:
    """Every URL a GET may open, with real values (`urls_for`)."""
    return [url for rule in routes(app, method="GET", skip=skip) for url in urls_for(app, rule, values)]


def urls_for(app, rule, values: dict[str, list]) -> list[str]:
    """Concrete URLs for a rule: every combination of real values (pages: every page of the batch)."""
    settings = app.extensions["scan_station"]["settings"]
    arguments = sorted(rule.arguments - {"page", "action"})
    urls = []
    for combo in itertools.product(*(values.get(a, ["X"]) for a in arguments)):
        params = dict(zip(arguments, combo, strict=False))
        if "page" in rule.arguments:
            pages = state_of(settings.scans_dir / params["batch"])["pages"]
            for page in range(1, pages + 2):
                urls.append(_build(app, rule, params | {"page": page}))
        elif "action" in rule.arguments:
            continue  # POST only; the review and admin actions have tests of their own
        else:
            urls.append(_build(app, rule, params))
    return urls


def _build(app, rule, params) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **params)


def run_queued_jobs(app) -> int:
    """What the kiosk queued, run here and now by huey's own dequeue and execute, as a worker
    would; the number of jobs run."""
    from scan_station.system.jobs import make_jobs

    ext = app.extensions["scan_station"]
    queue = ext.setdefault("jobs", make_jobs(ext["settings"])).queue
    done = 0
    while (task := queue.dequeue()) is not None:
        queue.execute(task)
        done += 1
    return done
