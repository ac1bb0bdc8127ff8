"""`scan-station rebuild`: the database made again from storage alone, compared field by field."""

from __future__ import annotations

import shutil

import pytest
from filed import WORDS, cli, file_some, found, home_snapshot


def _drop_database(home):
    for suffix in ("", "-wal", "-shm"):
        (home / f"scan-station.db{suffix}").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def filed_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("filed") / "home"
    ids = file_some(home, tmp_path_factory.mktemp("pdfs"))
    return home, ids, home_snapshot(home)


@pytest.mark.slow
def test_the_database_is_rebuilt_from_storage_field_by_field(filed_home, tmp_path):
    original, ids, before = filed_home
    home = tmp_path / "home"
    shutil.copytree(original, home)
    _drop_database(home)
    done = cli(home, "rebuild")
    assert (done["entries"], done["documents"], done["batches"], done["events"]) == (3, 4, 4, 2)
    assert done["verify"]["ok"], done["verify"]["problems"]
    after = home_snapshot(home)
    for part in before:
        assert after[part] == before[part], part
    statuses = {k: d["status"] for k, d in after["documents"].items()}
    assert statuses == {f"{ids['accepted']} v1": "accepted", f"{ids['returned']} v1": "returned",
                        f"{ids['returned']} v2": "submitted", f"{ids['waiting']} v1": "submitted"}
    for what, word in WORDS.items():  # a returned version leaves the results; its rescan is found
        expected = set() if what == "returned" else {ids["returned" if what == "rescanned" else what]}
        assert found(home, word) == expected, what
    assert cli(home, "verify")["ok"]
    fresh = cli(home, "register", "add", "--title", "Baru", "--unit", "Umum", "--category", "berkala")["id"]
    assert fresh not in ids.values()  # the id sequence goes on past the rebuilt ids


@pytest.mark.slow
def test_rebuild_refuses_a_database_that_records_filings_unless_forced(filed_home, tmp_path, run):
    original, _ids, before = filed_home
    home = tmp_path / "home"
    shutil.copytree(original, home)
    from scan_station.cli import main

    assert main(["--home", str(home), "rebuild"]) == 2
    assert cli(home, "rebuild", "--force")["verify"]["ok"]
    assert home_snapshot(home) == before


@pytest.mark.slow
@pytest.mark.postgres
def test_rebuild_on_postgresql(tmp_path, postgres):
    home = tmp_path / "home"
    ids = file_some(home, tmp_path, config=f'database_url = "{postgres()}"\n')
    before = home_snapshot(home)
    (home / "scan-station.toml").write_text(f'database_url = "{postgres()}"\n')  # a new, empty database
    done = cli(home, "rebuild")
    assert done["verify"]["ok"], done["verify"]["problems"]
    assert home_snapshot(home) == before
    assert found(home, WORDS["waiting"]) == {ids["waiting"]}
    cli(home, "submit", next(tmp_path.glob("*.pdf")), "--entry", ids["waiting"], "--quiet")  # ids go on
