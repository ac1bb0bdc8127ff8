"""`scan-station backup`, `restore`, `rebuild`, `export` and `import-bag`: the record kept safe,
made again from storage, and moved to another installation."""

from __future__ import annotations

from pathlib import Path

import click

from .common import App, command, storage_code


def _verified(result: dict) -> str:
    """`verify`'s result in one line (`storage_code` says whether it ends the command with exit code 5)."""
    from ..core.safe_files import shown

    line = f"verify: {result['checked']} file(s) checked, {len(result['problems'])} problem(s)"
    return line + "".join(f"\n  {p['kind']}: {shown(p['path'])}" for p in result["problems"][:20])



@command("backup")
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
def backup_cmd(app: App, dest: Path):
    """A consistent copy of the database and storage into the new folder DEST, while the kiosk runs."""
    from ..archive.backup import backup

    made = backup(app.settings, app.db, dest)
    human = f"backup in {dest}: {made['database']} database and {made['files']} file(s), {made['bytes']} bytes"
    # skipped: not regular files, storage holds something Scan Station did not put there
    human += "".join(f"\n  skipped: {p['path']!r}: {p['why']}" for p in made["skipped"][:20])
    return made, human, storage_code(made["skipped"])


@command("restore")
@click.argument("src", type=click.Path(path_type=Path, file_okay=False, exists=True))
def restore_cmd(app: App, src: Path):
    """Check backup SRC against its manifest and put it into this (empty) installation."""
    from ..archive.backup import restore

    done = restore(app.settings, src)
    aside = f"\n  set aside (filed while the backup ran): {len(done['set_aside'])} file(s)" if done["set_aside"] else ""
    return done, f"restored {src} (made {done['made_at']}){aside}\n{_verified(done['verify'])}", storage_code(
        not done["verify"]["ok"])


@command("rebuild")
@click.option("--force", is_flag=True, help="Rebuild over a database that records filings already (storage wins).")
def rebuild_cmd(app: App, force: bool):
    """Make the database's record of filed documents again from storage alone."""
    from ..archive.rebuild import rebuild

    done = rebuild(app.settings, app.db, force=force)
    human = (f"rebuilt {done['entries']} entr(ies), {done['documents']} document(s), {done['batches']} batch(es), "
             f"{done['events']} handover decision(s)")
    human += "".join(f"\n  unreadable: {p}" for p in done["unreadable"][:20])
    # unreadable files are left out: storage holds files that are not what Scan Station writes
    return done, f"{human}\n{_verified(done['verify'])}", storage_code(done["unreadable"], not done["verify"]["ok"])


COMMANDS = [backup_cmd, restore_cmd, rebuild_cmd]


def _dates(value: str | None, name: str):
    import datetime as dt

    from ..core.errors import BadArgumentsError

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadArgumentsError(f"{name} {value!r}: not a date; give YYYY-MM-DD") from None


@command("export")
@click.argument("bag", type=click.Path(path_type=Path, file_okay=False))
@click.option("--entry", "entry_ids", multiple=True, metavar="ID[,ID...]", help="Register entries to export.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="Or: documents filed on or after this day.")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="And/or: documents filed on or before this day.")
def export_cmd(app: App, bag: Path, entry_ids: tuple[str, ...], start: str | None, end: str | None):
    """Write chosen entries, or a period of filing, as a BagIt bag into the new folder BAG."""
    from ..archive.bag import export

    wanted = [i.strip() for value in entry_ids for i in value.split(",") if i.strip()]
    done = export(app.settings, app.db, bag, entry_ids=wanted, start=_dates(start, "--from"), end=_dates(end, "--to"),
                  actor=app.actor)
    return done, f"bag {bag}: {done['documents']} document(s), {done['files']} file(s)"


@command("import-bag")
@click.argument("bag", type=click.Path(path_type=Path, file_okay=False, exists=True))
def import_bag_cmd(app: App, bag: Path):
    """Check the BagIt bag BAG and load its documents into this installation (twice is as once)."""
    from ..archive.bag import import_bag

    done = import_bag(app.settings, app.db, bag, actor=app.actor)
    human = (f"imported {done['documents']} document(s), {done['entries']} new entr(ies), {done['files']} file(s); "
             f"{done['unchanged']} document(s) here already")
    return done, f"{human}\n{_verified(done['verify'])}", storage_code(not done["verify"]["ok"])


COMMANDS += [export_cmd, import_bag_cmd]
