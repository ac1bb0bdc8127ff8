"""Property-based tests (hypothesis) of the pure functions every input reaches: cover-sheet
payloads, register ids and the id pattern, the names of files and folders in storage, and the
search query language. (The CSV round trip is in test_register.py, the audit chain in
test_audit.py.)"""

from __future__ import annotations

from pathlib import PurePosixPath

from hypothesis import given, settings
from hypothesis import strategies as st

from scan_station.core import storage
from scan_station.core.entry_ids import MAX_ID_LENGTH, id_pattern_problem, id_problem
from scan_station.papers.cover_sheet import ALPHABET, parse_payload, payload_for
from scan_station.search import query as search_query

ID_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
PART = st.text(ID_CHARS, min_size=1, max_size=10).filter(lambda p: p not in (".", ".."))
REGISTER_IDS = st.lists(PART, min_size=1, max_size=4).map("/".join).filter(
    lambda i: len(i) <= MAX_ID_LENGTH and i[0].isalnum())


@given(REGISTER_IDS)
def test_a_payload_reads_back_as_its_register_id(register_id):
    assert id_problem(register_id) is None
    code = parse_payload(payload_for(register_id))
    assert code is not None and code.valid and code.register_id == register_id


@given(REGISTER_IDS, st.integers(0, 60), st.sampled_from(ALPHABET))
def test_a_payload_with_one_character_changed_is_never_another_entry(register_id, where, char):
    payload = payload_for(register_id)
    where %= len(payload)
    changed = payload[:where] + char + payload[where + 1:]
    code = parse_payload(changed)
    assert changed == payload or code is None or not code.valid  # the check character catches it


@given(st.text(max_size=200))
def test_any_barcode_text_is_a_payload_or_none_and_never_an_error(text):
    code = parse_payload(text)
    assert code is None or code.register_id is None or id_problem(code.register_id) is None


@given(st.text(max_size=80))
def test_an_id_that_passes_makes_a_storage_path_inside_storage(text):
    register_id = text.strip().upper()
    if id_problem(register_id) is not None:
        return
    path = storage.document_relpath(year=2026, unit="Umum", register_id=register_id, version=1)
    assert not path.is_absolute() and ".." not in path.parts and len(path.parts) == 4


@given(st.text(max_size=300))
def test_a_unit_of_any_text_makes_one_safe_folder_name(unit):
    name = storage.slug(unit)
    assert name and len(name) <= 60 and PurePosixPath(name).name == name and name not in (".", "..")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")


@given(st.text(max_size=120))
def test_any_id_pattern_is_judged_and_never_an_error(pattern):
    problem = id_pattern_problem(pattern, 2026)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        made = pattern.format(year=2026, seq=7).upper()
        assert id_problem(made) is None


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_any_search_input_parses_within_its_bounds(text):
    query = search_query.parse(text)
    clauses = query.positive() + query.excluded
    assert all(c.kind in ("word", "phrase", "prefix", "number") for c in clauses)
    assert all(w for c in clauses for w in c.words)


@given(st.lists(st.from_regex(r"[a-z]{3,12}", fullmatch=True), min_size=1, max_size=5))
def test_plain_words_are_all_required(words):
    query = search_query.parse(" ".join(words))
    wanted = [c.words for group in query.groups for c in group]
    assert all(len(group) == 1 for group in query.groups)
    assert sorted({w for ws in wanted for w in ws}) == sorted(set(words)) or query.filters
