"""What the `scan-station` commands share: the application object, the `--json` convention, the
progress lines and the ingest summary. Command modules import this; `cli` puts them together."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..core.config import Settings, load_settings
from ..core.errors import OutputError

if TYPE_CHECKING:
    from ..db.database import Database


class App:
    """What the commands share: settings and, opened on first use, the database."""

    def __init__(self, home: Path | None):
        self._home = home
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self._home, home_label="--home" if self._home else "")
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            from ..db.database import Database

            self._db = Database(self.settings)
        return self._db

    def close(self) -> None:
        """Close the database's connections, if it was opened (a command run in a process that
        goes on, as the tests and the kiosk's launcher do, leaves none open behind it)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def actor(self) -> str:
        """Who the audit log names for work done on the command line."""
        import getpass

        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"


class OutputClosed(Exception):  # noqa: N818 - not an error: what reads our output stopped reading
    """Whatever reads standard output (`| head`) has closed it: the command stops quietly."""


def emit(text: str) -> None:
    """Print `text` on standard output. An output that cannot take it (a full disk, a closed file)
    is an OutputError, exit 5; a closed pipe is `OutputClosed`."""
    if sys.stdout is None:
        raise OutputError("standard output is closed; run the command with its output going to a file or the terminal")
    try:
        click.echo(text)
    except BrokenPipeError:
        raise OutputClosed from None
    except OSError as exc:
        raise _output_error(exc) from None


def flush_output() -> None:
    """Send what is still buffered for standard output now, while its failure can be reported."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosed from None
    except OSError as exc:
        raise _output_error(exc) from None


def _output_error(exc: OSError) -> OutputError:
    return OutputError(f"cannot write to standard output ({exc.strerror or exc}); "
                       "send the output to a file on a disk with room, or to the terminal")


def command(name: str, group: click.Group | None = None, **kwargs) -> Callable:
    """A command (of `group`, else standalone) with `--json`. The function returns (data,
    human-readable text), or (data, text, exit code) when it ends with a code other than 0 (see
    `errors.ExitCode`); the command returns that code to `cli.main`."""

    def decorate(func: Callable) -> Callable:
        @(group.command if group is not None else click.command)(name, **kwargs)
        @click.option("--json", "as_json", is_flag=True, help="Print one JSON value on stdout.")
        @click.pass_obj
        @functools.wraps(func)
        def wrapper(app: App, as_json: bool, **params) -> int:
            data, human, *code = func(app, **params)
            if as_json:
                emit(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            elif human:
                emit(human)
            return int(code[0]) if code else 0

        return wrapper

    return decorate


def storage_code(*problems: object) -> int:
    """Exit code 5 (storage) when any of `problems` is there, else 0: what a check of storage ends with."""
    from ..core.errors import ExitCode

    return int(ExitCode.storage) if any(problems) else 0


def progress_lines(event) -> None:
    """An ingest's documents read and filed, one line each on stderr (`IngestEvent`)."""
    if event.step in ("ocr", "filed"):
        click.echo(f"  {event.step}: {', '.join(f'{k}={v}' for k, v in event.details().items())}", err=True)


def ingest_summary(result: dict) -> str:
    lines = [f"batch {result['batch']}: {result['pages']} page(s)"]
    lines += [
        f"  filed  {d['register_id']} v{d['version']}  {d['page_count']} p.  {d['path']}" for d in result["documents"]
    ]
    lines += [f"  HELD   pages {d['batch_pages']}: {d['reason']}" for d in result["held"]]
    if result["blank_pages"]:
        lines.append(f"  blank pages dropped: {result['blank_pages']}")
    lines += [f"  CHECK  page {c['page']} ({c['register_id']}): {c['reason']}"
              for c in result.get("pages_to_check", [])]
    if result.get("expected_missing"):
        lines.append(f"  EXPECTED, NOT IN THE BATCH: {', '.join(result['expected_missing'])}")
    if result.get("unexpected"):
        lines.append(f"  in the batch, not expected: {', '.join(result['unexpected'])}")
    return "\n".join(lines)
