"""Every screen as every role after real work: filed batches, returned documents, versions,
rescans, "dikecualikan" entries, held pages, failed and interrupted batches (tests/helpers/lived_in.py).
A screen that works on an empty database and fails after the first filing is the bug users meet
first; so is a "dikecualikan" page that a review correction uncovers."""

from __future__ import annotations

import logging

import pytest
from helpers.kiosk import ROLES, login, logout, make_app, real_values, routes, urls_for

pytestmark = [pytest.mark.ocr, pytest.mark.scanner]
SKIP = {"static", "auth.logout"}


@pytest.fixture
def kiosk(lived_in):
    app = make_app(lived_in.home, users=False, PROPAGATE_EXCEPTIONS=False, TESTING=False, WTF_CSRF_ENABLED=True,
                   SCAN_EVENTS_SECONDS=0.5)
    return app, lived_in


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
    for rule in routes(app, method="GET", skip=SKIP):
        for url in urls_for(app, rule, values):
            response = client.get(url)
            response.get_data()  # streams (live events) to their end
            assert response.status_code < 500, (username, url, response.status_code)
            opened += 1
    assert opened > 40
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("username, home", [("dok", "/scan/"), ("ppid", "/handover/"), ("atasan", "/report/"),
                                            ("admin", "/admin/")])
def test_each_role_lands_on_a_working_home_page(kiosk, username, home):
    app, _lived = kiosk
    client = login(app.test_client(), username)
    landing = client.get("/", follow_redirects=True)
    assert landing.status_code == 200 and landing.request.path == home
    for page in ("/register/", "/handover/", "/search?q=laporan"):
        assert client.get(page).status_code == 200, page
    logout(client)
