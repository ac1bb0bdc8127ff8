"""Exempt metadata stays with the PPID roles (issue 23, item 10): the names of the files handed
over for a "dikecualikan" entry, and the exempt entries a berita acara lists, reach no other role.
The berita acara they may open counts those entries without naming them; the stored PDF/A stays
the record, and the PPID roles get it unchanged."""

from __future__ import annotations

import hashlib

import pypdfium2 as pdfium
import pytest
from helpers.kiosk import every_url, login, make_app, real_values
from sqlalchemy import select

from scan_station.db.database import BeritaAcara, Document, Entry

pytestmark = [pytest.mark.ocr, pytest.mark.scanner]
FILE_NAME = b"telaah.pdf"  # the exempt softcopy of the lived-in home


def _text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


@pytest.fixture
def app(lived_in):
    return make_app(lived_in.home, users=False, LOGIN_RATE_LIMIT="10000 per minute")


def _uploads(app, entry_id: str) -> list[str]:
    from scan_station.filing.uploads import recent

    return [u.id for u in recent(app.extensions["scan_station"]["settings"], entry_id)]


def test_softcopy_names_of_an_exempt_entry_are_the_ppids(app, lived_in):
    entry = lived_in.entries["exempt_softcopy"]
    uploads = _uploads(app, entry)
    assert uploads
    for role in ("dok", "admin"):
        client = login(app.test_client(), role)
        form = client.get(f"/register/{entry}/softcopy")
        assert form.status_code == 200 and FILE_NAME not in form.data.lower()
        assert "1 berkas" in form.get_data(as_text=True)
        for upload in uploads:
            status = client.get(f"/register/{entry}/softcopy/{upload}")
            assert status.status_code == 200 and FILE_NAME not in status.data.lower(), role
            assert "hanya dilihat oleh PPID" in status.get_data(as_text=True)
    for role in ("ppid", "atasan"):  # the PPID roles register too (atasan: 403, it does not hand over)
        client = login(app.test_client(), role)
        answer = client.get(f"/register/{entry}/softcopy")
        assert answer.status_code == 403 or FILE_NAME in answer.data.lower()
    public = lived_in.entries["softcopy"]  # names of an ordinary entry's files stay in sight
    client = login(app.test_client(), "dok")
    assert b"lampiran.pdf" in client.get(f"/register/{public}/softcopy").data


def test_no_page_names_an_exempt_softcopy_to_other_roles(app, lived_in):
    values = real_values(app, lived_in)
    urls = every_url(app, values)
    assert len(urls) > 50
    for role in ("dok", "admin"):
        client = login(app.test_client(), role)
        for url in urls:
            with client.get(url) as answer:  # closed here: a live stream not read ends with its request
                if answer.status_code == 200 and answer.mimetype in ("text/html", "application/json", "text/csv"):
                    assert FILE_NAME not in answer.data.lower(), (role, url)


def test_a_berita_acara_counts_exempt_entries_without_naming_them(app, lived_in):
    settings, db = app.extensions["scan_station"]["settings"], app.extensions["scan_station"]["db"]
    with db.session() as s:
        record = s.scalars(select(BeritaAcara)).first()
        stored = (settings.storage_dir / record.path).read_bytes()
        listed = [s.get(Document, i) for i in record.document_ids]
        exempt = [(d.entry.id, d.entry.title) for d in listed if d.entry.category == "dikecualikan"]
        shown = [(d.entry.id, d.entry.title) for d in listed if d.entry.category != "dikecualikan"]
        record_id, sha = record.id, record.sha256
    assert exempt and shown
    full = _text(stored)
    assert all(title in full for _id, title in exempt)

    admin = login(app.test_client(), "admin").get(f"/report/berita-acara/{record_id}.pdf")
    assert admin.status_code == 200 and admin.mimetype == "application/pdf"
    text = " ".join(_text(admin.data).split())
    for register_id, title in exempt:
        assert register_id not in text and title not in text
    for register_id, title in shown:
        assert register_id in text and title in text
    assert f"{len(exempt)} berkas dikecualikan (tidak disebutkan)" in text
    assert f"sebanyak {len(listed)} berkas" in text  # counted in its words as in the record
    assert hashlib.sha256(admin.data).hexdigest() != sha

    for role in ("ppid", "atasan"):  # the record itself, byte for byte
        answer = login(app.test_client(), role).get(f"/report/berita-acara/{record_id}.pdf")
        assert answer.status_code == 200 and hashlib.sha256(answer.data).hexdigest() == sha
    assert login(app.test_client(), "dok").get(f"/report/berita-acara/{record_id}.pdf").status_code == 403


def test_the_signed_paper_of_a_berita_acara_naming_exempt_entries_is_exempt(app):
    db = app.extensions["scan_station"]["db"]
    with db.session() as s:
        record = s.scalars(select(BeritaAcara).where(BeritaAcara.register_id.is_not(None))).first()
        assert record is not None
        assert s.get(Entry, record.register_id).category == "dikecualikan"
