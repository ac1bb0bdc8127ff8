"""Scan Station's exceptions and the exit codes they map to.

Every error a user can cause or meet derives from `ScanStationError`, through one of the kinds
below; its message is one line that says what is wrong and, where there is one, how to fix it.
Modules raise these or subclasses of them with a name of their own (`review.ReviewError` is a
`BadArgumentsError`). Kinds map to exit codes in one place, `EXIT_CODES`; docs/configuration.md's table is
tested against it.
"""

from __future__ import annotations

import errno
from enum import IntEnum

from .model import Fault


class ExitCode(IntEnum):
    ok = 0
    bad_args = 2  # also click's own usage errors
    input_file = 3  # the batch or CSV could not be read
    not_found = 4  # an id that is not in the register (a batch, a document, a user)
    storage = 5  # the storage folder cannot take the write (full disk, permissions); verify found problems
    missing_dependency = 6  # a program or language pack is not installed
    ocr_failed = 7
    scanner = 8
    config = 9  # the home folder, the config file or a setting is not usable
    other = 15
    output_closed = 141  # what read the output closed it (`| head`): stopped quietly, as on SIGPIPE


class ScanStationError(Exception):
    """Base class of everything a user can cause or meet. `code` and `params`, where given, let a
    screen say the same in its own language (the kiosk's Bahasa Indonesia)."""

    def __init__(self, *args: object, code: str = "", **params: object):
        super().__init__(*args)
        self.code, self.params = code, params


class BadArgumentsError(ScanStationError):
    """An option, a field or a correction that cannot be used as given."""


class RegisterError(BadArgumentsError):
    """A register entry with a missing or invalid field."""


class ProfileError(BadArgumentsError):
    """A scan profile that is not valid, or that the device cannot do (naming what it offers)."""


class NotFoundError(ScanStationError):
    """An id that names nothing: a register entry, a batch, a document, a user."""


class UnknownEntryError(NotFoundError):
    pass


class InputFileError(ScanStationError):
    """A batch, image or CSV file that cannot be used as it is."""


class CorruptPdfError(InputFileError):
    pass


class EncryptedPdfError(InputFileError):
    pass


class EmptyBatchError(InputFileError):
    pass


class NotAnImageError(InputFileError):
    pass


class NotAPageError(InputFileError):
    pass


class DecompressionBombError(InputFileError):
    pass


class CsvImportError(InputFileError):
    """One or more rows of a register CSV are wrong; `problems` holds `(line, problem)` pairs, each
    problem an error of ours with its code (or, from older callers, a message)."""

    def __init__(self, problems: list[tuple[int, object]]):
        self.problems = problems
        first = "; ".join(f"line {line}: {msg}" for line, msg in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"CSV not imported, nothing was written: {first}{more}")


class StorageError(ScanStationError):
    """A folder that cannot take the write: full, read-only, not permitted."""


class DiskFullError(StorageError):
    pass


class OutputError(StorageError):
    """Standard output cannot take what a command prints (a full disk, a closed file)."""


class DatabaseBusyError(StorageError):
    """Another writer held the database for longer than the busy timeout (`db.BUSY_TIMEOUT_SECONDS`)."""


class MissingDependencyError(ScanStationError):
    """A program, library or language pack that is not installed or too old; says what to install."""


class OcrError(ScanStationError):
    pass


class ScannerError(ScanStationError):
    """A scanner fault; `fault` says what happened and what to do, in both languages."""

    def __init__(self, fault: Fault, detail: str = ""):
        self.fault = fault
        super().__init__(f"{fault.id} / {fault.en}" + (f" ({detail})" if detail else ""))


class ConfigError(ScanStationError):
    """The home folder, the config file or a setting (including the database) is not usable."""


#: Each kind of error and how the command line ends on it; the most specific kind wins.
EXIT_CODES: dict[type[ScanStationError], ExitCode] = {
    BadArgumentsError: ExitCode.bad_args,
    InputFileError: ExitCode.input_file,
    NotFoundError: ExitCode.not_found,
    StorageError: ExitCode.storage,
    MissingDependencyError: ExitCode.missing_dependency,
    OcrError: ExitCode.ocr_failed,
    ScannerError: ExitCode.scanner,
    ConfigError: ExitCode.config,
}


class PathError(InputFileError):
    """A path given that the system cannot use as a name (too long, links in a loop, a file where
    a folder should be, or the other way round)."""


#: errno -> what it means for a path a person gave.
_PATH_FAULTS = {errno.ENAMETOOLONG: "a name in it is too long (at most 255 bytes a name, 4096 a path)",
                errno.ELOOP: "its links go round in a loop", errno.ENOTDIR: "a part of it is not a folder",
                errno.EISDIR: "it is a folder, not a file", errno.EEXIST: "something of that name is there already"}


def path_error(exc: BaseException) -> PathError | None:
    """The OSError (or pathlib's RuntimeError for a link loop) of a path that cannot be used as
    named, as one of ours; None for any other error."""
    if isinstance(exc, RuntimeError) and str(exc).startswith("Symlink loop"):
        return PathError(f"{str(exc).removeprefix('Symlink loop from ')}: its links go round in a loop")
    if isinstance(exc, OSError) and exc.errno in _PATH_FAULTS:
        name = str(exc.filename)[:200] + ("…" if len(str(exc.filename)) > 200 else "")
        return PathError(f"{name}: {_PATH_FAULTS[exc.errno]}")
    return None


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an exception that reached the command line."""
    for kind in type(exc).__mro__:
        if kind in EXIT_CODES:
            return int(EXIT_CODES[kind])
    return int(ExitCode.other)
