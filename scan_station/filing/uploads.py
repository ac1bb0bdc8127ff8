"""Softcopies handed over at the kiosk, waiting for the job queue to file them.

The kiosk checks every file at once (`softcopy.examine`: size, kind, protection, signatures), so
that a bad file is refused while the officer is still at the screen; then the files wait in a
folder of their own and a worker files them (`softcopy.submit`: conversion, OCR, PDF/A), as it
files a confirmed scan batch. Nothing heavy runs inside a web request.

    <scans_dir>/softcopies/<upload id>/
      upload.json     the hand-over's state (`UploadState`), written atomically
      files/01/<name> the files as handed over, in the order chosen
      .lock           taken while the status changes hands

A refusal found later (`InputFileError`: a document LibreOffice cannot open) ends the hand-over with the refusal's
code and values, so that the kiosk says it in its language, and removes the files: nothing was
filed. Any other failure (a full disk, a database away) keeps the files; the officer queues the
hand-over again. A filed hand-over keeps only its state, which names the version it became.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from ..core import safe_files
from ..core.config import Settings
from ..core.errors import InputFileError, NotFoundError, ScanStationError, StorageError
from ..core.state_folder import StateFolder, process_alive, this_process
from ..core.stored_shapes import raw_batch_files
from ..db.database import Database, Document, utcnow
from .ingest import new_batch_id
from .softcopy import SoftcopyError, examine, submit
from .store import already_filed

FOLDER, STATE_FILE, FILES = "softcopies", "upload.json", "files"
ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{8}")
STOPPED = "filing stopped before it was done (the program ended); hand it over again"


class UploadStatus(StrEnum):
    QUEUED = "queued"
    FILING = "filing"
    FILED = "filed"
    REFUSED = "refused"  # a file cannot be handed over: nothing filed, the files gone
    FAILED = "failed"  # filing failed for another reason: the files kept, queue it again


@dataclass
class UploadState:
    id: str
    entry_id: str
    user: str
    names: list[str]
    status: UploadStatus = UploadStatus.QUEUED
    created_at: str = ""
    error: str = ""
    code: str = ""  # a refusal's code (`SoftcopyError.code`) and its values, for the kiosk's words
    params: dict = field(default_factory=dict)
    document: dict | None = None  # what it was filed as: register_id, version, page_count, path
    batch: str = ""  # the batch id its filing uses, chosen once: a filing redone after a kill files nothing twice
    owner: dict | None = None
    #: A photo's page where an officer put its corners (`corrected`): file number (from 1) -> corners.
    corners: dict[str, list] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> UploadState:
        return cls(**{k: v for k, v in data.items() if k in {f.name for f in dataclasses.fields(cls)}}
                   | {"status": UploadStatus(data.get("status", "queued"))})


class Upload(StateFolder[UploadState]):
    """One hand-over's folder."""

    STATE_FILE, KIND = STATE_FILE, "softcopy hand-over"

    @classmethod
    def create(cls, settings: Settings, *, entry_id: str, user: str) -> Upload:
        """An empty hand-over: save the files into `files_dir(n)`, then `accept` it."""
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        upload = cls(settings.scans_dir / FOLDER / f"{stamp}-{secrets.token_hex(4)}")
        (upload.path / FILES).mkdir(parents=True)
        upload.write_state(UploadState(upload.id, entry_id, user, [], created_at=utcnow().isoformat()))
        return upload

    @classmethod
    def open(cls, settings: Settings, upload_id: str) -> Upload:
        if not ID.fullmatch(upload_id or ""):  # what `create` makes, and nothing else reaches the disk
            raise NotFoundError(f"no softcopy hand-over {upload_id[:40]!r}")
        upload = cls(settings.scans_dir / FOLDER / upload_id)
        if not (upload.path / STATE_FILE).is_file():
            raise NotFoundError(f"no softcopy hand-over {upload_id}")
        return upload

    def files_dir(self, number: int) -> Path:
        """Where the `number`th file goes (a folder each, so that two files may share a name)."""
        folder = self.path / FILES / f"{number:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def files(self) -> list[Path]:
        return sorted(p for p in (self.path / FILES).glob("*/*") if p.is_file())

    def accept(self, settings: Settings) -> UploadState:
        """Every file checked; SoftcopyError (and nothing kept) for the first that cannot be handed over."""
        try:
            names = [examine(path, settings).name for path in self.files()]
            if not names:
                raise SoftcopyError("no file was handed over", code="no_files")
        except BaseException:
            self.remove()
            raise
        return self.update(names=names, status=UploadStatus.QUEUED)

    # -- state ------------------------------------------------------------------------------------

    def load(self, data: dict) -> UploadState:
        return UploadState.from_json(data)

    def dump(self, state: UploadState) -> dict:
        return asdict(state)

    def settle(self, state: UploadState) -> UploadState:
        """A filing whose process is gone failed: the files are kept, to be queued again."""
        if state.status == UploadStatus.FILING and not process_alive(state.owner):
            state.status, state.error = UploadStatus.FAILED, STOPPED
        return state


