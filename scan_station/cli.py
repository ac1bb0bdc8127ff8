"""The `scan-station` command.

Every command takes `--json` and then prints exactly one JSON value on stdout. Errors go to
stderr as one line, with the exit code that `errors.exit_code_for` gives; an unexpected exception
too (exit 15), with its traceback only when `SCAN_STATION_DEBUG=1` is set.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import click

from . import __version__
from .config import Settings, load_settings
from .db import Database
from .errors import ExitCode, InputFileError, ScanStationError, exit_code_for


class App:
    """What the commands share: settings and, opened on first use, the database."""

    def __init__(self, home: Path | None):
        self._home = home
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self._home)
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings)
        return self._db


def command(group: click.Group, name: str, **kwargs) -> Callable:
    """A subcommand with `--json`; the function returns (data, human-readable text)."""

    def decorate(func: Callable) -> Callable:
        @group.command(name, **kwargs)
        @click.option("--json", "as_json", is_flag=True, help="Print one JSON value on stdout.")
        @click.pass_obj
        @functools.wraps(func)
        def wrapper(app: App, as_json: bool, **params):
            data, human = func(app, **params)
            if as_json:
                click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            elif human:
                click.echo(human)

        return wrapper

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path),
    help="Folder for all state (database, storage, work). Default: $SCAN_STATION_HOME, else a per-user data folder.",
)
@click.version_option(__version__, prog_name="scan-station")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """Scan Station: register public information, print cover sheets, ingest scans, search."""
    ctx.obj = App(home)


@cli.group()
def register() -> None:
    """The register of public information (Daftar Informasi Publik)."""


ENTRY_OPTIONS = [
    click.option("--title", required=True, help="Title of the information (judul)."),
    click.option("--unit", required=True, help="Unit that holds the information (pejabat/unit yang menguasai)."),
    click.option("--category", required=True, help="berkala, serta-merta, setiap-saat or dikecualikan."),
    click.option("--summary", default="", help="Summary of content (ringkasan isi informasi)."),
    click.option("--responsible", default="", help="Responsible for making or issuing it (penanggung jawab)."),
    click.option("--created", "created_date", default="", help="Date made, YYYY-MM-DD (waktu pembuatan)."),
    click.option("--place", default="", help="Place made (tempat pembuatan)."),
    click.option("--format", "format", default="hardcopy", help="hardcopy, softcopy or both (bentuk informasi)."),
    click.option("--retention", default="", help="Retention period (jangka waktu penyimpanan)."),
    click.option("--classification", default="", help="Classification code, e.g. HM.03."),
    click.option("--number", default="", help="Document number (nomor naskah), e.g. 19/PP.07-SOP/HM/I/2025."),
    click.option("--location", "hardcopy_location", default="", help="Where the hardcopy is kept."),
]


def _entry_options(func: Callable) -> Callable:
    for option in reversed(ENTRY_OPTIONS):
        func = option(func)
    return func


@command(register, "add")
@_entry_options
def register_add(app: App, **fields):
    """Add an entry; prints its new id."""
    from .register import add_entry, entry_dict

    with app.db.session() as session:
        entry = entry_dict(add_entry(session, app.settings, **fields))
    return entry, entry["id"]


@command(register, "list")
def register_list(app: App):
    """List all entries."""
    from .register import entry_dict, list_entries

    with app.db.session() as session:
        entries = [entry_dict(e) for e in list_entries(session)]
    human = "\n".join(f"{e['id']}  {e['category']:<13} {e['unit'][:24]:<24} {e['title']}" for e in entries)
    return entries, human or "(the register is empty)"


@command(register, "import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
def register_import(app: App, csv_file: Path):
    """Import entries from a DIP spreadsheet saved as CSV (all rows or none)."""
    from .register import import_csv

    text = _read_csv_file(csv_file)
    with app.db.session() as session:
        result = import_csv(session, app.settings, text)
    return result, f"{len(result['created'])} created, {len(result['updated'])} updated"


def _read_csv_file(path: Path) -> str:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputFileError(f"{path}: not a regular file; import a CSV file")
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text; save the spreadsheet as 'CSV UTF-8'") from None


@command(register, "export")
def register_export(app: App):
    """Print the register as CSV (or, with --json, as an array)."""
    from .register import entry_dict, export_csv, list_entries

    with app.db.session() as session:
        entries = list_entries(session)
        return [entry_dict(e) for e in entries], export_csv(entries).rstrip("\n")


@command(cli, "coversheet")
@click.argument("ids", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF to write (one A4 page per id); an existing file is not overwritten.")
def coversheet(app: App, ids: tuple[str, ...], output: Path):
    """Print barcode cover sheets for register entries, in the given order."""
    from .coversheet import payload_for, write_coversheets
    from .register import get_entry

    from .reconcile import record_print

    with app.db.session() as session:
        entries = [get_entry(session, i) for i in ids]
        write_coversheets(entries, output)
        record_print(session, [e.id for e in entries], printed_by="-")
    data = {"path": str(output), "pages": len(entries), "ids": [e.id for e in entries],
            "payloads": [payload_for(e.id) for e in entries]}
    return data, f"{output}: {len(entries)} cover sheet(s)"


def _progress(stage: str, info: dict) -> None:
    if stage in ("ocr", "filed"):
        click.echo(f"  {stage}: {', '.join(f'{k}={v}' for k, v in info.items())}", err=True)


@command(cli, "ingest")
@click.argument("path", type=click.Path(path_type=Path, readable=False))
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@click.option("--expect", "expected", multiple=True, metavar="ID[,ID...]",
              help="Register ids the batch should hold; the ones missing and the ones not expected are reported.")
def ingest_cmd(app: App, path: Path, quiet: bool, expected: tuple[str, ...]):
    """Split a scanned batch at its cover sheets, OCR and file the documents."""
    from .ingest import ingest
    from .reconcile import against

    result = ingest(path, settings=app.settings, db=app.db, on_progress=None if quiet else _progress)
    if expected:
        wanted = [i.strip().upper() for value in expected for i in value.split(",") if i.strip()]
        found = [d["register_id"] for d in result["documents"]] + [h["register_id"] for h in result["held"]
                                                                   if h["register_id"]]
        result |= against(wanted, found)
    return result, ingest_summary(result)


def ingest_summary(result: dict) -> str:
    lines = [f"batch {result['batch']}: {result['pages']} page(s)"]
    lines += [f"  filed  {d['register_id']} v{d['version']}  {d['page_count']} p.  {d['path']}" for d in result["documents"]]
    lines += [f"  HELD   pages {d['batch_pages']}: {d['reason']}" for d in result["held"]]
    if result["blank_pages"]:
        lines.append(f"  blank pages dropped: {result['blank_pages']}")
    if result.get("expected_missing"):
        lines.append(f"  EXPECTED, NOT IN THE BATCH: {', '.join(result['expected_missing'])}")
    if result.get("unexpected"):
        lines.append(f"  in the batch, not expected: {', '.join(result['unexpected'])}")
    return "\n".join(lines)


@command(cli, "search")
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="Most hits to show.")
def search_cmd(app: App, query: str, limit: int):
    """Full-text search over OCR text and register fields."""
    from .search import search

    with app.db.session() as session:
        hits = search(session, query, limit=limit)
    data = {"hits": [
        {"register_id": h.register_id, "version": h.version, "page": h.page, "title": h.title,
         "snippet": h.snippet, "path": app.settings.display_path(app.settings.storage_dir / h.path)}
        for h in hits
    ]}
    human = "\n".join(f"{h['register_id']} v{h['version']} p.{h['page']}  {h['snippet']}" for h in data["hits"])
    return data, human or "no hits"


@command(cli, "verify")
def verify_cmd(app: App):
    """Re-hash every stored file; report mismatches, missing files and orphans."""
    from .verify import verify

    result = verify(app.db, app.settings)
    if not result["ok"]:
        click.get_current_context().meta["exit_code"] = ExitCode.storage
    human = f"{result['checked']} file(s) checked, {len(result['problems'])} problem(s)"
    human += "".join(f"\n  {p['kind']}: {p['path']}" for p in result["problems"])
    return result, human


@command(cli, "report")
@click.option("--month", help="YYYY-MM; default: this month.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the per-unit table as CSV instead.")
def report_cmd(app: App, month: str | None, as_csv: bool):
    """The monthly report for the Atasan PPID: filed, accepted, returned per unit."""
    from . import report

    year, number = report.parse_month(month)
    with app.db.session() as session:
        data = report.monthly(session, year, number)
    if as_csv:
        return data, report.as_csv(data).rstrip("\n")
    lines = [f"{data['month']}: {data['total']['filed']} document(s) filed, {data['total']['pages']} page(s); "
             f"accepted {data['total']['accepted']}, returned {data['total']['returned']}, waiting {data['total']['waiting']}; "
             f"{data['held_pages']} page(s) held"]
    lines += [f"  {r['unit']}: {r['filed']} filed, {r['accepted']} accepted, {r['returned']} returned" for r in data["units"]]
    lines += [f"  returned {r['register_id']} v{r['version']} by {r['by']}: {r['reason']}" for r in data["returned"]]
    return data, "\n".join(lines)


@command(cli, "demo")
@click.option("--documents", default=3, show_default=True, type=click.IntRange(1, 50), help="Sample entries to make.")
def demo_cmd(app: App, documents: int):
    """Register samples, print their cover sheets, scan-simulate a batch, ingest it and search."""
    from .demo import run_demo

    result = run_demo(app.settings, app.db, documents=documents, on_progress=_progress)
    return result, result["report"]


def main(argv: list[str] | None = None) -> int:
    try:
        with cli.make_context("scan-station", list(argv if argv is not None else sys.argv[1:])) as ctx:
            cli.invoke(ctx)
            return int(ctx.meta.get("exit_code", 0))
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except ScanStationError as exc:
        click.echo(f"scan-station: error: {exc}", err=True)
        return exit_code_for(exc)
    except Exception as exc:  # noqa: BLE001 - the last resort: still one line, unless debugging
        return _unexpected(exc)


def _unexpected(exc: Exception) -> int:
    if os.environ.get("SCAN_STATION_DEBUG") == "1":
        traceback.print_exc()
        hint = ""
    else:
        hint = " (SCAN_STATION_DEBUG=1 shows the traceback)"
    first = (str(exc).strip().splitlines() or [""])[0]
    click.echo(f"scan-station: error: unexpected {type(exc).__name__}: {first}{hint}", err=True)
    return int(ExitCode.other)


from . import cli_scanner, cli_serve, cli_users  # noqa: E402,F401  (register their commands)

