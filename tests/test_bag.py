"""`scan-station export` and `import-bag`: BagIt bags of chosen entries or a period, validated by
`bagit`, loaded into another installation once however often they are imported."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import bagit
import pytest
from helpers.filed import WORDS, cli, file_some, found, home_snapshot

from scan_station.archive.bag import bag_contents
from scan_station.cli import main


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("bag")
    home = root / "home"
    ids = file_some(home, root)
    batch = home_snapshot(home)["documents"][f"{ids['accepted']} v1"]["batch_id"]
    note = cli(home, "berita-acara", "--batch", batch)
    cli(home, "export", root / "bag", "--entry", f"{ids['accepted']},{ids['returned']}")
    return home, ids, root / "bag", note


@pytest.mark.slow
def test_a_bag_of_chosen_entries_is_valid_and_holds_what_they_are(exported, tmp_path):
    home, ids, bag, note = exported
    bagit.Bag(str(bag)).validate()
    assert sorted((d["register_id"], d["version"]) for d in bag_contents(bag)) == [
        (ids["accepted"], 1), (ids["returned"], 1), (ids["returned"], 2)]
    names = {p.name for p in (bag / "data" / "storage").rglob("*")}
    assert {f"{ids['returned']}_v1.event-2.json", f"{ids['accepted']}_v1.json", "batch.json"} <= names
    assert note["path"].rsplit("/", 1)[-1] in names  # the berita acara listing the accepted document
    records = json.loads((bag / "data" / "metadata.json").read_text())["audit"]
    concerned = {(r["action"], r["subject"]) for r in records}
    assert {("register.add", ids["accepted"]), ("document.filed", f"{ids['returned']} v2"),
            ("handover.returned", f"{ids['returned']} v1")} <= concerned  # the audit records that concern them
    assert all(r["subject"].split(" v")[0] in (ids["accepted"], ids["returned"]) for r in records)
    exports = [r for r in cli(home, "audit", "list", "--action", "export") if r["action"] == "export"]
    assert exports and exports[-1]["subject"] == "bag"
    today = dt.date.today().isoformat()
    period = cli(home, "export", tmp_path / "period", "--from", today, "--to", today)
    assert period["documents"] == 4


@pytest.mark.slow
def test_a_bag_is_imported_once_however_often(exported, tmp_path):
    home, ids, bag, _note = exported
    other = tmp_path / "other"
    first = cli(other, "import-bag", bag)
    assert first["verify"]["ok"], first["verify"]["problems"]
    assert (first["entries"], first["documents"]) == (2, 3)
    before, after = home_snapshot(home), home_snapshot(other)
    chosen = {k: v for k, v in before["documents"].items() if not k.startswith(ids["waiting"])}
    assert {k: {f: v for f, v in d.items() if f != "id"} for k, d in after["documents"].items()} == {
        k: {f: v for f, v in d.items() if f != "id"} for k, d in chosen.items()}
    assert after["entries"] == {k: v for k, v in before["entries"].items() if k != ids["waiting"]}
    assert after["events"] == [e for e in before["events"] if e[0][0] != ids["waiting"]]
    assert found(other, WORDS["rescanned"]) == {ids["returned"]}  # the rescan; the returned v1 is not shown
    assert found(other, WORDS["returned"]) == set()
    again = cli(other, "import-bag", bag)
    assert again["verify"]["ok"] and home_snapshot(other) == after


@pytest.mark.slow
def test_a_tampered_bag_is_refused_and_nothing_is_imported(exported, tmp_path):
    _home, _ids, bag, _note = exported
    copy = tmp_path / "copy"
    shutil.copytree(bag, copy)
    pdf = next((copy / "data").rglob("*_v1.pdf"))
    pdf.write_bytes(pdf.read_bytes().replace(b"%%EOF", b"%%EOX"))
    other = tmp_path / "other"
    assert main(["--home", str(other), "import-bag", str(copy)]) == 3
    assert not [p for p in (other / "storage").rglob("*") if p.is_file()]
    assert main(["--home", str(other), "import-bag", str(tmp_path)]) == 3  # no bag at all
