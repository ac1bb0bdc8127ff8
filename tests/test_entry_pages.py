"""A page for every entry and every document (issue 24, first part): after a lived-in week, every
entry's page opens for every role, with its fields, its state and every version it may see (the
state, and the reason a version was returned), and what the role may do next; every document is
reached from the register and from search in at most two taps; "dikecualikan" stays the PPID's."""

from __future__ import annotations

import re

import pytest
from helpers.kiosk import ROLES, login, make_app, real_values
from helpers.lived_in import SECRET

pytestmark = [pytest.mark.ocr, pytest.mark.scanner]


@pytest.fixture
def app(lived_in):
    return make_app(lived_in.home, users=False, LOGIN_RATE_LIMIT="10000 per minute")


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"#?]+)', html))


def test_every_entry_page_opens_for_every_role(app, lived_in):
    entries = real_values(app, lived_in)["entry_id"]
    for username in ROLES:
        client = login(app.test_client(), username)
        for entry in entries:
            page = client.get(f"/register/{entry}")
            assert page.status_code == 200, (username, entry)
            assert SECRET not in page.get_data(as_text=True).lower()
    assert login(app.test_client(), "dok").get("/register/PPID-0000-000000").status_code == 404


def test_an_entry_page_says_what_became_of_it(app, lived_in):
    e, d = lived_in.entries, lived_in.documents
    client = login(app.test_client(), "dok")
    returned = client.get(f"/register/{e['returned']}").get_data(as_text=True)
    assert "Dikembalikan" in returned and "Halaman terpotong" in returned
    assert f"/handover/{d['returned']}" in returned
    accepted = client.get(f"/register/{e['accepted']}").get_data(as_text=True)
    assert {f"/handover/{d['accepted_v1']}", f"/handover/{d['accepted_v2']}"} <= _links(accepted)
    assert "versi 2" in accepted and "versi 1" in accepted
    unfiled = client.get(f"/register/{e['unfiled']}").get_data(as_text=True)
    assert "belum dipindai" in unfiled and "Cetak lembar sampul" in unfiled
    for key in ("exempt", "exempt_kiosk", "exempt_softcopy"):  # the entry is listed; its documents are not
        page = client.get(f"/register/{e[key]}").get_data(as_text=True)
        assert "hanya dilihat oleh PPID" in page and not re.search(r"/handover/\d", page)
        ppid = login(app.test_client(), "ppid").get(f"/register/{e[key]}").get_data(as_text=True)
        assert "/handover/" in ppid


def test_what_each_role_may_do_is_offered(app, lived_in):
    entry = lived_in.entries["accepted"]
    offered = {u: login(app.test_client(), u).get(f"/register/{entry}").get_data(as_text=True) for u in ROLES}
    assert f"/register/{entry}/edit" in offered["ppid"] and f"/register/{entry}/edit" not in offered["dok"]
    assert f"/register/{entry}/softcopy" in offered["dok"] and f"/register/{entry}/softcopy" not in offered["atasan"]


def test_every_document_is_two_taps_from_the_register_and_from_search(app, lived_in):
    client = login(app.test_client(), "ppid")
    register = client.get("/register/").get_data(as_text=True)
    entry_pages = {link for link in _links(register)
                   if re.fullmatch(r"/register/[^/]+", link) and not link.startswith("/register/export")}
    reached = set()
    for link in entry_pages:
        reached |= {int(m) for m in re.findall(r'href="/handover/(\d+)"', client.get(link).get_data(as_text=True))}
    assert set(lived_in.documents.values()) <= reached
    results = client.get("/search?q=laporan").get_data(as_text=True)
    assert f"/handover/{lived_in.documents['accepted_v2']}" in results
    assert f"/register/{lived_in.entries['accepted']}" in results


def test_the_audit_log_links_its_subjects(app, lived_in):
    log = login(app.test_client(), "atasan").get("/audit/?action=register").get_data(as_text=True)
    assert f'href="/register/{lived_in.entries["accepted"]}"' in log


def test_the_report_links_the_returned_documents_to_their_entries(app, lived_in):
    page = login(app.test_client(), "atasan").get("/report/").get_data(as_text=True)
    returned = page[page.index("<h2>Dikembalikan bulan ini"):]
    assert f'href="/register/{lived_in.entries["returned"]}"' in returned
    assert re.search(r"\(ppid, \d\d-\d\d-\d{4}\)", returned)
