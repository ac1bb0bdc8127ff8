"""A bag to import is foreign input: anyone can change a bag and make its checksums again, so
`bagit`'s validation proves only that nothing changed on the way. Before anything is written,
the bag is checked as a whole, here, and against this installation (`bag_fit`):

- the folder holds only regular files and folders, with usable names (`safe_files.walk`: a
  link, a named pipe or a device is refused before `bagit` or anything else opens it);
- `data/metadata.json` and every sidecar, decision file and batch manifest in `data/storage`
  are of their shape (`stored_shapes`), and every register entry they carry passes
  `register.clean_fields`, as `register add` and a CSV import do;
- every path they name stays inside storage, in the place Scan Station files it (a sidecar
  beside its PDF in the entry's folder, a raw batch under `batches/`, a berita acara under
  `berita-acara/`), and the files in `data/storage` are exactly those named;
- the metadata agrees with the sidecars (the same documents, paths and checksums).

What fails is refused with one line saying the first few problems: `TamperedBagError`, exit 3.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..core import safe_files, stored_shapes
from ..core.errors import InputFileError, RegisterError
from ..core.storage import id_folder
from ..core.stored_shapes import COUNT, NUMBER, REGISTER, Optional, anything, maybe, sha256, text, when
from ..register import clean_fields
from .rebuild import Found, read_storage

METADATA = "metadata.json"
MAX_METADATA_BYTES = 512 << 20
_MANIFEST_NAME = re.compile(r"^batch(-[0-9]+)?\.json$")


class TamperedBagError(InputFileError):
    """A bag that is not a valid BagIt bag, or whose content cannot be taken as it is: a file altered,
    missing or added, a link or a pipe inside, a path that leaves storage, a field the register refuses."""


def _pair(value: object) -> str:
    ok = (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
          and not isinstance(value[1], bool) and isinstance(value[1], int))
    return "" if ok else "is not a [register id, version] pair"


_DOCUMENT = {"register_id": text(64), "version": NUMBER, "path": text(), "sha256": sha256, "sidecar_path": text(),
             "sidecar_sha256": sha256, "history": Optional([{"path": maybe(text()), "sha256": maybe(sha256)}])}
_NOTE = {"number": text(120, least=1), "year": COUNT, "created_at": when, "created_by": text(64), "scope": text(),
         "path": text(), "sha256": sha256, "replaces": maybe(text(120)), "documents": [_pair]}
AUDIT_RECORD = {"seq": NUMBER, "at": when, "actor": text(64), "action": text(40), "subject": text(200),
                "details": anything, "prev_hash": text(64), "hash": text(64)}
_METADATA = {"entries": [REGISTER | {"id": text(64)}], "documents": [_DOCUMENT], "berita_acara": [_NOTE],
             "audit": [AUDIT_RECORD], "scan_station": Optional(text(40)), "exported_at": Optional(maybe(when))}


@dataclass
class Bag:
    """A bag's content, checked: the metadata, what its storage folder holds, and the entries of
    the metadata as `clean_fields` makes them."""

    path: Path
    metadata: dict
    found: Found
    files: list[str] = field(default_factory=list)  # in data/storage, relative to it
    sums: dict[str, str] = field(default_factory=dict)  # SHA-256 of each, as bagit's manifest has it
    entries: dict[str, dict] = field(default_factory=dict)  # of the metadata, as `clean_fields` makes them
    named: dict[str, str] = field(default_factory=dict)  # what sidecars, manifests ... name, with SHA-256

    @property
    def storage(self) -> Path:
        return self.path / "data" / "storage"


def refuse(bag: Path, problems: list[str], kind: type[TamperedBagError] = TamperedBagError,
           what: str = "refused") -> None:
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise kind(f"{bag}: {what}, nothing was imported: {'; '.join(problems[:5])}{more}")


def check_folder(bag: Path) -> list[str]:
    """Refuse anything in the bag's folder that is not a regular file or a folder with a usable
    name; the files of `data/storage`, relative to it."""
    items = list(safe_files.walk(bag))
    refuse(bag, [f"{safe_files.shown(item.rel)}: {item.problem}" for item in items if not item.usable])
    return sorted(str(i.rel.relative_to("data/storage")) for i in items if i.rel.parts[:2] == ("data", "storage"))


def read_bag(bag: Path, files: list[str], sums: dict[str, str]) -> Bag:
    """The metadata and storage of a bag whose folder `check_folder` and `bagit` passed, each of its shape."""
    try:
        metadata = json.loads(safe_files.read_bytes(bag / "data" / METADATA, limit=MAX_METADATA_BYTES))
    except (OSError, ValueError, RecursionError) as exc:
        raise TamperedBagError(f"{bag}: not a Scan Station bag ({str(exc)[:200]}); nothing was imported") from None
    refuse(bag, [f"{METADATA}: {p}" for p in [stored_shapes.problem(metadata, _METADATA)] if p])
    found = read_storage(bag / "data" / "storage")
    refuse(bag, found.unreadable)
    if not found.sidecars:
        refuse(bag, ["it holds no document"])
    return Bag(bag, metadata, found, files=files, sums=sums)


def check_content(bag: Bag) -> None:
    """Everything the bag says, checked on its own (see the module's docstring)."""
    refuse(bag.path, _entry_problems(bag))
    refuse(bag.path, _sidecar_problems(bag) + _manifest_problems(bag) + _event_problems(bag))
    refuse(bag.path, _metadata_problems(bag) + _file_problems(bag))


def _entry_problems(bag: Bag) -> list[str]:
    """Every register entry of the metadata and of the sidecars, as `register add` would take it."""
    problems = []
    for number, raw in enumerate(bag.metadata["entries"], 1):
        try:
            values = clean_fields(raw)
        except RegisterError as exc:
            problems.append(f"entry {number} of {METADATA}: {exc}")
            continue
        if not values.get("id") or values["id"] in bag.entries:
            problems.append(f"entry {number} of {METADATA}: {'no id' if not values.get('id') else 'its id twice'}")
        bag.entries[str(values.get("id"))] = values
    for path, sidecar, _sha in bag.found.sidecars:
        try:
            values = clean_fields(sidecar.register | {"id": sidecar.register_id})
        except RegisterError as exc:
            problems.append(f"{path}: {exc}")
            continue
        if values["id"] != sidecar.register_id or sidecar.register.get("id", values["id"]) != values["id"]:
            problems.append(f"{path}: register id {sidecar.register_id!r} is not as the register writes it")
    named = {sidecar.register_id for _path, sidecar, _sha in bag.found.sidecars}
    if not problems and set(bag.entries) != named:
        problems.append(f"the entries of {METADATA} ({', '.join(sorted(bag.entries)[:5])}) are not those of "
                        f"the sidecars ({', '.join(sorted(named)[:5])})")
    return problems


def _sidecar_problems(bag: Bag) -> list[str]:
    """Each sidecar where filing puts it: `<id>_v<N>.json` in the entry's folder, beside its PDF,
    in a batch the bag carries."""
    problems = []
    batches = {data["batch"]: raw_dir for raw_dir, manifests in bag.found.manifests.items()
               for data, _sha in manifests.values()}
    for path, sidecar, _sha in bag.found.sidecars:
        stem, rel = f"{id_folder(sidecar.register_id)}_v{sidecar.version}", PurePosixPath(path)
        batch = sidecar.batch
        if len(rel.parts) < 2 or rel.name != f"{stem}.json" or rel.parent.name != id_folder(sidecar.register_id):
            problems.append(f"{path}: a sidecar of {sidecar.register_id} v{sidecar.version} must be {stem}.json "
                            "in the entry's folder")
        elif sidecar.file != f"{stem}.pdf":
            problems.append(f"{path}: names {sidecar.file!r} as its PDF, not {stem}.pdf")
        elif batch.id not in batches:
            problems.append(f"{path}: its batch {batch.id!r} is not in the bag")
        elif batch.raw_dir is not None and batch.raw_dir != batches[batch.id]:
            problems.append(f"{path}: names {batch.raw_dir!r} as its batch's folder")
    keys = [(sidecar.register_id, sidecar.version) for _path, sidecar, _sha in bag.found.sidecars]
    problems += [f"{rid} v{version}: two sidecars" for rid, version in sorted(set(keys))
                 if keys.count((rid, version)) > 1]
    return problems


def _manifest_problems(bag: Bag) -> list[str]:
    """Each raw batch in `batches/<year>/<batch id>/`, one batch per folder, its manifests named
    as filing names them."""
    problems = []
    for raw_dir, manifests in bag.found.manifests.items():
        parts = PurePosixPath(raw_dir).parts
        ids = {data["batch"] for data, _sha in manifests.values()}
        if len(parts) != 3 or parts[0] != "batches" or ids != {parts[2]}:
            problems.append(f"{raw_dir}: a raw batch folder must be batches/<year>/<its batch id>")
        problems += [f"{raw_dir}/{name}: not a batch manifest's name" for name in manifests
                     if not _MANIFEST_NAME.match(name)]
    return problems


def _event_problems(bag: Bag) -> list[str]:
    """Each decision file beside a sidecar of the bag, about that version."""
    sidecars = {path: sidecar for path, sidecar, _sha in bag.found.sidecars}
    problems = []
    for sidecar, events in bag.found.events.items():
        for _n, path, data, _sha in events:
            own = sidecars.get(sidecar)
            if own is None:
                problems.append(f"{path}: a handover decision without its sidecar {sidecar}")
            elif (data.get("register_id", own.register_id), data.get("version", own.version)) != (
                    own.register_id, own.version):
                problems.append(f"{path}: a decision about another document than {sidecar}")
    return problems


def _metadata_problems(bag: Bag) -> list[str]:
    """The documents of the metadata are those of the sidecars, with the same paths and checksums;
    its berita acara are in `berita-acara/`, name documents of the bag, and have the checksum given."""
    sidecars = {(s.register_id, s.version): (path, s, sha) for path, s, sha in bag.found.sidecars}
    listed, problems = set(), []
    for d in bag.metadata["documents"]:
        key = (d["register_id"], d["version"])
        listed.add(key)
        path, sidecar, sha = sidecars.get(key, ("", None, ""))
        pdf = str(PurePosixPath(path).with_name(sidecar.file)) if sidecar else ""
        events = {e[1]: e[3] for e in bag.found.events.get(path, [])}
        history = {h["path"]: h["sha256"] for h in d.get("history", []) if h["path"] is not None}
        if (d["sidecar_path"], d["sidecar_sha256"], d["path"], d["sha256"], history) != (
                path, sha, pdf, sidecar.sha256 if sidecar else None, events):
            problems.append(f"{METADATA}: {key[0]!r} v{key[1]} is not as its sidecar in the bag says")
    if listed != set(sidecars):
        problems.append(f"{METADATA}: the documents are not those of the sidecars in the bag")
    numbers = [note["number"] for note in bag.metadata["berita_acara"]]
    for note in bag.metadata["berita_acara"]:
        problem = safe_files.relative_problem(note["path"])
        if problem:
            problems.append(f"berita acara {note['number']!r}: path {problem}")
        elif not note["path"].startswith("berita-acara/") or note["path"] not in bag.files:
            problems.append(f"berita acara {note['number']!r}: {note['path']!r} is not a file of the bag under "
                            "berita-acara/")
        if numbers.count(note["number"]) > 1 or any(tuple(k) not in sidecars for k in note["documents"]):
            problems.append(f"berita acara {note['number']!r}: twice, or lists documents that are not in the bag")
    return problems


def named_files(found: Found, notes: list[dict]) -> dict[str, str]:
    """Every file the sidecars, decisions, manifests and berita acara name, with its SHA-256."""
    named = {note["path"]: note["sha256"] for note in notes}
    for path, sidecar, sha in found.sidecars:
        named[path] = sha
        named[str(PurePosixPath(path).with_name(sidecar.file))] = sidecar.sha256
    named |= {path: sha for events in found.events.values() for _n, path, _data, sha in events}
    for raw_dir, manifests in found.manifests.items():
        for name, (data, sha) in manifests.items():
            named[f"{raw_dir}/{name}"] = sha
            named |= {f"{raw_dir}/{item['name']}": item["sha256"] for item in data.get("files", [])}
            previous = data.get("previous_manifest")
            if previous:
                named.setdefault(f"{raw_dir}/{previous['name']}", previous["sha256"])
    return named


def _file_problems(bag: Bag) -> list[str]:
    """The bag's storage holds exactly the files named, each with the checksum it is named with."""
    bag.named = named_files(bag.found, bag.metadata["berita_acara"])
    problems = [f"{rel}: {p}" for rel in bag.files if (p := safe_files.relative_problem(rel))]
    problems += [f"{rel}: named by nothing in the bag" for rel in bag.files if rel not in bag.named]
    problems += [f"{rel}: named, but not in the bag" for rel in sorted(set(bag.named) - set(bag.files))]
    if not problems:
        problems += [f"{rel}: not the file its SHA-256 names" for rel in bag.files
                     if (bag.sums.get(rel) or safe_files.sha256(bag.storage / rel)) != bag.named[rel]]
    return problems
