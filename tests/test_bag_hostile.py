"""`import-bag` against bags forged as an attacker would: a genuine bag made by `export`, one field
or file changed, the manifests made again with `bagit` so that every checksum adds up. Each is
refused with exit 3 and one line saying why, within a time limit (a named pipe must not make it
wait), and leaves storage and the database as they were. A genuine bag, imported, keeps `audit
verify` clean and its audit records readable."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import bagit
import pytest
from helpers.filed import cli, deep_folders, error_line, file_some, home_snapshot, run_within, snapshot, submit
from sqlalchemy import func, select

from scan_station.core.config import load_settings
from scan_station.core.storage import id_folder
from scan_station.db.database import AuditRecord, BeritaAcara, Database, Entry
from scan_station.register import entry_dict


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Installation A with an exempt entry among its filings, its bag, and installation B that
    imported the bag once, genuinely."""
    root = tmp_path_factory.mktemp("hostile")
    a, b = root / "a", root / "b"
    ids = file_some(a, root)
    ids["exempt"] = cli(a, "register", "add", "--title", "Laporan pemeriksaan", "--unit", "Inspektorat",
                        "--category", "dikecualikan", "--created", "2025-03-04")["id"]
    submit(a, ids["exempt"], "rahasia", root)
    batch = home_snapshot(a)["documents"][f"{ids['accepted']} v1"]["batch_id"]
    cli(a, "berita-acara", "--batch", batch)
    cli(a, "export", root / "bag", "--entry", ",".join(ids[k] for k in ("accepted", "returned", "exempt")))
    assert cli(b, "import-bag", root / "bag")["verify"]["ok"]
    return SimpleNamespace(a=a, b=b, bag=root / "bag", ids=ids)


def state(home: Path) -> tuple[dict, dict]:
    """Every file and folder in storage (files with their SHA-256), and every row an import writes."""
    storage = home / "storage"
    files = {}
    for folder, dirs, names in os.walk(storage):
        for name in dirs + names:
            path = Path(folder) / name
            files[str(path.relative_to(storage))] = (hashlib.sha256(path.read_bytes()).hexdigest()
                                                     if path.is_file() and not path.is_symlink() else "folder")
    db = Database(load_settings(home))
    try:
        rows = snapshot(db)
        with db.session() as s:
            rows["all_entries"] = sorted(json.dumps(entry_dict(e)) for e in s.scalars(select(Entry)))
            rows["berita_acara"] = sorted((b.number, b.path, b.sha256) for b in s.scalars(select(BeritaAcara)))
            rows["audit"] = s.scalar(select(func.count()).select_from(AuditRecord))
    finally:
        db.close()
    return files, rows


# -- forging ----------------------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


def _meta(bag: Path, change) -> None:
    _edit(bag / "data" / "metadata.json", change)


def _store(bag: Path) -> Path:
    return bag / "data" / "storage"


def _sidecar(bag: Path, register_id: str, version: int = 1) -> Path:
    return next(_store(bag).rglob(f"{id_folder(register_id)}_v{version}.json"))


def _entry(meta: dict, register_id: str) -> dict:
    return next(e for e in meta["entries"] if e["id"] == register_id)


def _document(meta: dict, register_id: str, version: int = 1) -> dict:
    return next(d for d in meta["documents"] if (d["register_id"], d["version"]) == (register_id, version))


def resync(bag: Path) -> None:
    """What an attacker does after editing a sidecar or a PDF: the metadata's checksums made to agree."""
    def change(meta):
        for d in meta["documents"]:
            sidecar = _store(bag) / d["sidecar_path"]
            d["sidecar_sha256"], d["sha256"] = _sha(sidecar), json.loads(sidecar.read_text())["sha256"]
            for h in d["history"]:
                if h["path"]:
                    h["sha256"] = _sha(_store(bag) / h["path"])
    _meta(bag, change)


def reseal(bag: Path) -> None:
    """The manifests made again, as `bagit` makes them: every checksum adds up."""
    bagit.Bag(str(bag)).save(manifests=True)


