"""Kill points for the crash-consistency tests: `point("filing.sidecar")` marks a place in the
code where the process may die (a power cut, the OOM killer, `kill -9`).

With `SCAN_STATION_KILL_AT=NAME` (or `NAME#N`: the Nth time it is reached) in the environment
when this module is imported, the process sends itself SIGKILL at that point. Without it,
`point` is a function that does nothing: normal runs pay one call per point and nothing else.
`POINTS` lists every point, so that the tests can go through all of them.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "scan.page_read", "scan.page_file", "scan.page_counted", "scan.page_classified", "scan.feeder_empty",
    "storage.tmp_written", "storage.linked",
    "review.saved", "review.confirmed", "ocr.page_job_done", "job.taken",
    "ingest.read", "ingest.classified", "ingest.split", "ocr.submitted", "ocr.page_done", "ocr.document_done",
    "raw.files_kept", "raw.manifest_written", "raw.recorded",
    "filing.pdf", "filing.sidecar", "filing.indexed", "filing.before_commit", "filing.committed",
    "ingest.filed", "batch.removed",
)
_WANTED = os.environ.get("SCAN_STATION_KILL_AT", "")


def _armed(wanted: str):
    name, _, nth = wanted.partition("#")
    remaining = [int(nth) if nth.isdigit() else 1]

    def point(here: str) -> None:
        if here == name:
            remaining[0] -= 1
            if remaining[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return point


def _unarmed(here: str) -> None:
    pass


point = _armed(_WANTED) if _WANTED else _unarmed
