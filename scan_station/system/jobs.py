"""The job queue: the pages of a batch are OCR'd while it is scanned and reviewed, and confirmed
batches and softcopies handed over at the kiosk are filed (PDF/A, storage) in the background.

The queue is huey's. Embedded default: a SQLite file `jobs.db` in the home folder, no server.
With `queue_url = "redis://host:6379/0"` the queue lives on a Redis server that several kiosks
and OCR workers share; every machine then needs the same database (`database_url`, PostgreSQL)
and the same `scans_dir` and `storage_dir` (shared storage), since a job names a batch folder.

Workers: `scan-station worker` (one per OCR machine), and `scan-station serve` runs one in its
own process unless told `--no-worker`. A page job (`ocr_page`) reads one scanned page and keeps
its result in the batch folder; it is only a head start — filing reads any page whose result is
missing or out of date itself — so a page job that fails or is lost costs time, never a page. A
filing job that fails marks its batch "failed" with the error and keeps every page; confirming the
batch again queues it again. A worker's jobs share one pool of OCR children (`ocr_pool.shared_pool`).
Workers also run the scheduled fixity check (`fixity`), one at a time however many there are,
and anchor the audit log's head outside the database every few minutes (`audit_anchor`).
"""

from __future__ import annotations

import errno
import functools
import logging
from dataclasses import dataclass

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.exc import InterfaceError, OperationalError

from ..archive import fixity
from ..audit import anchor as audit_anchor
from ..capture.batch_folder import FilingProgress, Status
from ..capture.page_jobs import ocr_page
from ..capture.review import load
from ..capture.scanning import batch_folder, ingest_scanned
from ..core import crash_points, storage
from ..core.config import Settings
from ..core.errors import ConfigError, NotFoundError, StorageError
from ..core.state_folder import this_process
from ..db.database import Database
from ..filing.sources import IngestEvent, IngestOptions, Step
from ..filing.uploads import file_upload
from ..ocr.pool import shared_pool
from ..search.rebuild import write_pending

log = logging.getLogger(__name__)
FILE_BATCH, FILE_SOFTCOPY, FIXITY, OCR_PAGE = "file_batch", "file_softcopy", "fixity", "ocr_page"
ANCHOR = "audit_anchor"
#: Failures that pass (a full or read-only disk, the database locked or away): tried again.
TRANSIENT = (StorageError, OperationalError, InterfaceError)
PASSING_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EIO}


@dataclass(frozen=True)
class Jobs:
    """The queue and our tasks on it; calling a task queues it: `jobs.file_batch(batch_id)`,
    `jobs.file_softcopy(upload_id)`, `jobs.ocr_page(batch_id, page)`."""

    queue: Huey
    file_batch: TaskWrapper
    file_softcopy: TaskWrapper
    fixity: TaskWrapper  # periodic; called, it queues a check that runs if one is due
    ocr_page: TaskWrapper


def make_jobs(settings: Settings) -> Jobs:
    """The queue that `settings` name, with our tasks registered on it."""
    url = settings.queue_url
    if not url:
        queue = SqliteHuey("scan-station", filename=str(settings.home / "jobs.db"), results=False)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        queue = RedisHuey("scan-station", url=url, results=False)
    else:
        raise ConfigError(f"queue_url {url!r}: use redis://host:port/db, or leave it empty for the embedded queue")

    @queue.task(name=FILE_BATCH)
    def file_batch_task(batch_id: str) -> None:
        file_batch(settings, batch_id)

    @queue.task(name=FILE_SOFTCOPY)
    def file_softcopy_task(upload_id: str) -> None:
        file_softcopy(settings, upload_id)

    @queue.task(name=OCR_PAGE)
    def ocr_page_task(batch_id: str, page: int) -> None:
        ocr_page(settings, _database(settings), batch_id, page)

    @queue.periodic_task(crontab(minute="*/15"), name=FIXITY)
    @queue.lock_task(FIXITY)  # one at a time, however many workers share the queue
    def fixity_task() -> None:
        """Every quarter of an hour: batches that failed for a reason that passes are tried
        again (space is back, the database too), so are index writes that failed, and the
        fixity check runs when it is due."""
        requeue_orphans(settings, jobs, queued=False)
        write_pending(_database(settings))
        if fixity.due(settings):
            fixity.check(settings, _database(settings))

    @queue.periodic_task(crontab(minute="*"), name=ANCHOR)
    def anchor_task() -> None:
        """Every minute: the audit log's head anchored outside the database when records were
        written since the newest anchor and it is `audit_anchor_minutes` old (`audit_anchor`)."""
        audit_anchor.catch_up(settings, _database(settings), when_due=True)

    jobs = Jobs(queue, file_batch_task, file_softcopy_task, fixity_task, ocr_page_task)

    return jobs


@functools.cache
def _database(settings: Settings) -> Database:
    return Database(settings)