def register_field(name, value, *, who="exempt", sidecars=True, metadata=True):
    def forge(bag, w, _home):
        rid = w.ids[who]
        if metadata:
            _meta(bag, lambda m: _entry(m, rid).__setitem__(name, value))
        if sidecars:
            for path in _store(bag).rglob(f"{id_folder(rid)}_v*.json"):
                if ".event-" not in path.name:
                    _edit(path, lambda d: d["register"].__setitem__(name, value))
            resync(bag)
    return forge


def metadata(change):
    def forge(bag, w, _home):
        _meta(bag, lambda m: change(m, w.ids))
    return forge


def sidecar(change, who="exempt"):
    def forge(bag, w, _home):
        _edit(_sidecar(bag, w.ids[who]), change)
        resync(bag)
    return forge


def sidecar_bytes(data: bytes):
    def forge(bag, w, _home):
        _sidecar(bag, w.ids["exempt"]).write_bytes(data)
    return forge


def decision(change):
    def forge(bag, w, _home):
        _edit(next(_store(bag).rglob(f"{id_folder(w.ids['returned'])}_v1.event-2.json")), change)
        resync(bag)
    return forge


def manifest(change):
    def forge(bag, _w, _home):
        _edit(next(_store(bag).rglob("batch.json")), change)
    return forge


def _set(mapping, key, value):
    mapping[key] = value


def _first_note(meta):
    return meta["berita_acara"][0]


def _raw_file(bag: Path) -> Path:
    return next(p for p in _store(bag).glob("batches/*/*/*") if p.name != "batch.json")


def symlink_to(target):
    """A raw file of the bag made a link, after the manifests were made (`bagit` follows the link
    to hash it, but calls a link out of the bag unsafe when it saves)."""
    def forge(bag, w, home):
        reseal(bag)
        pdf = _raw_file(bag)
        pdf.unlink()
        pdf.symlink_to(target(w, home))
        return "sealed"
    return forge


def extra(make):
    """Something put into the bag after its manifests were made (`bagit` would hang hashing a named
    pipe, and refuses to save beside a link loop): its manifest line added by hand, the payload's
    size and count in bag-info.txt (Payload-Oxum) made to agree, and the tag manifest made again."""
    def forge(bag, _w, _home):
        reseal(bag)
        made = make(bag)
        manifest, info = bag / "manifest-sha256.txt", bag / "bag-info.txt"
        if made is not None and made.is_relative_to(bag / "data") and str(made.relative_to(bag)) not in (
                manifest.read_text()):
            with manifest.open("a") as f:
                f.write(f"{'0' * 64}  {made.relative_to(bag)}\n")
        sizes = [os.lstat(Path(folder) / name).st_size for folder, _dirs, names in os.walk(bag / "data")
                 for name in names]
        info.write_text("".join(f"Payload-Oxum: {sum(sizes)}.{len(sizes)}\n" if line.startswith("Payload-Oxum")
                                else f"{line}\n" for line in info.read_text().splitlines()))
        tags = bag / "tagmanifest-sha256.txt"
        sums = {path.name: _sha(path) for path in (manifest, info)}
        lines = [line.split(maxsplit=1) for line in tags.read_text().splitlines()]
        tags.write_text("".join(f"{sums.get(name, sha)} {name}\n" for sha, name in lines))
        return "sealed"
    return forge


