"""Each role starts where its work is, after a lived-in week (tests/helpers/lived_in.py): the documentation
officer at scanning with what the PPID returned and the next step; the PPID officer at what waits
for a decision, a new version of a returned document pointed out; the Atasan PPID at the month's
figures. The register shows what became of each entry and filters by it, without telling a role
what became of a "dikecualikan" entry it may not see. Nothing opens a new tab (issue 24)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import batches
from helpers.kiosk import login, make_app

from scan_station.core.config import load_settings
from scan_station.db.database import Database
from scan_station.filing.ingest import ingest
from scan_station.filing.sources import IngestSource

pytestmark = [pytest.mark.ocr, pytest.mark.scanner]
TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"


@pytest.fixture
def app(lived_in):
    return make_app(lived_in.home, users=False, LOGIN_RATE_LIMIT="10000 per minute")


@pytest.mark.parametrize("role, lands", [("dok", "/scan/"), ("ppid", "/handover/"), ("atasan", "/report/"),
                                         ("admin", "/admin/")])
def test_each_role_starts_where_its_work_is(app, role, lands):
    client = login(app.test_client(), role)
    assert client.get("/").headers["Location"].endswith(lands)


def test_the_documentation_officer_sees_what_was_returned_and_the_next_step(app, lived_in):
    page = login(app.test_client(), "dok").get("/scan/").get_data(as_text=True)
    returned = lived_in.entries["returned"]
    section = page[page.index('id="to-redo"'):page.index("</section>", page.index('id="to-redo"'))]
    assert returned in section and "Halaman terpotong" in section  # which, and why
    assert f'name="ids" value="{returned}"' in section  # print its cover sheet to scan it again
    assert f"/register/{returned}/softcopy" in section or f"{returned}" in section and "Unggah versi baru" in section


def test_a_new_version_of_a_returned_document_is_pointed_out_and_leaves_the_returned_list(app, lived_in, tmp_path):
    settings = load_settings(lived_in.home)
    db = Database(settings)
    returned = lived_in.entries["returned"]
    pages = [batches.cover(returned), batches.content("Surat edaran", page_no=1)]
    ingest(IngestSource.batch_file(batches.write_pdf(pages, tmp_path / "again.pdf"), submitted_by="dok"),
           settings=settings, db=db)
    db.close()
    ppid = login(app.test_client(), "ppid").get("/handover/").get_data(as_text=True)
    waiting = ppid[:ppid.index('id="returned"')]
    assert re.search(rf"{re.escape(returned)} v2</a> <small class=\"badge\">versi baru: v1 dikembalikan", waiting)
    assert returned not in ppid[ppid.index('id="returned"'):]  # nothing left to do for the unit
    dok = login(app.test_client(), "dok").get("/scan/").get_data(as_text=True)
    assert 'id="to-redo"' not in dok


@pytest.mark.parametrize("role", ["dok", "admin", "ppid", "atasan"])
def test_the_register_shows_and_filters_what_became_of_each_entry(app, lived_in, role):
    client = login(app.test_client(), role)
    e = lived_in.entries
    sees_exempt = role in ("ppid", "atasan")
    exempt = {e["exempt"], e["exempt_kiosk"], e["exempt_softcopy"]}
    listed = {}
    for state in ("not_scanned", "submitted", "accepted", "returned"):
        page = client.get(f"/register/?state={state}").get_data(as_text=True)
        listed[state] = set(re.findall(r'name="ids" value="([^"]+)"', page))
    assert e["unfiled"] in listed["not_scanned"] and listed["returned"] == {e["returned"]}
    assert {e["accepted"], e["softcopy"]} <= listed["submitted"]  # the newest version of "accepted" waits
    assert not listed["accepted"]
    assert {e["accepted"], e["returned"], e["softcopy"]}.isdisjoint(listed["not_scanned"])
    shown_exempt = exempt & set().union(*listed.values())
    assert shown_exempt == (exempt if sees_exempt else set()), shown_exempt
    page = client.get("/register/").get_data(as_text=True)
    for entry in sorted(exempt):
        row = page[page.index(f'value="{entry}"'):]
        row = row[:row.index("</tr>")]
        assert ("menunggu PPID" in row) == sees_exempt and ('class="state-hidden">—' in row) != sees_exempt
    assert "belum dipindai" in page and "dikembalikan ke unit" in page
    assert client.get("/register/?state=<script>").status_code == 200  # an unknown state filters nothing


def test_nothing_opens_a_new_tab():
    """A kiosk in full-screen mode has no tabs to come back from (Chromium --kiosk)."""
    for template in TEMPLATES.rglob("*.html"):
        assert not re.search(r"target=[\"']?_blank", template.read_text()), template


def test_search_results_name_states_and_lead_to_the_document_page(app):
    page = login(app.test_client(), "ppid").get("/search?q=laporan").get_data(as_text=True)
    assert "/handover/" in page and "?page=" in page and "#page=" not in page
    assert not re.search(r"· (submitted|accepted|returned) ·", page)
