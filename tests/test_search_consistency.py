"""The index follows storage: searchable once filed, a rescan replaces the version shown, a
returned version disappears, an edit shows, `reindex` rebuilds from the sidecars while search
keeps answering, and `verify` notices an index out of step — on every database backend."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import select

from scan_station import search
from scan_station.core.config import load_settings
from scan_station.core.model import OcrResult
from scan_station.db.database import Batch, Entry
from scan_station.filing.store import RawBatch, Received, file_documents
from scan_station.pages.split import PlannedDocument
from scan_station.records import handover
from scan_station.register import add_entry, entry_dict, update_entry
from scan_station.search import engine as search_engine
from scan_station.search import rebuild as search_rebuild


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request, home):
    overrides = {"database_url": request.getfixturevalue("postgres")()} if request.param == "postgresql" else {}
    return load_settings(home, ocr_workers=2, **overrides)


def _pdf(path, pages: int):
    c = canvas.Canvas(str(path))
    for n in range(pages):
        c.drawString(72, 720, f"halaman {n + 1}")
        c.showPage()
    c.save()
    return path


def _file(settings, db, tmp_path, entry_id: str, texts: list[str], batch: str):
    with db.session() as s:
        s.add(Batch(id=batch, source_name="b.pdf", raw_dir=f"raw/{batch}", manifest_sha256="0" * 64,
                    page_count=len(texts)))
    result = OcrResult(batch, _pdf(tmp_path / f"{batch}.pdf", len(texts)), texts, True, [])
    planned = PlannedDocument(entry_id, 1, list(range(2, 2 + len(texts))))
    received = Received(batch, dt.datetime.now(dt.UTC), tmp_path / "b.pdf")
    return file_documents(settings, db, received, RawBatch(tmp_path, "0" * 64), [(planned, result)])[0]


def _find(db, query, **kwargs):
    with db.session() as s:
        return search.find(s, query, **kwargs).documents


def _index_problems(settings, db):
    return [p for p in search_rebuild.check(settings, db)]


def test_filing_rescan_return_edit_reindex(settings, db, tmp_path):
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Laporan Logistik", unit="Umum", category="berkala").id
    _file(settings, db, tmp_path, entry_id, ["Distribusi kotak suara ke kecamatan.", "Lampiran"], "B1")
    (hit,) = _find(db, "kotak suara")
    assert (hit.register_id, hit.version, hit.pages[0].page) == (entry_id, 1, 1)
    assert _index_problems(settings, db) == []

    _file(settings, db, tmp_path, entry_id, ["Distribusi kotak suara dan bilik.", "Lampiran"], "B2")
    (hit,) = _find(db, "kotak suara")
    assert hit.version == 2 and _find(db, "bilik")[0].version == 2

    with db.session() as s:
        v2 = s.get(Entry, entry_id).documents[-1].id
        handover.return_document(s, v2, actor="ppid", reason="halaman terbalik", storage_dir=settings.storage_dir)
    assert _find(db, "bilik") == [] and _find(db, "kotak")[0].version == 1

    with db.session() as s:
        fields = {k: v for k, v in entry_dict(s.get(Entry, entry_id)).items() if k != "id"}
        update_entry(s, entry_id, **(fields | {"title": "Laporan Logistik Zamrud"}))
    assert [d.register_id for d in _find(db, "zamrud")] == [entry_id]
    assert _index_problems(settings, db) == []

    before = search_engine.current(settings.index_dir)
    result = search_rebuild.reindex(settings, db)
    assert result["entries"] == 1 and result["pages"] == 2 and result["problems"] == []
    assert search_engine.current(settings.index_dir) != before and not before.exists()
    assert _find(db, "kotak")[0].version == 1 and _find(db, "zamrud")
    assert _index_problems(settings, db) == []


def test_verify_notices_an_index_out_of_step(settings, db, tmp_path):
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Surat Edaran", unit="Umum", category="berkala").id
    _file(settings, db, tmp_path, entry_id, ["Edaran tentang jam kerja."], "B1")
    search.write(settings.index_dir, [(entry_id, [])])  # as if an update had been lost
    assert _find(db, "edaran") == []
    (problem,) = _index_problems(settings, db)
    assert problem["path"] == entry_id and "reindex" in problem["note"]
    search_rebuild.reindex(settings, db)
    assert _find(db, "edaran") and _index_problems(settings, db) == []


def test_search_answers_while_reindex_runs(settings, db, tmp_path, monkeypatch):
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Notulen", unit="Umum", category="berkala").id
    _file(settings, db, tmp_path, entry_id, ["Notulen rapat pleno."], "B1")
    seen = []
    real_write = search.write

    def write_and_search(folder, payload, index=None):
        real_write(folder, payload, index=index)
        seen.append([d.register_id for d in _find(db, "pleno")])  # the old generation still answers

    monkeypatch.setattr(search, "write", write_and_search)
    search_rebuild.reindex(settings, db)
    assert seen and seen[0] == [entry_id]


def test_a_rolled_back_filing_leaves_the_index_alone(settings, db):
    with db.session() as s:
        entry = add_entry(s, settings, title="Batal", unit="Umum", category="berkala")
    with pytest.raises(RuntimeError), db.session() as s:
        search.entry_changed(s, entry.id)
        s.get(Entry, entry.id).title = "Batal Zamrud"
        raise RuntimeError
    assert _find(db, "zamrud") == []


def test_an_index_of_an_older_schema_is_rebuilt_on_start_and_never_a_500(settings, db, tmp_path):
    """After an upgrade that changes the index's schema, search says so (no traceback, no 500),
    `verify` reports it, and `ensure_current` (run by `worker` and `serve` on start) rebuilds it."""
    from helpers import kiosk

    with db.session() as s:
        entry_id = add_entry(s, settings, title="Laporan Logistik", unit="Umum", category="berkala").id
    _file(settings, db, tmp_path, entry_id, ["Distribusi kotak suara ke kecamatan."], "B1")
    generation = search_engine.current(settings.index_dir)
    (generation / search_engine.VERSION_FILE).write_text("1\n")
    with pytest.raises(search_engine.IndexOutdatedError, match="scan-station reindex"), db.session() as s:
        search.find(s, "kotak")
    assert "older Scan Station" in _index_problems(settings, db)[0]["note"]
    app = kiosk.make_app(settings.home)
    client = kiosk.login(app.test_client(), "ppid")
    response = client.get("/search?q=kotak")
    assert response.status_code == 200 and "scan-station reindex" in response.get_data(as_text=True)
    assert search_rebuild.ensure_current(settings, db)["entries"] == 1
    assert search_rebuild.ensure_current(settings, db) is None
    assert [d.register_id for d in _find(db, "kotak")] == [entry_id] and _index_problems(settings, db) == []
    page = client.get("/search?q=kotak").get_data(as_text=True)
    assert entry_id in page and 'href="/search?q=kotak&amp;unit=Umum"' in page  # a facet narrows the search
    assert entry_id in client.get("/search?q=kotak&unit=Umum").get_data(as_text=True)


def _marked(db) -> list[str]:
    from scan_station.db.database import SearchPending

    with db.session() as s:
        return list(s.scalars(select(SearchPending.register_id)))


def _make_exempt(db, entry_id: str) -> None:
    with db.session() as s:
        fields = {k: v for k, v in entry_dict(s.get(Entry, entry_id)).items() if k != "id"}
        update_entry(s, entry_id, **(fields | {"category": "dikecualikan"}))


@pytest.mark.parametrize("how", ["write failed", "process died before writing", "write failed, among many marks"])
def test_an_index_write_left_undone_hides_a_newly_exempt_entry_until_written_again(settings, db, tmp_path,
                                                                                 monkeypatch, how):
    """The change of category commits; the index keeps the entry as "berkala" (its write failed:
    lock held too long, disk full; or the process died between commit and write). The entry
    stays marked, so it is in no result, count or facet of a role that may not see it; a
    worker's start (`ensure_current`) writes it again and the mark goes. Among more marks than
    are looked up one by one (`search.FEW_PENDING`), the same."""
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Laporan Intan", unit="Umum", category="berkala").id
    _file(settings, db, tmp_path, entry_id, ["Pengadaan barang intan."], "B1")
    assert _marked(db) == []  # written: no mark left

    with monkeypatch.context() as m:
        if how.startswith("write failed"):
            def locked(index):
                raise search_engine.IndexUnavailableError("the search index cannot be written (test)")
            m.setattr(search_engine, "writer", locked)
        else:
            m.setattr(search, "_apply", lambda session: session.info.clear())
        _make_exempt(db, entry_id)
    assert _marked(db) == [entry_id]
    if "many" in how:
        from scan_station.db.database import SearchPending

        with db.session() as s:
            s.add_all(SearchPending(register_id=f"PPID-1999-{n:06d}") for n in range(search.FEW_PENDING + 10))
    with db.session() as s:
        hidden = search.find(s, "intan", hidden_categories=("dikecualikan",), with_facets=True)
        stale = search.find(s, "intan")
    assert (hidden.total, hidden.documents, hidden.facets) == (0, [], {})
    assert stale.documents[0].category == "berkala"  # the index is behind: only the database knew

    search_rebuild.ensure_current(settings, db)
    assert entry_id not in _marked(db)
    with db.session() as s:
        assert search.find(s, "intan").documents[0].category == "dikecualikan"
        assert search.find(s, "intan", hidden_categories=("dikecualikan",)).total == 0
    assert _index_problems(settings, db) == []


@pytest.mark.parametrize("damage", ["not_its_shape", "a_link", "not_json"])
def test_reindex_reads_a_sidecar_only_when_it_is_one(settings, db, tmp_path, damage):
    """A sidecar that is not one (another shape, a link out of storage, not JSON) is not believed:
    the page texts come from the database's copy and the problem is listed."""
    with db.session() as s:
        entry_id = add_entry(s, settings, title="Surat Edaran", unit="Umum", category="berkala").id
    _file(settings, db, tmp_path, entry_id, ["Edaran tentang jam kerja."], "B1")
    with db.session() as s:
        sidecar = settings.storage_dir / s.get(Entry, entry_id).documents[-1].sidecar_path
    if damage == "not_its_shape":
        data = json.loads(sidecar.read_text())
        data["pages"][0]["text"] = ["bukan teks"]
        sidecar.write_text(json.dumps(data))
    elif damage == "a_link":
        sidecar.unlink()
        sidecar.symlink_to("/etc/passwd")
    else:
        sidecar.write_text("{")
    result = search_rebuild.reindex(settings, db)
    assert [p["kind"] for p in result["problems"]] == ["sidecar"]
    assert _find(db, "edaran")[0].register_id == entry_id
