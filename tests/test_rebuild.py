"""`scan-station rebuild`: the database made again from storage alone, compared field by field."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from helpers.filed import WORDS, cli, deep_folders, file_some, found, home_snapshot, run_within


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


def _sidecar(home):
    return next(p for p in (home / "storage").rglob("*_v1.json") if "batches" not in p.parts)


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _fifo(path):
    path.unlink()
    os.mkfifo(path)


# (what is wrong in storage, how it is made, a word `unreadable` says about it)
HOSTILE = [
    ("named pipe", lambda h: os.mkfifo(_sidecar(h).with_name("pipa.pdf")), "named pipe"),
    ("named pipe as a sidecar", lambda h: _fifo(_sidecar(h)), "named pipe"),
    ("named pipe as a batch manifest", lambda h: _fifo(next((h / "storage").rglob("batch.json"))), "named pipe"),
    ("link to /etc/passwd as a PDF", lambda h: _fifo(_sidecar(h).with_suffix(".pdf")) or
     _sidecar(h).with_suffix(".pdf").unlink() or _sidecar(h).with_suffix(".pdf").symlink_to("/etc/passwd"),
     "its PDF is a symbolic link"),
    ("link loop", lambda h: (h / "storage" / "loop.json").symlink_to("loop.json"), "symbolic link"),
    ("link to a folder outside", lambda h: (h / "storage" / "etc").symlink_to("/etc"), "symbolic link"),
    ("path longer than PATH_MAX", lambda h: deep_folders(h / "storage", file=None), "too long"),
    ("sidecar not JSON", lambda h: _sidecar(h).write_text("{"), "not JSON"),
    ("sidecar a list", lambda h: _sidecar(h).write_text("[1, 2]"), "not a sidecar"),
    ("sidecar version as text", lambda h: _edit(_sidecar(h), lambda d: d.update(version="1")), "version"),
    ("sidecar without filed_at", lambda h: _edit(_sidecar(h), lambda d: d.pop("filed_at")), "filed_at"),
    ("sidecar register not an object", lambda h: _edit(_sidecar(h), lambda d: d.update(register=[])), "register"),
    ("sidecar batch without id", lambda h: _edit(_sidecar(h), lambda d: d["batch"].pop("id")), "batch.id"),
    ("sidecar PDF name leaving its folder", lambda h: _edit(_sidecar(h), lambda d: d.update(file="../../x.pdf")),
     "file"),
    ("manifest pages not a list", lambda h: _edit(next((h / "storage").rglob("batch.json")),
                                                  lambda d: d.update(pages=7)), "pages"),
    ("decision without actor", lambda h: _edit(next((h / "storage").rglob("*.event-2.json")),
                                               lambda d: d.pop("actor")), "actor"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("make", "word"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_rebuild_leaves_out_what_storage_should_not_hold_and_says_so(filed_home, tmp_path, make, word):
    original, _ids, _before = filed_home
    home = tmp_path / "home"
    shutil.copytree(original, home, symlinks=True)
    _drop_database(home)
    make(home)
    code, out = run_within(home, "rebuild", "--json", seconds=30, stdout=True)
    assert code == 5, out  # documented: storage holds what it should not (and verify finds problems)
    done = json.loads(out)
    assert any(word in line for line in done["unreadable"]), done["unreadable"]
    assert done["documents"] >= 3  # the rest is rebuilt
