"""The `scan-station` command: the main group, and every command module in one list.

Every command takes `--json` and then prints exactly one JSON value on stdout. Errors go to
stderr as one line, with the exit code that `errors.exit_code_for` gives; an unexpected exception
too (exit 15), with its traceback only after `--debug` (or with `SCAN_STATION_DEBUG=1` set). Commands of other
packages join through the entry point group `scan_station.commands` (the kiosk's `serve`), loaded
only when one of them is run or all are listed (`--help`): finding entry points reads the metadata
of every installed package, and short commands such as `register list` do without.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from .. import __version__
from ..core.errors import BadArgumentsError, ExitCode, OutputError, ScanStationError, exit_code_for, path_error
from . import audit as cli_audit
from . import documents as cli_documents
from . import register as cli_register
from . import scanner as cli_scanner
from . import storage as cli_storage
from . import system as cli_system
from . import users as cli_users
from .common import App, OutputClosed, flush_output

#: The command modules, each with its `COMMANDS`.
MODULES = (cli_register, cli_documents, cli_scanner, cli_users, cli_system, cli_storage, cli_audit)


class MainGroup(click.Group):
    """The main group: our commands at once, those of other packages (entry points) when first needed.
    Another package's command cannot replace one of ours."""

    plugins_loaded = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self.load_plugins()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugins()
        return super().list_commands(ctx)

    def load_plugins(self) -> None:
        if self.plugins_loaded:
            return
        self.plugins_loaded = True
        from importlib.metadata import entry_points

        for plugin in entry_points(group="scan_station.commands"):
            if plugin.name not in self.commands:
                command = plugin.load()
                _utf8_text_everywhere(command)
                self.add_command(command, plugin.name)


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(path_type=Path),  # checked with the settings: a ConfigError, exit 9
    help="Folder for all state (database, storage, work). Default: $SCAN_STATION_HOME, else a per-user data folder.",
)
@click.option("--debug", is_flag=True, help="On an unexpected error, print its traceback too.")
@click.version_option(__version__, prog_name="scan-station")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, debug: bool) -> None:
    """Scan Station: register public information, print cover sheets, ingest scans, search."""
    ctx.obj = App(home)
    ctx.call_on_close(ctx.obj.close)  # the database's connections, when the command has ended


class Utf8Text(click.types.StringParamType):
    """Text as typed, unless it holds bytes that are not UTF-8 (a terminal set to another encoding;
    Python keeps them as lone surrogates, which no database or output takes): then a one-line
    BadArgumentsError, exit 2. Paths are left alone: a file name may be any bytes."""

    name = "text"

    def convert(self, value, param, ctx):
        text = super().convert(value, param, ctx)
        bad = list(dict.fromkeys(ord(c) for c in text if 0xD800 <= ord(c) <= 0xDFFF)) if isinstance(text, str) else []
        if bad:
            name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
            shown = ", ".join(f"byte 0x{c - 0xDC00:02X}" if 0xDC80 <= c <= 0xDCFF else f"U+{c:04X}" for c in bad[:3])
            raise BadArgumentsError(f"{name} holds {shown}, not UTF-8 text; type it again with the terminal "
                                    "set to UTF-8 (e.g. LANG=C.UTF-8)")
        return text


def _utf8_text_everywhere(command: click.Command) -> None:
    """Every text option and argument of `command` and its subcommands (plugins' too) is `Utf8Text`."""
    for param in command.params:
        if type(param.type) is click.types.StringParamType:
            param.type = Utf8Text()
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _utf8_text_everywhere(subcommand)


for module in MODULES:
    for command in module.COMMANDS:
        cli.add_command(command)
_utf8_text_everywhere(cli)


def main(argv: list[str] | None = None) -> int:
    debug = os.environ.get("SCAN_STATION_DEBUG") == "1"
    _tolerant_stdout()
    try:
        with cli.make_context("scan-station", list(argv if argv is not None else sys.argv[1:])) as ctx:
            debug = debug or ctx.params.get("debug", False)
            code = cli.invoke(ctx)  # what a command returns; a plugin's that returns nothing: 0
            flush_output()
            return int(code or 0)
    except OutputClosed:
        _discard_stdout()
        return int(ExitCode.output_closed)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except ScanStationError as exc:
        if isinstance(exc, OutputError):
            _discard_stdout()
        click.echo(f"scan-station: error: {exc}", err=True)
        return exit_code_for(exc)
    except Exception as exc:  # noqa: BLE001 - the last resort: still one line, unless debugging
        known = path_error(exc)  # a path given that the system cannot use: exit 3, not "unexpected"
        if known is None:
            return _unexpected(exc, debug=debug)
        if debug:
            traceback.print_exc()
        click.echo(f"scan-station: error: {known}", err=True)
        return exit_code_for(known)


def _unexpected(exc: Exception, *, debug: bool) -> int:
    if debug:
        traceback.print_exc()
        hint = ""
    else:
        hint = " (--debug shows the traceback)"
    first = (str(exc).strip().splitlines() or [""])[0]
    click.echo(f"scan-station: error: unexpected {type(exc).__name__}: {first}{hint}", err=True)
    return int(ExitCode.other)



def _tolerant_stdout() -> None:
    """A file name that is not UTF-8 (kept as lone surrogates) is printed with backslash escapes
    instead of failing the command."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")


def _discard_stdout() -> None:
    """Point standard output at /dev/null: Python's last flush at exit, meeting the same closed
    pipe or full disk, then neither prints a traceback nor changes the exit code."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # None, or not a file (tests capture into memory)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
