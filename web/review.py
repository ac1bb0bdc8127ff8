"""Review before filing: the batch as documents, held pages with their reasons, one-tap fixes;
nothing is filed until the officer confirms, then a background job files it."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from scan_station.accounts.roles import Permission
from scan_station.capture import page_jobs, review
from scan_station.capture.page_jobs import queue_page
from scan_station.capture.scanning import page_classes
from scan_station.db.database import Entry
from scan_station.records.reconcile import PRINT_WINDOW, printed_but_missing

from .auth import requires
from .extensions import jobs, service
from .messages import user_message
from .pages import batch_or_404, hidden_pages
from .paging import whole_number
from .scan import start_scanning

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/<batch>")
@requires(Permission.SCAN)
def show(batch: str):
    settings, db = service()
    folder = batch_or_404(batch)
    state = folder.read_state()
    plan, pages = review.load(settings, db, folder)
    hidden, _owners = hidden_pages(db, folder, state.pages)
    seen = {i for p in pages for i in (p.register_id, p.shadow_of) if i}
    seen |= {g.register_id for g in [*plan.documents, *plan.held] if g.register_id}
    with db.session() as s:
        missing = printed_but_missing(s, printed_by=state.user, seen=seen,
                                      since=_started(state) - PRINT_WINDOW)
        wanted = seen | set(missing) | set(printed_but_missing(s, printed_by=current_user.id, seen=set(),
                                                              since=_started(state) - PRINT_WINDOW))
        entries = {e.id: {"id": e.id, "title": e.title, "category": e.category}
                   for e in s.scalars(select(Entry).where(Entry.id.in_(wanted)))}
    kinds = {p.number: p for p in pages}
    found = page_jobs.findings(settings, folder, plan, pages)
    return render_template("review/show.html", state=state, plan=plan, kinds=kinds, hidden=hidden, entries=entries,
                           missing=missing, busy=state.status.busy, found=found)


def _started(state) -> dt.datetime:
    try:
        started = dt.datetime.fromisoformat(state.started_at or "")
    except ValueError:
        return dt.datetime.now(dt.UTC)
    return started if started.tzinfo else started.replace(tzinfo=dt.UTC)


def _shown_turn(plan: review.Review, page: int) -> int | None:
    """The turn the page is shown at: as its reading found it upright, once it was read."""
    settings, db = service()
    folder = batch_or_404(request.view_args["batch"])
    return page_jobs.findings(settings, folder, plan, page_classes(settings, folder)).turns.get(page)


def _page() -> int:
    page = whole_number(request.form.get("page"), low=1, high=100_000)
    if page is None:
        abort(400)
    return page


CORRECTIONS = {
    "move": lambda plan, db: review.move(plan, _page(), request.form.get("direction", "")),
    "remove": lambda plan, db: review.remove(plan, _page()),
    "restore": lambda plan, db: review.restore(plan, _page()),
    "rotate": lambda plan, db: review.rotate(plan, _page(), shown=_shown_turn(plan, _page())),
    "assign": lambda plan, db: review.assign(plan, db, request.form.get("held", type=int, default=-1),
                                             request.form.get("register_id", "")),
    "cancel-rescan": lambda plan, db: review.rescan(plan, None),
}


@bp.post("/<batch>/<action>")
@requires(Permission.SCAN)
def correct(batch: str, action: str):
    settings, db = service()
    folder = batch_or_404(batch)
    if action not in CORRECTIONS and action not in ("rescan", "confirm"):
        abort(404)
    if folder.read_state().status.busy:
        flash(_("This batch is busy (scanning or being filed); wait until it is done."), "error")
        return redirect(url_for("review.show", batch=batch))
    if action == "confirm":
        return _confirm(folder)
    plan, _pages = review.load(settings, db, folder)
    try:
        if action == "rescan":
            review.rescan(plan, _page())
        else:
            CORRECTIONS[action](plan, db)
    except review.ReviewError as exc:
        flash(user_message(exc), "error")
        typed = (
            {"held": request.form.get("held", ""), "typed": request.form.get("register_id", "")}
            if action == "assign"
            else {}
        )
        return redirect(url_for("review.show", batch=batch, **typed))  # the form keeps what was typed
    review.save(folder, plan)
    if action in ("rotate", "move", "restore"):  # the page may be filed turned otherwise now: read it so
        queue_page(jobs(), folder.id, _page())
    if action == "rescan":
        flash(_("Put the page back in the scanner; it replaces page %(page)d.", page=plan.rescan_of), "ok")
        start_scanning(folder)
        return redirect(url_for("scan.live", batch=batch))
    return redirect(url_for("review.show", batch=batch))


def _confirm(folder):
    settings, db = service()
    try:
        review.confirm(settings, db, folder, user=current_user.id, role=current_user.role)
    except review.ReviewError as exc:
        flash(user_message(exc), "error")
        return redirect(url_for("review.show", batch=folder.id))
    jobs().file_batch(folder.id)
    flash(
        _("Batch %(batch)s is being filed in the background. The scanner is free for the next batch.", batch=folder.id),
        "ok",
    )
    return redirect(url_for("scan.index"))
