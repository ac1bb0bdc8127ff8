"""The live scan screen's server-sent events: every page as soon as it is known (and again once
classified), the batch's status, fault and filing progress — read from the batch folder, so that
a reload, a second screen or a scan from the command line show the same.

A stream holds a server thread while it lasts. So streams are few and short: at most
`SCAN_EVENTS_MAX_STREAMS` at once (`serve` sets half its threads), each ending after
`SCAN_EVENTS_SECONDS`, when the browser reconnects by itself; a screen over the limit gets what
there is now and asks again after `retry` — it is a little slower, and nothing else waits.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

from flask import Response, current_app, request, stream_with_context, url_for

from scan_station.core.errors import ScanStationError

from .auth import session_alive
from .extensions import service
from .names import batch_error, fault_text
from .pages import hidden_pages

KEEPALIVE_SECONDS, SESSION_CHECK_SECONDS, POLL_SECONDS = 15, 2, 0.2
_slots_lock = threading.Lock()


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _slots() -> threading.BoundedSemaphore:
    ext = current_app.extensions["scan_station"]
    with _slots_lock:
        if "event_streams" not in ext:
            ext["event_streams"] = threading.BoundedSemaphore(int(current_app.config["SCAN_EVENTS_MAX_STREAMS"]))
        return ext["event_streams"]


class _Batch:
    """What one stream has sent of a batch; `changes()` gives what is new since."""

    def __init__(self, folder):
        self.folder, self.pages, self.classes, self.state, self.filed = folder, {}, {}, None, False

    def changes(self) -> Iterator[str]:
        try:
            state = self.folder.read_state()
        except ScanStationError:  # filed: the folder is gone
            self.filed = True
            yield _sse("state", {"status": "filed", "pages": len(self.pages), "fault": None})
            return
        _settings, db = service()
        for n in range(1, state.pages + 1):  # a classification never changes once made: read once
            if n not in self.classes and (page := self.folder.page_class(n)) is not None:
                self.classes[n] = page
        hidden, owners = hidden_pages(db, self.folder, state.pages)
        for n in range(1, state.pages + 1):
            page = self.classes.get(n)
            data = {"page": n, "kind": page.kind if page else None, "register_id": owners.get(n),
                    "problem": page.problem if page else None, "hidden": n in hidden,
                    "maybe_blank": bool(page and page.maybe_blank),
                    "thumb": None if n in hidden else url_for("scan.thumbnail", batch=self.folder.id, page=n)}
            if self.pages.get(n) != data:
                self.pages[n] = data
                yield _sse("page", data)
        data = state.to_json()
        summary = {k: data[k] for k in ("status", "pages", "fault", "error", "progress")}
        if summary["fault"]:
            summary["fault"]["text"] = fault_text(summary["fault"])
        summary["error"] = batch_error(state)
        if summary != self.state:
            self.state = summary
            yield _sse("state", summary)


def _stream(folder, slots: threading.BoundedSemaphore) -> Iterator[str]:
    """The slot is taken here, inside the generator, so that a response whose body is never read
    (a HEAD request, a client gone before the first byte) never holds one."""
    taken = slots.acquire(blocking=False)  # over the limit: one look, then retry later
    try:
        yield from _events(folder, long=taken)
    finally:
        if taken:
            slots.release()


def _events(folder, *, long: bool) -> Iterator[str]:
    batch, lifetime = _Batch(folder), float(current_app.config["SCAN_EVENTS_SECONDS"])
    started = last_write = checked = time.monotonic()
    yield "retry: 500\n\n" if long else "retry: 2000\n\n"
    while True:
        for event in batch.changes():
            last_write = time.monotonic()
            yield event
        now = time.monotonic()
        if not long or batch.filed or now - started >= lifetime:
            return
        if now - last_write > KEEPALIVE_SECONDS:
            yield ": still here\n\n"
            last_write = now
        if now - checked > SESSION_CHECK_SECONDS:  # events are no person's action: the session may end
            if not session_alive():
                yield _sse("logout", {"login": url_for("auth.login")})
                return
            checked = now
        time.sleep(POLL_SECONDS)


def event_stream(folder) -> Response:
    headers = {"X-Accel-Buffering": "no", "Cache-Control": "no-store"}
    if request.method == "HEAD":
        return Response(mimetype="text/event-stream", headers=headers)
    return Response(stream_with_context(_stream(folder, _slots())), mimetype="text/event-stream", headers=headers)