def _fifo(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def _loop(path: Path) -> Path:
    path.symlink_to(path.name)
    return path


def _stored_exempt(w, home) -> str:
    db = Database(load_settings(home))
    try:
        with db.session() as s:
            from scan_station.db.database import Document

            path = s.scalar(select(Document.path).where(Document.register_id == w.ids["exempt"]))
    finally:
        db.close()
    return str(home / "storage" / path)


def new_version_made_public(bag, w, _home):
    """A v2 of the exempt entry whose sidecar says "berkala" (the entry itself left as it is)."""
    old = _sidecar(bag, w.ids["exempt"])
    stem = f"{id_folder(w.ids['exempt'])}_v2"
    shutil.copy(old.with_suffix(".pdf"), old.with_name(f"{stem}.pdf"))
    data = json.loads(old.read_text())
    data |= {"version": 2, "file": f"{stem}.pdf"}
    data["register"]["category"] = "berkala"
    old.with_name(f"{stem}.json").write_text(json.dumps(data))

    def change(meta):
        doc = dict(_document(meta, w.ids["exempt"]))
        meta["documents"].append(doc | {"version": 2, "path": str(Path(doc["path"]).with_name(f"{stem}.pdf")),
                                        "sidecar_path": str(Path(doc["sidecar_path"]).with_name(f"{stem}.json"))})
    _meta(bag, change)
    resync(bag)


def version_replaced(bag, w, _home):
    """The exempt v1's PDF replaced by other bytes, its sidecar and the metadata made to agree."""
    path = _sidecar(bag, w.ids["exempt"])
    pdf = path.with_suffix(".pdf")
    pdf.write_bytes(pdf.read_bytes() + b"\n% forged\n")
    _edit(path, lambda d: _set(d, "sha256", _sha(pdf)))
    resync(bag)


def decision_added(bag, w, _home):
    """An "accepted" decision for the returned entry's v2, which B holds as submitted."""
    path = _sidecar(bag, w.ids["returned"], 2)
    event = path.with_name(path.stem + ".event-2.json")
    event.write_text(json.dumps({"register_id": w.ids["returned"], "version": 2, "action": "accepted",
                                 "status": "accepted", "actor": "ppid", "reason": "", "at": "2026-01-01T00:00:00"}))

    def change(meta):
        _document(meta, w.ids["returned"], 2)["history"].append(
            {"action": "accepted", "actor": "ppid", "reason": "", "at": "2026-01-01T00:00:00",
             "path": str(event.relative_to(_store(bag))), "sha256": _sha(event)})
    _meta(bag, change)


def note_moved(bag, _w, _home):
    """The berita acara's number kept, its file moved to another name."""
    note = next(_store(bag).glob("berita-acara/*/*.pdf"))
    shutil.move(note, note.with_name("lain.pdf"))
    _meta(bag, lambda m: _set(_first_note(m), "path", str(note.with_name("lain.pdf").relative_to(_store(bag)))))


def raw_file_changed(bag, _w, _home):
    raw = _raw_file(bag)
    raw.write_bytes(raw.read_bytes() + b"%")

    def change(m):
        next(f for f in m["files"] if f["name"] == raw.name)["sha256"] = _sha(raw)
    _edit(raw.with_name("batch.json"), change)


# (what is forged, how, "fresh" home or the one that imported the bag, a word the message has)
FORGED = [
    ("title empty in metadata", register_field("title", "", sidecars=False), "fresh", "title"),
    ("title empty in the sidecars", register_field("title", "", metadata=False), "fresh", "title"),
    ("title too long", register_field("title", "x" * 501), "fresh", "title"),
    ("category invalid", register_field("category", "rahasia"), "fresh", "category"),
    ("unit missing", metadata(lambda m, ids: _entry(m, ids["exempt"]).pop("unit")), "fresh", "unit"),
    ("created date invalid", register_field("created_date", "2025-02-31"), "fresh", "date"),
    ("register id invalid", metadata(lambda m, ids: _set(_entry(m, ids["exempt"]), "id", "PPID 1/../X")), "fresh",
     "id"),
    ("sidecar not JSON", sidecar_bytes(b"{not json"), "fresh", "not JSON"),
    ("sidecar a list", sidecar_bytes(b"[]"), "fresh", "not a sidecar"),
    ("sidecar version as text", sidecar(lambda d: _set(d, "version", "1")), "fresh", "version"),
    ("sidecar pages an object", sidecar(lambda d: _set(d, "pages", {"1": "x"})), "fresh", "pages"),
    ("sidecar page twice", sidecar(lambda d: d["pages"].append(d["pages"][0])), "fresh", "pages"),
    ("sidecar without filed_at", sidecar(lambda d: d.pop("filed_at")), "fresh", "filed_at"),
    ("sidecar's PDF outside its folder", sidecar(lambda d: _set(d, "file", "../../../../etc/passwd")), "fresh",
     "file"),
    ("sidecar's batch folder outside storage", sidecar(lambda d: _set(d["batch"], "raw_dir", "../../etc")), "fresh",
     "folder"),
    ("decision of another action", decision(lambda d: _set(d, "action", "deleted")), "fresh", "action"),
    ("decision actor not text", decision(lambda d: _set(d, "actor", ["ppid"])), "fresh", "actor"),
    ("manifest held not a list", manifest(lambda d: _set(d, "held", "x")), "fresh", "held"),
    ("manifest file outside", manifest(lambda d: _set(d["files"][0], "name", "../../../etc/passwd")), "fresh",
     "name"),
    ("metadata not JSON", lambda bag, _w, _h: (bag / "data" / "metadata.json").write_text("{"), "fresh",
     "not a Scan Station bag"),
    ("metadata entries not a list", metadata(lambda m, ids: _set(m, "entries", {})), "fresh", "entries"),
    ("metadata audit record malformed", metadata(lambda m, ids: _set(m["audit"][0], "seq", "x")), "fresh", "seq"),
    ("document path outside storage", metadata(lambda m, ids: _set(_document(m, ids["exempt"]), "path",
                                                                   "../../../etc/passwd")), "fresh", "sidecar"),
    ("document path absolute", metadata(lambda m, ids: _set(_document(m, ids["exempt"]), "path", "/etc/passwd")),
     "fresh", "sidecar"),
    ("document SHA-256 replaced", metadata(lambda m, ids: _set(_document(m, ids["exempt"]), "sha256", "0" * 64)),
     "fresh", "sidecar"),
    ("history path absolute", metadata(lambda m, ids: _set(_document(m, ids["returned"])["history"][1], "path",
                                                           "/etc/passwd")), "fresh", "sidecar"),
    ("berita acara ../../etc/passwd", metadata(lambda m, ids: _set(_first_note(m), "path", "../../etc/passwd")),
     "fresh", "berita acara"),
    ("berita acara absolute", metadata(lambda m, ids: _set(_first_note(m), "path", "/etc/passwd")), "fresh",
     "berita acara"),
    ("berita acara is the exempt PDF", metadata(lambda m, ids: _set(_first_note(m), "path",
                                                                    _document(m, ids["exempt"])["path"])), "fresh",
     "berita-acara/"),
    ("berita acara without number", metadata(lambda m, ids: _set(_first_note(m), "number", " ")), "fresh", "number"),
    ("a file named by nothing", lambda bag, _w, _h: (_store(bag) / "2025" / "tambahan.pdf").write_bytes(b"%PDF"),
     "fresh", "named by nothing"),
    ("a raw file missing", lambda bag, _w, _h: _raw_file(bag).unlink(), "fresh", "not in the bag"),
    ("link to /etc/passwd", symlink_to(lambda w, h: "/etc/passwd"), "fresh", "symbolic link"),
    ("link to a stored exempt PDF here", symlink_to(_stored_exempt), "imported", "symbolic link"),
    ("link to a folder", lambda bag, _w, _h: (_store(bag) / "etc").symlink_to("/etc"), "fresh", "symbolic link"),
    ("link loop", extra(lambda bag: _loop(_store(bag) / "2025" / "loop.pdf")), "fresh", "symbolic link"),
    ("named pipe in storage", extra(lambda bag: _fifo(_store(bag) / "2025" / "pipa.pdf")), "fresh", "named pipe"),
    ("named pipe as a PDF", extra(lambda bag: _fifo(next(_store(bag).rglob("*_v1.pdf")))), "fresh", "named pipe"),
    ("named pipe as metadata.json", extra(lambda bag: _fifo(bag / "data" / "metadata.json")), "fresh", "named pipe"),
    ("named pipe as bagit.txt", extra(lambda bag: _fifo(bag / "bagit.txt")), "fresh", "named pipe"),
    ("control character in a name", lambda bag, _w, _h: (_store(bag) / "2025" / "a\x1bb.pdf").write_bytes(b"x"),
     "fresh", "control characters"),
    ("path longer than PATH_MAX", extra(lambda bag: deep_folders(_store(bag))), "fresh", "too long"),
    ("exempt entry made berkala", register_field("category", "berkala"), "imported", "category"),
    ("exempt entry made berkala in metadata only", register_field("category", "berkala", sidecars=False),
     "imported", "category"),
    ("exempt entry retitled", register_field("title", "Laporan biasa", sidecars=False), "imported", "title"),
    ("a version here replaced", version_replaced, "imported", "other bytes"),
    ("a new version of the exempt entry made berkala", new_version_made_public, "imported", "category"),
    ("a decision this installation does not have", decision_added, "imported", "decisions"),
    ("a berita acara here with another file", note_moved, "imported", "berita acara"),
    ("a raw file here with other bytes", raw_file_changed, "imported", "other bytes"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("forge", "target", "word"), [f[1:] for f in FORGED], ids=[f[0] for f in FORGED])
def test_a_forged_bag_is_refused_and_nothing_is_written(world, tmp_path, forge, target, word):
    bag = tmp_path / "bag"
    shutil.copytree(world.bag, bag, symlinks=True)
    home = tmp_path / "home"
    if target == "imported":
        shutil.copytree(world.b, home, symlinks=True)
    if forge(bag, world, home) != "sealed":
        reseal(bag)
    before = state(home)
    code, err = run_within(home, "import-bag", bag, seconds=30)
    assert code == 3, err
    line = error_line(err)
    assert word in line and "nothing was imported" in line, line
    assert state(home) == before


@pytest.mark.slow
def test_an_imported_bag_keeps_the_audit_log_whole_and_its_records_readable(world, tmp_path):
    home = tmp_path / "b"
    shutil.copytree(world.b, home)
    assert cli(home, "audit", "verify")["ok"]  # the other installation's anchors in its manifests are not ours
    carried = json.loads((world.bag / "data" / "metadata.json").read_text())["audit"]
    assert carried and {r["action"] for r in carried} >= {"register.add", "document.filed"}
    imports = [r for r in cli(home, "audit", "list", "--action", "import-bag") if r["action"] == "import-bag"]
    assert len(imports) == 1
    kept = imports[0]["details"]
    assert kept["foreign_records"] == carried  # as the other installation wrote them: seq, hash and all
    assert {a["path"].split("/")[0] for a in kept["anchors"]} == {"batches"} and len(kept["anchors"]) == 4
    assert kept["source"]["scan_station"]
    from scan_station.audit import log as audit

    db = Database(load_settings(home))
    try:
        with db.session() as s:
            records = audit.foreign_records(s)
    finally:
        db.close()
    assert [{k: v for k, v in r.items() if k not in ("source", "imported")} for r in records] == carried
    assert all(r["imported"] == imports[0]["seq"] for r in records)
    again = cli(home, "import-bag", world.bag)  # twice is as once, and the log stays whole
    assert (again["documents"], again["files"], again["unchanged"]) == (0, 0, 4)
    assert cli(home, "audit", "verify")["ok"]
    cli(home, "register", "add", "--title", "Laporan baru", "--unit", "Umum", "--category", "berkala")
    assert cli(home, "audit", "verify")["ok"]


@pytest.mark.slow
def test_a_failure_halfway_leaves_nothing_behind(world, tmp_path, monkeypatch):
    from scan_station.archive import bag as bag_module
    from scan_station.core import safe_files
    from scan_station.core.errors import DiskFullError

    home = tmp_path / "fresh"
    before = state(home)
    copy, copies = safe_files.copy, []

    def full_at_the_fifth(src, dest):
        copies.append(dest)
        if len(copies) == 5:
            raise DiskFullError("the disk is full (made so by the test)")
        return copy(src, dest)

    monkeypatch.setattr(safe_files, "copy", full_at_the_fifth)
    code, err = run_within(home, "import-bag", world.bag)
    assert code == 5 and "full" in error_line(err)
    assert state(home) == before
    monkeypatch.setattr(safe_files, "copy", copy)

    def broken(*_args):
        raise RuntimeError("the database went away (made so by the test)")

    monkeypatch.setattr(bag_module, "_berita_acara", broken)  # after every file is copied and documents recorded
    code, err = run_within(home, "import-bag", world.bag)
    assert code == 15 and "went away" in error_line(err)
    assert state(home) == before
    monkeypatch.undo()
    assert cli(home, "import-bag", world.bag)["verify"]["ok"]  # and then it goes in whole
