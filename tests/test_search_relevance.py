"""The fixed relevance set (tests/helpers/search_corpus.py) on every database backend, and what roles see."""

from __future__ import annotations

import pytest
from helpers.search_corpus import QUERIES, RANKED, build

from scan_station import search
from scan_station.accounts.roles import hidden_categories
from scan_station.core.config import load_settings
from scan_station.db.database import Database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive(request, tmp_path_factory):
    home = tmp_path_factory.mktemp(f"search-{request.param}")
    overrides = {"database_url": request.getfixturevalue("postgres")()} if request.param == "postgresql" else {}
    db = Database(load_settings(home, **overrides))
    ids = build(db)
    yield db, ids
    db.close()


def found(db, query: str, **kwargs) -> list[str]:
    with db.session() as s:
        results = search.find(s, query, per_page=100, **kwargs)
    assert results.total == len(results.documents)
    return [d.register_id.removeprefix("PPID-") for d in results.documents]


def test_there_are_enough_documents_and_queries():
    from helpers.search_corpus import entries

    assert len(entries()) >= 40 and len(QUERIES) >= 60


@pytest.mark.parametrize("query, expected", QUERIES, ids=[q for q, _ in QUERIES])
def test_known_answers(archive, query, expected):
    db, _ids = archive
    answer = found(db, query)
    if query in RANKED:
        assert answer == expected
    else:
        assert sorted(answer) == sorted(expected)


def test_rescanned_document_shows_its_new_version_only(archive):
    db, _ids = archive
    with db.session() as s:
        (hit,) = search.find(s, "zamrud").documents
    assert hit.version == 2 and "ulang" in hit.pages[0].snippet


def test_returned_version_gives_way_to_the_one_before(archive):
    db, _ids = archive
    with db.session() as s:
        (hit,) = search.find(s, "safir").documents
    assert hit.version == 1 and "terbalik" not in hit.pages[0].snippet


def test_best_page_and_marked_snippet(archive):
    db, _ids = archive
    with db.session() as s:
        (hit,) = search.find(s, '"surat suara" tahun:2025', mark=("<", ">")).documents
    assert hit.register_id == "PPID-S01" and hit.pages[0].page == 2
    assert "<surat> <suara>" in hit.pages[0].snippet.lower()


def test_the_page_where_the_words_stand_together_is_shown_first(archive):
    """Words typed together count on pages too: the page signed "Intan Bayu Permadi" before the
    list where the same words stand apart, more often."""
    db, _ids = archive
    with db.session() as s:
        (hit,) = search.find(s, "intan bayu permadi", mark=("<", ">")).documents
        (by_date,) = search.find(s, "intan bayu permadi", sort="date").documents
    assert [p.page for p in hit.pages] == [2, 1] and "<Intan> <Bayu> <Permadi>" in hit.pages[0].snippet
    assert by_date.register_id == hit.register_id