def file_batch(settings: Settings, batch_id: str) -> dict:
    """The job: file a confirmed batch as its review says; progress goes to the batch's state."""
    db = _database(settings)
    try:
        folder = batch_folder(settings, batch_id)
        taken = folder.transition((Status.QUEUED,), status=Status.FILING, error=None, retry=False,
                                  owner=this_process())
    except NotFoundError:
        taken = None
    crash_points.point("job.taken")
    if taken is None:  # filed or being filed by another job already (a second confirm), or gone
        log.warning("batch %s is not waiting to be filed; job skipped", batch_id)
        return {"batch": batch_id, "skipped": True}
    try:
        review, _pages = load(settings, db, folder)
    except BaseException as exc:
        folder.update(status=Status.FAILED, **failure(exc))
        raise
    plan = review.as_split()
    progress = FilingProgress(documents=len(plan.documents))

    def on_progress(event: IngestEvent) -> None:
        progress.step = str(event.step)
        progress.ocr_done += event.step == Step.OCR
        progress.filed += event.step == Step.FILED
        folder.update(progress=progress)

    folder.update(progress=progress)
    try:
        return ingest_scanned(settings, db, folder, plan=plan, options=IngestOptions(
            on_progress=on_progress, pool=shared_pool(settings.workers))).as_dict()
    except BaseException as exc:
        log.exception("filing batch %s failed", batch_id)
        folder.update(status=Status.FAILED, **failure(exc), progress=progress, retry=transient(exc))
        raise


def failure(exc: BaseException) -> dict:
    """What a batch's state keeps of the error its filing ended with."""
    code, params = getattr(exc, "code", ""), getattr(exc, "params", {})
    plain = {k: v for k, v in params.items() if isinstance(v, str | int | float)} if isinstance(params, dict) else {}
    return {"error": str(exc) or type(exc).__name__, "code": code if isinstance(code, str) else "", "params": plain}


def file_softcopy(settings: Settings, upload_id: str) -> dict:
    """The job: file a softcopy hand-over (`uploads`); its outcome goes to the hand-over's state."""
    state = file_upload(settings, _database(settings), upload_id)
    if state is None:
        log.warning("softcopy hand-over %s is not waiting to be filed; job skipped", upload_id)
        return {"upload": upload_id, "skipped": True}
    return {"upload": upload_id, "status": str(state.status)}


def requeue_orphans(settings: Settings, jobs: Jobs, *, queued: bool = True) -> list[str]:
    """Queue again what a dead process left: confirmed batches and hand-overs whose filing stopped
    with the process (a kill, a power cut), batches whose filing failed for a reason that passes
    (a full disk, the database away), and with `queued` those still marked queued, whose job may
    have died with a worker (a job for work already taken or done is skipped). The ids queued."""
    from ..capture.batch_folder import FILING_STOPPED, BatchFolder
    from ..filing.uploads import FOLDER, STATE_FILE, STOPPED, Upload, UploadStatus

    for leftover in storage.sweep_temporaries(settings.storage_dir):
        log.warning("removed %s, left by a write that did not finish", leftover)
    queued_ids = []
    for folder in BatchFolder.all(settings.scans_dir):
        try:
            state = folder.read_state()
            if state.status == Status.FAILED and (state.error == FILING_STOPPED or state.retry):
                if folder.transition((Status.FAILED,), status=Status.QUEUED, error=None) is not None:
                    jobs.file_batch(folder.id)
                    queued_ids.append(folder.id)
                continue
            if queued and state.status == Status.QUEUED:
                jobs.file_batch(folder.id)
                queued_ids.append(folder.id)
        except NotFoundError:
            continue
    for state_file in sorted((settings.scans_dir / FOLDER).glob(f"*/{STATE_FILE}")):
        upload = Upload(state_file.parent)
        upload_state = upload.read_state()
        stopped = upload_state.status == UploadStatus.FAILED and upload_state.error == STOPPED
        if stopped:
            upload.update(status=UploadStatus.QUEUED, error="", owner=None)
        if stopped or (queued and upload_state.status == UploadStatus.QUEUED):
            jobs.file_softcopy(upload.id)
            queued_ids.append(upload.id)
    return queued_ids


def run_until_empty(jobs: Jobs) -> int:
    """Run queued jobs in this thread until none is left (`worker --until-empty`); how many ran."""
    done = 0
    while (task := jobs.queue.dequeue()) is not None:
        jobs.queue.execute(task)
        done += 1
    return done


def transient(exc: BaseException) -> bool:
    """A failure that passes: a full or read-only disk, the database locked or away."""
    return isinstance(exc, TRANSIENT) or (isinstance(exc, OSError) and exc.errno in PASSING_ERRNOS)


#: How often an idle worker looks at an embedded (SQLite) queue, at most: huey backs off to 10 s by
#: default, which would keep a batch confirmed after a quiet minute waiting for as long (a Redis
#: queue is not polled: the worker waits on it).
POLL_SECONDS = 0.5


def consumer(jobs: Jobs, *, workers: int, periodic: bool, in_thread: bool = False) -> Consumer:
    """A huey consumer of `jobs` with `workers` threads; `in_thread`: one that runs beside a web
    server (no signal handlers of its own)."""
    kind = _ThreadConsumer if in_thread else Consumer
    return kind(jobs.queue, workers=workers, worker_type="thread", periodic=periodic, max_delay=POLL_SECONDS)


class _ThreadConsumer(Consumer):
    """huey's consumer without signal handlers, so that it can run beside a web server."""

    def _set_signal_handlers(self) -> None:
        pass


def start_worker(jobs: Jobs, *, workers: int = 1, periodic: bool = False) -> Consumer:
    """Start a worker in this process (threads) and return at once; `stop_worker` ends it.
    `periodic`: it also runs the scheduled fixity check."""
    started = consumer(jobs, workers=workers, periodic=periodic, in_thread=True)
    started.start()
    return started


def stop_worker(consumer: Consumer) -> None:
    consumer.stop(graceful=True)
