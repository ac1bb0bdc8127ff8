"""`scan-station register ...` and `coversheet`: the register of public information and its
cover sheets."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..core.errors import InputFileError
from .common import App, command
from .sheets import chosen_format, deliver, sheet_options


@click.group()
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


@command(group=register, name="add")
@_entry_options
def register_add(app: App, **fields):
    """Add an entry; prints its new id."""
    from ..register import add_entry, entry_dict

    with app.db.session() as session:
        entry = entry_dict(add_entry(session, app.settings, actor=app.actor, **fields))
    return entry, entry["id"]


@command(group=register, name="list")
def register_list(app: App):
    """List all entries."""
    from ..db.sqlite_read import register_entries

    # SQLite at the newest migration: without SQLAlchemy
    entries: list[dict[str, Any]] | None = register_entries(app.settings)
    if entries is None:
        from ..register import entry_dict, list_entries

        with app.db.session() as session:
            entries = [entry_dict(e) for e in list_entries(session)]
    human = "\n".join(f"{e['id']}  {e['category']:<13} {e['unit'][:24]:<24} {e['title']}" for e in entries)
    return entries, human or "(the register is empty)"


@command(group=register, name="import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
def register_import(app: App, csv_file: Path):
    """Import entries from a DIP spreadsheet saved as CSV (all rows or none)."""
    from ..register.csv_io import import_csv

    text = _read_csv_file(csv_file)
    with app.db.session() as session:
        result = import_csv(session, app.settings, text, actor=app.actor)
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


@command(group=register, name="export")
@sheet_options
def register_export(app: App, kind: str | None, output: Path | None):
    """Print the register as CSV (or, with --json, as an array), or write it to --output, also as
    CSV for Excel in Indonesian or as a workbook."""
    from ..register import entry_dict, list_entries
    from ..register.csv_io import export_register

    kind = chosen_format(kind, output)
    with app.db.session() as session:
        entries = list_entries(session)
        written, human = deliver(export_register(entries, kind), output, kind, len(entries))
        return written or [entry_dict(e) for e in entries], human


@command("coversheet")
@click.argument("ids", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="PDF to write (one A4 page per id); an existing file is not overwritten.")
def coversheet(app: App, ids: tuple[str, ...], output: Path):
    """Print barcode cover sheets for register entries, in the given order."""
    from ..papers.cover_sheet import check_coversheet_count, payload_for, write_coversheets
    from ..records.reconcile import record_print
    from ..register import get_entry

    check_coversheet_count(len(ids))
    with app.db.session() as session:
        entries = [get_entry(session, i) for i in ids]
        write_coversheets(entries, output)
        record_print(session, [e.id for e in entries], printed_by=app.actor)
    data = {"path": str(output), "pages": len(entries), "ids": [e.id for e in entries],
            "payloads": [payload_for(e.id) for e in entries]}
    return data, f"{output}: {len(entries)} cover sheet(s)"



COMMANDS = [register, coversheet]
