"""A home with filings in it, for the storage tests (backup, rebuild, export): softcopy batches of
born-digital PDFs (no OCR), with handover decisions made, and a snapshot of everything the
database records about them, to compare field by field."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from pathlib import Path

from sqlalchemy import select
from test_softcopy import text_pdf

from scan_station.cli import main
from scan_station.core.config import load_settings
from scan_station.db.database import Batch, Database, Document, DocumentEvent, DocumentPage, Entry, HeldPages
from scan_station.records import handover

WORDS = {"accepted": "kambing", "returned": "kerbau", "rescanned": "banteng", "waiting": "merpati"}


def cli(home: Path, *args: object) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), *map(str, args), "--json"])
    assert code == 0, (args, err.getvalue())
    return json.loads(out.getvalue())


class Hung(BaseException):
    """A command that did not end in time (a BaseException: the CLI's last-resort handler lets it through)."""


def run_within(home: Path, *args: object, seconds: int = 60, stdout: bool = False) -> tuple[int, str]:
    """`scan-station --home HOME ARGS...` in-process, stopped by SIGALRM after `seconds` (a named
    pipe opened for reading waits for ever); the exit code and stderr (stdout with `stdout`)."""
    import signal

    def stop(_signum, _frame):
        raise Hung(f"{args[0]} did not end within {seconds} s")

    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--home", str(home), *map(str, args)])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, (out if stdout else err).getvalue()


def error_line(stderr: str) -> str:
    """The one line a refused command writes (`scan-station: error: ...`); fails on none or more."""
    lines = [line for line in stderr.splitlines() if line.startswith("scan-station:")]
    assert len(lines) == 1, stderr
    return lines[0]


def add_entry(home: Path, title: str, unit: str = "Sekretariat") -> str:
    return cli(home, "register", "add", "--title", title, "--unit", unit, "--category", "berkala",
               "--created", "2025-03-04")["id"]


def submit(home: Path, entry_id: str, word: str, folder: Path, pages: int = 1) -> dict:
    pdf = text_pdf(folder / f"{entry_id}-{word}-{pages}.pdf", [f"Laporan {word} tahunan"], pages=pages)
    return cli(home, "submit", pdf, "--entry", entry_id, "--quiet")


def file_some(home: Path, folder: Path, config: str = "") -> dict[str, str]:
    """Three entries in three batches, then: one accepted, one returned and filed again as v2,
    one left waiting. Returns the entry ids by what happened to them."""
    home.mkdir(parents=True, exist_ok=True)
    if config:
        (home / "scan-station.toml").write_text(config)
    ids = {"accepted": add_entry(home, "Laporan keuangan"), "returned": add_entry(home, "Notulen rapat", "Umum"),
           "waiting": add_entry(home, "Daftar hadir")}
    for what, entry_id in ids.items():
        submit(home, entry_id, WORDS[what], folder, pages=2 if what == "accepted" else 1)
    settings = load_settings(home)
    db = Database(settings)
    try:
        with db.session() as s:
            docs = {d.register_id: d.id for d in s.scalars(select(Document))}
            handover.accept(s, docs[ids["accepted"]], actor="ppid", storage_dir=settings.storage_dir)
            handover.return_document(s, docs[ids["returned"]], actor="ppid", reason="Halaman terpotong",
                                     storage_dir=settings.storage_dir)
    finally:
        db.close()
    submit(home, ids["returned"], WORDS["rescanned"], folder)
    return ids


def _value(value):
    if isinstance(value, dt.datetime):  # SQLite gives times back without their zone, which is UTC
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _row(obj) -> dict:
    return {c.key: _value(getattr(obj, c.key)) for c in obj.__table__.columns}


def snapshot(db: Database) -> dict:
    """Everything the database records about filings, keyed so that order and ids of events and
    held groups do not matter (document ids do: they are kept)."""
    with db.session() as s:
        documents = {(d.register_id, d.version): d.id for d in s.scalars(select(Document))}
        by_id = {v: k for k, v in documents.items()}
        events = sorted((by_id[e.document_id], e.action, e.actor, e.reason, _value(e.at), e.path, e.sha256)
                        for e in s.scalars(select(DocumentEvent)))
        return {
            "entries": {e.id: _row(e) for e in s.scalars(select(Entry)) if e.documents},
            "documents": {f"{k[0]} v{k[1]}": _row(d) for d in s.scalars(select(Document))
                          for k in [(d.register_id, d.version)]},
            "events": events,
            "pages": sorted((by_id[p.document_id], p.page, p.batch_page, p.text)
                            for p in s.scalars(select(DocumentPage))),
            "batches": {b.id: _row(b) for b in s.scalars(select(Batch))},
            "held": sorted((h.batch_id, h.batch_pages, h.cover_page, h.register_id, h.reason, h.status)
                           for h in s.scalars(select(HeldPages))),
        }


def found(home: Path, word: str) -> set[str]:
    return {h["register_id"] for h in cli(home, "search", word)["hits"]}


def home_snapshot(home: Path) -> dict:
    """`snapshot` of the database of `home`."""
    db = Database(load_settings(home))
    try:
        return snapshot(db)
    finally:
        db.close()


def deep_folders(folder: Path, *, file: str | None = "x.pdf") -> None:
    """Folders nested deeper than a path may be long (PATH_MAX), made one at a time, with `file`
    at the bottom."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(20):
            os.mkdir("d" * 250, dir_fd=fd)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        if file:
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    finally:
        os.close(fd)