def stored_originals(settings: Settings, document: Document) -> list[tuple[dict, Path]]:
    """A filed softcopy's files as handed over (its origin's records) and where storage keeps each,
    found by its SHA-256 in the raw batch's manifest; NotFoundError when it is no softcopy or a
    file is not there. The paths are the manifest's: read them as regular files only."""
    origin = document.origin
    if not isinstance(origin, dict) or origin.get("kind") != "softcopy":
        raise NotFoundError(f"document {document.id} is no softcopy")
    batch = document.batch
    stored = raw_batch_files(settings.storage_dir, batch.raw_dir, batch.manifest_name, batch.manifest_sha256)
    by_sha = {sha: rel for rel, sha in stored.items() if not rel.endswith(".json")}
    files = origin.get("files")
    if not isinstance(files, list) or not files or any(not isinstance(f, dict) or f.get("sha256") not in by_sha
                                                       for f in files):
        raise NotFoundError(f"the originals of document {document.id} are not all in storage")
    return [(f, settings.storage_dir / by_sha[f["sha256"]]) for f in files]


def corrected(settings: Settings, db: Database, document_id: int, corners: dict[int, object], *,
              user: str) -> Upload:
    """The originals of a filed softcopy handed over again (`stored_originals`), the photos
    numbered in `corners` (from 1) flattened from the corners an officer put on them: queued, to
    become the entry's next version; NotFoundError when there is no such softcopy."""
    with db.session() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFoundError(f"no document {document_id}")
        originals, entry_id = stored_originals(settings, document), document.register_id
    upload = Upload.create(settings, entry_id=entry_id, user=user)
    try:
        for number, (original, path) in enumerate(originals, start=1):
            name = Path(str(original.get("name", ""))).name or f"softcopy-{number}"
            if safe_files.copy(path, upload.files_dir(number) / name) != original["sha256"]:
                raise StorageError(f"{path}: not what the manifest says; run `scan-station verify`")
        upload.update(corners={str(n): c for n, c in corners.items()})
    except BaseException:
        upload.remove()
        raise
    upload.accept(settings)
    return upload


def recent(settings: Settings, entry_id: str, *, limit: int = 10) -> list[UploadState]:
    """The entry's latest hand-overs at the kiosk, newest first."""
    found = []
    for state_file in sorted((settings.scans_dir / FOLDER).glob(f"*/{STATE_FILE}"), reverse=True):
        with contextlib.suppress(NotFoundError, ValueError, TypeError, json.JSONDecodeError):
            state = Upload(state_file.parent).read_state()
            if state.entry_id == entry_id:
                found.append(state)
        if len(found) == limit:
            break
    return found


def requeue(upload: Upload) -> bool:
    """A failed hand-over waits for the queue again (its files were kept); False if it was not failed."""
    return upload.transition((UploadStatus.FAILED,), status=UploadStatus.QUEUED, error="") is not None


def file_upload(settings: Settings, db: Database, upload_id: str) -> UploadState | None:
    """The job: file a queued hand-over as its entry's next version; None when it was not waiting."""
    try:
        upload = Upload.open(settings, upload_id)
        state = upload.transition((UploadStatus.QUEUED,), status=UploadStatus.FILING, owner=this_process())
    except NotFoundError:
        state = None
    if state is None:
        return None
    if not state.batch:
        state = upload.update(batch=new_batch_id(utcnow()))
    if already_filed(db, state.batch):  # the worker that filed it died before it said so
        return _filed(upload, _filed_document(db, state.batch))
    try:
        result = submit(upload.files(), entry_id=state.entry_id, settings=settings, db=db, submitted_by=state.user,
                        batch_id=state.batch, corners={int(k): v for k, v in state.corners.items() if k.isdigit()})
    except InputFileError as exc:  # the files cannot be handed over as they are
        state = upload.update(status=UploadStatus.REFUSED, error=str(exc), code=exc.code, params=exc.params)
        shutil.rmtree(upload.path / FILES, ignore_errors=True)
        return state
    except ScanStationError as exc:
        return upload.update(status=UploadStatus.FAILED, error=str(exc), code=exc.code, params=exc.params)
    except BaseException as exc:
        upload.update(status=UploadStatus.FAILED, error=str(exc) or type(exc).__name__)
        raise
    return _filed(upload, {k: v for k, v in result.documents[0].as_dict().items()
                           if k in ("register_id", "version", "page_count", "path")})


def _filed(upload: Upload, document: dict) -> UploadState:
    state = upload.update(status=UploadStatus.FILED, document=document)
    shutil.rmtree(upload.path / FILES, ignore_errors=True)
    return state


def _filed_document(db: Database, batch_id: str) -> dict:
    from sqlalchemy import select

    from ..db.database import Document

    with db.session() as session:
        d = session.scalars(select(Document).where(Document.batch_id == batch_id)).first()
        assert d is not None  # filed (`already_filed`): a hand-over's one document is committed with its batch
        return {"register_id": d.register_id, "version": d.version, "page_count": d.page_count, "path": d.path}
