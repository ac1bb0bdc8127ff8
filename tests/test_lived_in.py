"""Every screen as every role after real work: filed batches, returned documents, versions,
rescans, "dikecualikan" entries, held pages, failed and interrupted batches (tests/lived_in.py).
A screen that works on an empty database and fails after the first filing is the bug users meet
first; so is a "dikecualikan" page that a review correction uncovers."""

from __future__ import annotations

import itertools
import logging

import pytest
from kiosk import ROLES, login, logout, make_app

from scan_station.db import Entry, UserAccount
from scan_station.scanning import read_state

pytestmark = [pytest.mark.ocr, pytest.mark.scanner]
SKIP = {"static", "auth.logout"}


@pytest.fixture
def kiosk(lived_in):
    app = make_app(lived_in.home, users=False, PROPAGATE_EXCEPTIONS=False, TESTING=False, WTF_CSRF_ENABLED=True,
                   SCAN_EVENTS_SECONDS=0.5)
    return app, lived_in


def real_values(app, lived) -> dict[str, list]:
    """For each URL argument, every value the lived-in home has."""
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    with db.session() as s:
        entries = list(s.scalars(__import__("sqlalchemy").select(Entry.id)))
        users = list(s.scalars(__import__("sqlalchemy").select(UserAccount.username)))
    batches = sorted(p.name for p in settings.scans_dir.iterdir())
    return {"batch": batches, "document_id": sorted(lived.documents.values()), "entry_id": entries,
            "username": users, "code": ["id", "en"], "name": ["Teks abu-abu 300 dpi, kaca"]}


def urls_for(app, rule, values: dict[str, list]) -> list[str]:
    """Concrete URLs for a rule: every combination of real values (pages: every page of the batch)."""
    settings = app.extensions["scan_station"]["settings"]
    arguments = sorted(rule.arguments - {"page", "action"})
    urls = []
    for combo in itertools.product(*(values.get(a, ["X"]) for a in arguments)):
        params = dict(zip(arguments, combo))
        if "page" in rule.arguments:
            pages = read_state(settings.scans_dir / params["batch"])["pages"]
            for page in range(1, pages + 2):
                urls.append(_build(app, rule, params | {"page": page}))
        elif "action" in rule.arguments:
            continue  # POST only; the review and admin actions have tests of their own
        else:
            urls.append(_build(app, rule, params))
    return urls


def _build(app, rule, params) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **params)


def test_the_lived_in_home_is_what_it_says(kiosk):
    app, lived = kiosk
    review_batch = lived.batches["review"]
    assert lived.exempt_pages[review_batch] == [1, 2, 3, 8]  # the rescan of exempt page 3 is exempt too
    assert set(lived.batches) == {"review", "failed", "interrupted"}


@pytest.mark.parametrize("username", [None, *ROLES])
def test_every_screen_opens_for_every_role_after_real_work(kiosk, username, caplog):
    app, lived = kiosk
    client = app.test_client()
    if username:
        login(client, username)
    values = real_values(app, lived)
    opened = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or "GET" not in rule.methods:
            continue
        for url in urls_for(app, rule, values):
            response = client.get(url)
            response.get_data()  # streams (live events) to their end
            assert response.status_code < 500, (username, url, response.status_code)
            opened += 1
    assert opened > 40
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("username, home", [("dok", "/scan/"), ("ppid", "/handover/"), ("atasan", "/search"),
                                            ("admin", "/admin/")])
def test_each_role_lands_on_a_working_home_page(kiosk, username, home):
    app, _lived = kiosk
    client = login(app.test_client(), username)
    landing = client.get("/", follow_redirects=True)
    assert landing.status_code == 200 and landing.request.path == home
    for page in ("/register/", "/handover/", "/search?q=laporan"):
        assert client.get(page).status_code == 200, page
    logout(client)
