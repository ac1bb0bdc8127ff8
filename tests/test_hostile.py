"""Every route of the kiosk, as every role and anonymously, with hostile values for every path,
query and form parameter, in a home after real work (tests/helpers/lived_in.py): no answer may be a
server error, and nothing may reach the server's error log.

Two passes: hostile values in the URL's own arguments (ids, batches, pages, names), and real ids
in the URL with hostile values in every query and form field the kiosk knows."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from helpers.kiosk import ROLES, login, make_app, real_values, routes, token
from werkzeug.routing import IntegerConverter

from scan_station.register import FIELD_NAMES

pytestmark = [pytest.mark.ocr, pytest.mark.scanner, pytest.mark.slow]

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999999",
    "2147483648",
    "1e309",
    "NaN",
    "..",
    ".",
    "../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "\x00",
    "a\x00b",
    "A" * 5000,
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "@SUM(1)",
    "\u202egnp.exe",
    "\ufeff",
    "😀" * 50,
    "\udcff",
    "0000-01",
    "9999-12",
    "2026-02-30",
    "2026-13",
    "-2026-01",
    "{{7*7}}",
    "${7*7}",
    "%s%s%n",
    "\r\nX-Injected: 1",
    "ｐｐｉｄ",
    "null",
    "true",
    "[]",
    "{}",
    "*",
    "%",
    "_",
    "\\",
    '"',
    "'",
    "//evil.example",
]
#: For every field at once (forms are sent as UTF-8; bad bytes: below): one of each kind above.
FORM_HOSTILE = [
    "",
    " ",
    "-1",
    "99999999999999999999999",
    "1e309",
    "../../../etc/passwd",
    "a\x00b",
    "A" * 5000,
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    '=HYPERLINK("http://evil.example","x")',
    "\u202egnp.exe",
    "😀" * 50,
    "0000-01",
    "9999-12",
    "2026-02-30",
    "{{7*7}}",
    "\r\nX-Injected: 1",
    "ｐｐｉｄ",
    "[]",
    "%",
    "\\",
    "//evil.example",
]
INTS = ["0", "-1", "99999999999999999999999", "2147483648", "007", "1e3", "１"]
#: The query and form fields the kiosk reads, from its templates and views.
FIELDS = sorted(
    set(FIELD_NAMES)
    | {
        "q",
        "unit",
        "category",
        "year",
        "state",
        "nip",
        "in_frame",
        "status",
        "month",
        "next",
        "page",
        "held",
        "typed",
        "filed_page",
        "waiting_page",
        "returned_page",
        "username",
        "password",
        "name",
        "role",
        "reason",
        "device",
        "profile",
        "register_ids",
        "register_id",
        "direction",
        "source",
        "mode",
        "resolution",
        "page_size",
        "ids",
        "created_date",
        "replaces",
        "sort",  # search
        "action", "actor", "subject", "since", "until",  # the audit log's filters
        "endpoint", "_method", "_external", "_scheme", "_anchor", "values",  # url_for's own keywords
        "batch_id", "document_id", "upload_id",  # the views' own arguments
    }
)
#: Files of every bad kind, for the one upload (CSV import).
FILES = [
    b"",
    b"\x00" * 1000,
    b"\xff\xfe\x00garbage",
    b"Judul Informasi\r" + b"x\r" * 50,
    b'"' * 10000,
    b"Judul Informasi,Pejabat/Unit yang Menguasai Informasi,Kategori Informasi\n" + b"a" * 200_000 + b",u,berkala\n",
    b"Judul Informasi;Kategori Informasi\n=cmd|' /C calc'!A0;berkala\n",
    b"PK\x03\x04" + b"\x00" * 100,
]
#: File names the uploads are sent under: every kind taken, a wrong one, none, traversal, overlong.
UPLOAD_NAMES = ["a.pdf", "a.docx", "a.xlsx", "a.jpg", "a.odt", "a.exe", "noext", "../../../etc/passwd.pdf",
                "C:\\x\\a.pdf", "x" * 300 + ".pdf", "laporan‮txt.pdf", ".pdf"]
SKIP = {"static", "auth.logout", "auth.login"}


@pytest.fixture
def kiosk(lived_in, caplog):
    caplog.set_level(logging.WARNING)
    app = make_app(
        lived_in.home,
        users=False,
        PROPAGATE_EXCEPTIONS=False,
        TESTING=False,
        SCAN_EVENTS_SECONDS=0,
        LOGIN_RATE_LIMIT="10000 per minute",
    )
    return app, lived_in


def _server_errors(caplog) -> list[str]:
    return [r.getMessage()[:300] for r in caplog.records if r.levelno >= logging.ERROR]


def _path_values(rule, real: dict[str, list]) -> list[dict[str, str]]:
    """Hostile values for one argument at a time, the others real (or harmless)."""
    base = {a: str((real.get(a) or ["X"])[0]) for a in rule.arguments}
    combos = []
    for arg in rule.arguments:
        values = INTS if isinstance(rule._converters[arg], IntegerConverter) else HOSTILE
        combos += [base | {arg: v} for v in values]
    return combos or [{}]


def _fill(rule, values: dict[str, str]) -> str:
    def one(match):
        name = match.group(1)
        value = values[name]
        if isinstance(rule._converters[name], IntegerConverter):
            return value
        return quote(value, safe="", errors="surrogatepass")  # a lone surrogate: bytes that are not UTF-8

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", one, rule.rule)


def _clients(app):
    yield None, app.test_client()
    for username in ROLES:  # admin last: it deactivates and changes others at will
        yield username, login(app.test_client(), username)


def _check(response, where, count: list) -> None:
    response.get_data()
    count[0] += 1
    assert response.status_code < 500, (where, response.status_code)


def test_hostile_values_in_every_url_argument(kiosk, caplog):
    app, lived = kiosk
    real = real_values(app, lived)
    count = [0]
    for username, client in _clients(app):
        csrf = token(client, "/login")
        for rule in routes(app, skip=SKIP):
            for values in _path_values(rule, real):
                url = _fill(rule, values)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    _check(client.open(url, method=method, data={"csrf_token": csrf}), (username, method, url), count)
    assert count[0] > 3000
    print(f"hostile URL arguments: {count[0]} requests")
    assert not _server_errors(caplog)


def _urlencode(fields: dict[str, str]) -> str:
    """A query or form as werkzeug's test client encodes a dict (`werkzeug.urls._urlencode`)."""
    return urlencode(fields, safe="!$'()*,/:;?@")