def test_pages_of_results_and_sort_by_date(archive):
    db, _ids = archive
    with db.session() as s:
        first = search.find(s, "kegiatan", per_page=5, sort="date")
        second = search.find(s, "kegiatan", per_page=5, page=2, sort="date")
    assert first.total == second.total > 10 and first.pages == -(-first.total // 5)
    assert not {d.register_id for d in first.documents} & {d.register_id for d in second.documents}
    dates = [d.date for d in first.documents + second.documents]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("role", ["dokumentasi", "ppid", "atasan", "admin"])
def test_exempt_entries_only_for_roles_that_may_see_them(archive, role):
    db, _ids = archive
    hidden = hidden_categories(role)
    for query in ("zirkon", "kuarsa", "kategori:dikecualikan", '"surat suara"', "pleno", "88/HK.03-ND/II/2025"):
        with db.session() as s:
            results = search.find(s, query, per_page=100, hidden_categories=hidden)
        shown = {d.category for d in results.documents}
        assert results.total == len(results.documents)
        if hidden:
            assert "dikecualikan" not in shown, (role, query)
    may_see = not hidden
    assert bool(found(db, "zirkon", hidden_categories=hidden)) == may_see
    assert sorted(found(db, '"surat suara"', hidden_categories=hidden)) == (["S01", "S11"] if may_see else ["S01"])


def test_any_input_is_a_search(archive):
    db, _ids = archive
    for query in ['"', '"unclosed phrase', "OR", "OR OR", "-", "*", "a*", "tahun:abc", "nomor:", "kategori:",
                  "x" * 5000, "\x00", "unit:\"", "(rapat", "rapat)", "::::", "-\"\"", "pemil**", "ü" * 70]:
        found(db, query)


@pytest.mark.parametrize("role", ["dokumentasi", "ppid"])
def test_facets_count_what_the_role_may_see(archive, role):
    """Facets (category, unit, year) count the matching documents the role may see, and no more."""
    db, _ids = archive
    hidden = hidden_categories(role)
    with db.session() as s:
        results = search.find(s, "pleno", per_page=100, hidden_categories=hidden, with_facets=True)
        narrowed = search.find(s, "pleno", per_page=100, hidden_categories=hidden, with_facets=True,
                               filters={"year": results.facets["year"][0][0]})
    for name in ("category", "unit", "year"):
        assert sum(n for _value, n in results.facets[name]) == results.total, name
    categories = dict(results.facets["category"])
    assert ("dikecualikan" in categories) == (not hidden)
    assert categories == {c: sum(d.category == c for d in results.documents) for c in categories}
    assert narrowed.total == results.facets["year"][0][1]


def test_quick_paths_give_what_the_slow_ones_give(archive, monkeypatch):
    """A prefix looked up as the set of its words in the index gives what its automaton gives,
    and snippets marked from the needles what deciding every word of the pages gives."""
    from scan_station.search import engine as search_engine
    from scan_station.search import snippet as search_snippet

    db, _ids = archive

    def answers(queries):
        with db.session() as s:
            return {q: [(d.register_id, [(p.page, p.snippet) for p in d.pages])
                        for d in search.find(s, q, per_page=100, mark=("<", ">")).documents] for q in queries}

    prefixes = ["pemil*", "pemilu*", "rekap*", "suhar* rapat", "pleno OR koordinasi*"]
    quick = answers(prefixes + [q for q, _ in QUERIES])
    monkeypatch.setattr(search_engine, "MAX_PREFIX_TERMS", 0)
    monkeypatch.setattr(search_snippet, "NEEDLE_BUDGET", -1)
    assert answers(prefixes + [q for q, _ in QUERIES]) == quick
    monkeypatch.setattr(search_snippet, "FEW_FOUND", 0)
    assert answers(prefixes + [q for q, _ in QUERIES]) == quick
    monkeypatch.setattr(search_snippet, "ASCII_QUICK", False)
    assert answers(prefixes + [q for q, _ in QUERIES]) == quick
    assert any("<" in snippet for hits in quick.values() for _rid, pages in hits for _n, snippet in pages)


def test_snippets_from_needles_mark_every_form_case_and_misreading(monkeypatch):
    from scan_station.search import snippet as search_snippet
    from scan_station.search.query import parse

    texts = ["Warga MEMILIH di tempat pemungutan; pemilihan-nya dipilihnya (rapat) rapat_pleno Rapat.",
             "Surat 19/PP.07-SOP/HM/I/2025 dari Bapak Suharyamto, pendapatan daerah dapat naik.",
             "Laporan pelaksanaan: dilaksanakan, melaksanakan, terlaksana; laksana.",
             "Catatan — pemiñlihan umum, Müller memilih; ΟΔΟΣ'Α.", "Dari İstanbul: Muller, pemilihan.",
             "Hadir: Eko Hartono, Hartona (Ekonomi), EKO HARTONO dan Eko-Hartonoo.",
             "Yang yang2 2yang yang-yang YANG_yang yang. Di dan DI-dan di_sana; dana didanai, _dan_ x"]
    short = ["di", "dan", "di dan yang"]  # every word decided: their needles are everywhere
    queries = ["pemilihan", "Rapat", "suharyanto", "pemil*", '"pemungutan suara"', "laksana dapat", "müller",
               "pemiñlihan", "19/PP.07-SOP/HM/I/2025", "eko hartono", "yang", "dan*", *short]
    for query in queries:
        marker = search_snippet.Marker(parse(query), ("<", ">"))
        # a number's pieces are too short to look for, and so are the needles of short words
        assert (marker.needles is None) == ("/" in query or query in short), query
        assert marker.needles is None or marker._by_needles(texts) is not None, query
        quick = marker.snippets(texts)
        monkeypatch.setattr(search_snippet, "NEEDLE_BUDGET", -1)  # every word decided ...
        assert search_snippet.Marker(parse(query), ("<", ">")).snippets(texts) == quick, query
        monkeypatch.setattr(search_snippet, "FEW_FOUND", 0)  # ... and found token by token, not by a pattern
        assert search_snippet.Marker(parse(query), ("<", ">")).snippets(texts) == quick, query
        monkeypatch.setattr(search_snippet, "ASCII_QUICK", False)  # ... and ASCII pages as any other
        assert search_snippet.Marker(parse(query), ("<", ">")).snippets(texts) == quick, query
        monkeypatch.setattr(search_snippet, "FEW_FOUND", 64)
        assert search_snippet.Marker(parse(query), ("<", ">")).snippets(texts) == quick, query
        monkeypatch.undo()
    assert "<MEMILIH>" in search_snippet.snippet(texts[0], parse("pemilihan"), ("<", ">"))
    assert "<Suharyamto>" in search_snippet.snippet(texts[1], parse("suharyanto"), ("<", ">"))
    assert "<Müller>" in search_snippet.snippet(texts[3], parse("muller"), ("<", ">"))
    # a name is its own stem (no stem needle cut from it), and one letter off it is marked too
    assert search_snippet.Marker(parse("eko hartono"), ("<", ">")).needles == ["eko", "har", "tono"]
    assert search_snippet.snippet(texts[5], parse("eko hartono"), ("<", ">")) == (
        "Hadir: <Eko> <Hartono>, <Hartona> (Ekonomi), <EKO> <HARTONO> dan <Eko>-<Hartonoo>.")
