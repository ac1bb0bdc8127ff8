"""The kiosk against a hostile user: redirects, sessions that end, idle time, request sizes,
ids that do not fit, security headers, expensive searches."""

from __future__ import annotations

import time

import pytest
from helpers.kiosk import PASSWORD, login, logout, make_app, token


@pytest.fixture
def app(home):
    return make_app(home)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize("target", [
    "/%09/evil.example/", "//evil.example/", "/\\evil.example/", "/%5Cevil.example", "https://evil.example/",
    "/%0a/evil.example", "\t//evil.example", " //evil.example", "/\t/evil.example", "http:/evil.example",
    "javascript:alert(1)", "/%2F/evil.example", "//%09evil.example", "/\x00/evil.example", "%2F%2Fevil.example",
])
def test_login_never_redirects_away_from_the_kiosk(client, target):
    from urllib.parse import quote, urlsplit

    for next_value in (target, quote(target, safe="")):
        response = client.post(f"/login?next={next_value}", data={
            "username": "dok", "password": PASSWORD, "csrf_token": token(client)})
        if "\x00" in target:  # no request carrying a NUL is taken at all
            assert response.status_code == 400
            continue
        location = response.headers["Location"]
        as_browsers_read_it = location.replace("\\", "/").translate({9: None, 10: None, 13: None}).strip()
        assert as_browsers_read_it.startswith("/") and not as_browsers_read_it.startswith("//"), (target, location)
        assert not urlsplit(as_browsers_read_it).netloc
        logout(client)


def test_a_local_next_page_is_kept(client):
    response = client.post("/login?next=/register/%3Fq%3Dlaporan", data={
        "username": "dok", "password": PASSWORD, "csrf_token": token(client)})
    assert response.headers["Location"] == "/register/?q=laporan"


def test_the_language_switch_goes_back_only_within_the_kiosk(client):
    assert client.get("/lang/en", headers={"Referer": "https://evil.example/x"}).headers["Location"] == "/"
    assert (
        client.get("/lang/id", headers={"Referer": "http://localhost/search?q=a"}).headers["Location"] == "/search?q=a"
    )


@pytest.mark.parametrize("referer", ["http://[", "http://[::1", "https://evil.example/", "//evil.example/x",
                                     "http://localhost//evil.example/", "http://localhost/\t/evil.example",
                                     "javascript:alert(1)", "\x00"])
def test_no_redirect_back_follows_a_foreign_or_broken_referer(client, referer):
    login(client, "admin")
    csrf = token(client, "/admin/")
    for response in (client.get("/lang/en", headers={"Referer": referer}),
                     client.post("/scan/scanners/refresh", data={"csrf_token": csrf}, headers={"Referer": referer})):
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and "evil" not in location, location


def test_nul_anywhere_in_a_request_is_refused(client):
    login(client, "ppid")
    csrf = token(client, "/register/new")
    assert client.get("/search?q=a%00b").status_code == 400
    assert client.get("/register/?unit=%00").status_code == 400
    assert client.get("/handover/x%00y").status_code in (400, 404)
    form = {"title": "Laporan\x00", "unit": "Umum", "category": "berkala", "csrf_token": csrf}
    assert client.post("/register/new", data=form).status_code == 400


HOSTILE_HOSTS = ["a" * 300, "..", ".", "a..b", "-", "x" * 64 + ".example", "exa mple", "[::1", "x:99999",
                 "\u00e9.example", "", "localhost:abc", "a_b.c", "%00", "127.0.0.1:0", "[", "]:80"]


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
@pytest.mark.parametrize("who", [None, "ppid"])
def test_an_unusual_host_header_is_a_4xx_or_served_never_a_server_error(app, host, who):
    client = app.test_client()
    if who:
        login(client, who)
    for path in ("/", "/login", "/search?q=a", "/verify/", "/static/kiosk.css"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code < 500, (host, path, response.status_code)


@pytest.mark.parametrize("name", ["laporan.p\x00df", "laporan.pdf\x00.exe", "\x00", ".pdf\x00", "a\x00.pdf",
                                  "laporan.p\x01df", "laporan.\x7fpdf", "laporan.pd\nf", "laporan.\u202epdf"])
def test_control_characters_in_an_uploaded_files_name_are_a_clear_answer(app, client, name):
    import io

    from helpers.kiosk import add

    entry = add(app, title="Laporan")
    login(client, "dok")
    csrf = token(client, f"/register/{entry}/softcopy")
    response = client.post(f"/register/{entry}/softcopy", content_type="multipart/form-data",
                           data={"csrf_token": csrf, "files": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), name)})
    assert response.status_code < 500, (name, response.status_code)


