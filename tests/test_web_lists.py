"""Lists that grow are paginated and filtered on the server: the register at 100,000 entries,
batches, handover, users."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from helpers.kiosk import login, make_app
from sqlalchemy import insert

from scan_station.db.database import Entry, UserAccount


@pytest.fixture
def app(home):
    return make_app(home)


@pytest.fixture
def big_register(app):
    rows = [{"id": f"PPID-2025-{n:06d}", "title": f"Laporan nomor {n}", "summary": "", "unit": f"Unit {n % 7}",
             "responsible": "", "created_date": dt.date(2020 + n % 6, 1 + n % 12, 1), "place": "",
             "format": "hardcopy", "retention": "", "category": "berkala", "classification": "", "number": "",
             "hardcopy_location": "", "registered_at": dt.datetime.now(dt.UTC),
             "updated_at": dt.datetime.now(dt.UTC)} for n in range(1, 100_001)]
    with app.extensions["scan_station"]["db"].session() as s:
        s.execute(insert(Entry), rows)
    return app


def test_the_register_at_100000_entries_is_one_page_at_a_time(big_register):
    client = login(big_register.test_client(), "dok")
    started = time.perf_counter()
    response = client.get("/register/")
    seconds = time.perf_counter() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and seconds < 1.5, seconds
    assert len(page) < 200_000 and page.count('name="ids"') == 50
    assert "1–50 dari 100000" in page and "PPID-2025-000050" in page and "PPID-2025-000051" not in page
    last = client.get("/register/?page=2000").get_data(as_text=True)
    assert "PPID-2025-100000" in last and 'rel="next"' not in last
    beyond = client.get("/register/?page=999999").get_data(as_text=True)
    assert "PPID-2025-100000" in beyond  # the last page, not an empty one
    found = client.get("/register/?q=nomor+77777").get_data(as_text=True)
    assert "PPID-2025-077777" in found and found.count('name="ids"') == 1
    filtered = client.get("/register/?unit=Unit+3&year=2023&page=2").get_data(as_text=True)
    assert "Unit 3" in filtered and "page=3" in filtered and "unit=Unit+3" in filtered  # links keep the filters


def test_users_are_paginated(app):
    with app.extensions["scan_station"]["db"].session() as s:
        s.execute(insert(UserAccount), [{"username": f"user{n:03d}", "name": f"User {n}", "role": "dokumentasi",
                                         "password_hash": "x", "active": True,
                                         "created_at": dt.datetime.now(dt.UTC)} for n in range(120)])
    client = login(app.test_client(), "admin")
    first = client.get("/admin/").get_data(as_text=True)
    assert "user000" in first and "user060" not in first and "dari 124" in first
    assert "user119" in client.get("/admin/?page=3").get_data(as_text=True)


def test_the_handover_lists_are_paginated_and_leave_exempt_entries_out_in_the_query(big_register):
    from scan_station.db.database import Batch, Document, DocumentEvent

    now = dt.datetime.now(dt.UTC)
    with big_register.extensions["scan_station"]["db"].session() as s:
        s.execute(insert(Batch), [{"id": "B1", "received_at": now, "source_name": "x", "raw_dir": "x",
                                   "manifest_sha256": "0" * 64, "page_count": 1}])
        s.query(Entry).filter(Entry.id == "PPID-2025-000007").update({"category": "dikecualikan"})
        s.execute(insert(Document), [{"register_id": f"PPID-2025-{n:06d}", "version": 1, "batch_id": "B1",
                                      "batch_pages": [1], "page_count": 1, "path": "x.pdf", "sha256": "0" * 64,
                                      "sidecar_path": "x.json", "sidecar_sha256": "0" * 64,
                                      "status": "returned" if n % 2 else "submitted", "filed_at": now}
                                     for n in range(1, 131)])
        s.flush()
        s.execute(insert(DocumentEvent), [{"document_id": n, "action": "returned", "actor": "ppid",
                                           "reason": f"alasan {n}", "at": now} for n in range(1, 131, 2)])
    client = login(big_register.test_client(), "dok")
    page = client.get("/handover/").get_data(as_text=True)
    assert "1–50 dari 65" in page and "returned_page=2" in page and "PPID-2025-000007" not in page
    assert "alasan 129" in client.get("/handover/?returned_page=2").get_data(as_text=True)
    ppid = login(big_register.test_client(), "ppid")
    assert "1–50 dari 65" in ppid.get("/handover/").get_data(as_text=True)  # 65 waiting: none exempt
    assert "PPID-2025-000007" in ppid.get("/handover/").get_data(as_text=True)