def _real_urls(app, rule, real) -> list[str]:
    arguments = sorted(rule.arguments)
    if not arguments:
        return [rule.rule]
    values = {a: [str(v) for v in (real.get(a) or ["X"])][:2] for a in arguments}
    values["page"] = ["1", "2"]
    values["action"] = (
        ["move", "remove", "restore", "rotate", "assign", "rescan", "cancel-rescan"]
        if rule.endpoint == "review.correct"
        else ["activate", "password"]
    )
    urls = [rule.rule]
    for arg in arguments:
        urls = [re.sub(rf"<(?:[a-z]+:)?{arg}>", quote(v, safe=""), u) for u in urls for v in values[arg]]
    return urls


def test_hostile_values_in_every_query_and_form_field(kiosk, caplog):
    app, lived = kiosk
    real = real_values(app, lived)
    count = [0]
    for username, client in _clients(app):
        csrf = token(client, "/login")
        # each value's query and form, encoded once as the test client would encode them each time
        queries = {value: _urlencode({f: value for f in FIELDS}) for value in FORM_HOSTILE}
        forms = {value: _urlencode({f: value for f in FIELDS} | {"csrf_token": csrf}) for value in FORM_HOSTILE}
        for rule in routes(app, skip=SKIP):
            for url in _real_urls(app, rule, real):
                for value in FORM_HOSTILE:
                    if "GET" in rule.methods:
                        _check(client.get(url, query_string=queries[value]), (username, "GET", url, value), count)
                    if "POST" in rule.methods:
                        _check(client.post(url, data=forms[value], content_type="application/x-www-form-urlencoded"),
                               (username, "POST", url, value), count)
    assert count[0] > 2500
    print(f"hostile form and query values: {count[0]} requests")
    assert not _server_errors(caplog)


def test_hostile_bytes_and_files(kiosk, caplog):
    """Bodies that are not UTF-8, not a form, or files of every bad kind; the same as every role."""
    app, lived = kiosk
    count = [0]
    for username, client in _clients(app):
        csrf = token(client, "/login")
        for url in ("/login", "/register/new", "/register/import", "/admin/users", "/admin/profiles", "/scan/start"):
            for body in (
                b"title=%ff%fe&csrf_token=" + csrf.encode(),
                b"\xff\xfe\xfd",
                b"a=" + b"%00" * 1000,
                b"=" * 100,
                b"&" * 5000,
            ):
                _check(
                    client.post(url, data=body, content_type="application/x-www-form-urlencoded"),
                    (username, url),
                    count,
                )
            _check(
                client.post(url, data=b"--x\r\n", content_type="multipart/form-data; boundary=x"),
                (username, url),
                count,
            )
        for content in FILES:
            _check(
                client.post(
                    "/register/import",
                    data={"file": (io.BytesIO(content), "dip.csv"), "csrf_token": csrf},
                    content_type="multipart/form-data",
                ),
                (username, "import", content[:20]),
                count,
            )
            for name in UPLOAD_NAMES:  # the softcopy hand-over and the public verification take files too
                for url in (f"/register/{lived.entries['unfiled']}/softcopy", "/verifikasi/"):
                    files = [(io.BytesIO(content), name), (io.BytesIO(content[::-1]), name)]
                    _check(client.post(url, data={"files": files, "file": files[0], "csrf_token": csrf},
                                       content_type="multipart/form-data"), (username, url, name, content[:20]), count)
        for raw in (
            "/search?q=%ff%fe",
            "/register/?q=%00",
            "/report/?month=%ff",
            "/scan/%ff",
            "/lang/%ff",
            "/handover/%ff",
            "/register/%ff%fe/edit",
            "/register/..%2F..%2F/edit",
        ):
            _check(client.get(raw), (username, raw), count)
    assert count[0] > 200
    print(f"hostile bytes and files: {count[0]} requests")
    assert not _server_errors(caplog)


def test_the_walk_knows_every_field_the_templates_send():
    """A form field added to a template without being added here would go untested."""
    templates = Path(__file__).resolve().parents[1] / "web" / "templates"
    sent = {m for t in templates.rglob("*.html") for m in re.findall(r'name="([a-z_]+)"', t.read_text())}
    assert sent - {"csrf_token", "viewport", "file", "files"} <= set(FIELDS)  # "file(s)": the uploads above