def test_every_value_of_a_repeated_field_is_limited(client):
    login(client, "dok")
    csrf = token(client, "/register/new")
    data = [("title", "short"), ("title", "x" * 20_000), ("unit", "u"), ("category", "berkala"), ("csrf_token", csrf)]
    from werkzeug.datastructures import MultiDict

    assert client.post("/register/new", data=MultiDict(data)).status_code == 413


def test_a_user_name_that_does_not_fit_is_a_form_error(client):
    login(client, "admin")
    csrf = token(client, "/admin/")
    answer = client.post("/admin/users", data={"username": "panjang", "name": "N" * 201, "role": "ppid",
                                               "password": PASSWORD + "-x", "csrf_token": csrf}, follow_redirects=True)
    assert answer.status_code == 200 and "paling banyak 200 karakter" in answer.get_data(as_text=True)


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_cookie_is_worthless_after_logout(app, client):
    login(client, "dok")
    stolen = _cookie(client)
    logout(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/register/").status_code == 302


def test_changing_a_password_or_deactivating_ends_every_session_of_the_user(app, client):
    login(client, "dok")
    other_browser = login(app.test_client(), "dok")
    admin = login(app.test_client(), "admin")
    csrf = token(admin, "/admin/")
    admin.post("/admin/users/dok/password", data={"password": "sandi-baru-yang-panjang", "csrf_token": csrf})
    assert client.get("/register/").status_code == 302 and other_browser.get("/register/").status_code == 302
    assert admin.get("/admin/").status_code == 200  # the admin's own session goes on
    fresh = app.test_client()
    fresh.post("/login", data={"username": "dok", "password": "sandi-baru-yang-panjang", "csrf_token": token(fresh)})
    assert fresh.get("/register/").status_code == 200
    admin.post("/admin/users/dok/deactivate", data={"csrf_token": csrf})
    assert fresh.get("/register/").status_code == 302


def test_the_csrf_secret_does_not_survive_a_login(client):
    before = token(client)
    login(client, "dok")
    after = token(client, "/register/new")
    assert before != after
    page = client.post("/register/new", data={"title": "x", "unit": "u", "category": "berkala", "csrf_token": before})
    assert page.status_code == 400


def test_polling_does_not_keep_an_idle_session_alive(app, client, monkeypatch):
    """The scan screen polls every two seconds and streams events; only a person's actions count."""
    login(client, "dok")
    start = time.time()
    for seconds in range(0, 15 * 60 - 10, 30):  # a scan screen left open for the idle time
        monkeypatch.setattr(time, "time", lambda s=seconds: start + s)
        response = client.get("/scan/batches.json")
        assert response.status_code == 200, seconds
    monkeypatch.setattr(time, "time", lambda: start + 16 * 60)
    assert client.get("/scan/batches.json").status_code == 401  # the page reloads into the login
    assert client.get("/scan/").headers["Location"].startswith("/login")


def test_a_persons_actions_keep_the_session(app, client, monkeypatch):
    login(client, "dok")
    start = time.time()
    for minute in range(0, 60, 10):
        monkeypatch.setattr(time, "time", lambda m=minute: start + m * 60)
        assert client.get("/register/").status_code == 200, minute


def test_security_headers_on_every_response(app, client):
    for url in ("/login", "/static/style.css", "/nope"):
        headers = client.get(url).headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    login(client, "dok")
    for url in ("/register/", "/scan/", "/search?q=a", "/handover/"):
        assert client.get(url).headers["Cache-Control"] == "no-store, private", url


def test_no_template_has_inline_script_or_style():
    """What the Content-Security-Policy would block: script blocks, event handlers, style attributes."""
    import re
    from pathlib import Path

    for template in (Path(__file__).resolve().parents[1] / "web" / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\s(on[a-z]+|style)\s*=", text), template


def test_request_size_limits(app, client):
    assert client.post("/login", data={"username": "x" * 200_000, "password": "p"}).status_code == 413
    login(client, "dok")
    csrf = token(client, "/register/new")
    response = client.post(
        "/register/new", data={"title": "x" * 20_000, "unit": "u", "category": "berkala", "csrf_token": csrf}
    )
    assert response.status_code == 413 and "Terlalu besar" in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = client.post(
        "/register/import",
        data={"file": (__import__("io").BytesIO(b"x" * 2_000_000), "a.csv"), "csrf_token": csrf},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413


@pytest.mark.parametrize(
    "url",
    [
        "/handover/99999999999999999999999",
        "/documents/99999999999999999999999.pdf",
        "/handover/2147483648",
        "/scan/" + "B" * 5000,
        "/review/" + "B" * 5000,
        "/scan/" + "B" * 5000 + "/pages/1.jpg",
        "/report/?month=0000-01",
        "/report/?month=9999-12",
        "/report/report.csv?month=0000-01",
        "/search?q=a&year=99999999999999999999",
        "/register/?page=99999999999999999999",
        "/register/?page=²",
        "/register/?page=٣",
        "/register/?year=²",
        "/register/?year=١٩٩٩",
        "/search?q=a&year=²²²²",
        "/handover/?page=²",
        "/handover/?page=" + "9" * 5000,
    ],
)
def test_numbers_and_ids_that_do_not_fit_are_no_server_error(client, url):
    login(client, "ppid")
    assert client.get(url).status_code in (200, 302, 404)


def test_a_huge_search_is_bounded(app, client):
    from scan_station.search import MAX_QUERY_WORDS, query_words

    words = [f"kata{n}" for n in range(2000)]
    assert len(query_words(" ".join(words))) == MAX_QUERY_WORDS
    login(client, "ppid")
    started = time.process_time()
    assert client.get("/search", query_string={"q": " ".join(words)}).status_code == 200
    assert time.process_time() - started < 2


def test_open_scan_screens_do_not_starve_the_kiosk(home):
    """More live event streams than the server has threads: the login page still answers at once."""
    import http.client
    import json
    import re
    import socket
    import subprocess
    import sys

    from scan_station.accounts.users import add_user
    from scan_station.capture.scanning import start_batch
    from scan_station.core.config import load_settings
    from scan_station.db.database import Database

    settings = load_settings(home)
    db = Database(settings)
    with db.session() as s:
        add_user(s, username="dok", password=PASSWORD, role="dokumentasi")
    batch = start_batch(settings, db, device="test:0", profile=None).id
    db.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scan_station",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--threads",
            "4",
            "--no-worker",
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    streams = []
    try:
        json.loads(server.stdout.readline())

        def request(method, path, body=None, headers=None, *, keep=False):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            if keep:
                streams.append((conn, response))
                return response
            data = response.read()
            conn.close()
            return response, data

        response, page = request("GET", "/login")
        cookie = response.getheader("Set-Cookie").split(";")[0]
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        response, _ = request(
            "POST",
            "/login",
            f"username=dok&password={PASSWORD}&csrf_token={csrf}",
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        cookie = response.getheader("Set-Cookie").split(";")[0]
        for _ in range(10):  # ten scan screens open, on a server of four threads
            assert request("GET", f"/scan/{batch}/events", headers={"Cookie": cookie}, keep=True).status == 200
        started = time.monotonic()
        for _ in range(5):
            response, _ = request("GET", "/login")
            assert response.status == 200
        assert time.monotonic() - started < 3
        response, _ = request("GET", "/scan/", headers={"Cookie": cookie})
        assert response.status == 200
    finally:
        for conn, _response in streams:
            conn.close()
        server.terminate()
        server.wait(timeout=10)
