"""Scan Station's exceptions and the exit codes they map to.

Every error a user can cause or meet derives from `ScanStationError`. Its message is one line that
says what is wrong and, where there is one, how to fix it. The command line maps each class to an
exit code through `ExitCode`, in one place (`exit_code_for`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    ok = 0
    bad_args = 2  # also click's own usage errors
    input_file = 3  # the batch or CSV could not be read
    not_found = 4  # an id that is not in the register
    storage = 5  # the storage folder cannot take the write (full disk, permissions)
    missing_dependency = 6  # a program or language pack is not installed
    ocr_failed = 7
    scanner = 8
    config = 9  # the home folder, the config file or a setting is not usable
    other = 15


class ScanStationError(Exception):
    """Base class; `exit_code` says how the command line ends."""

    exit_code = ExitCode.other


class ConfigError(ScanStationError):
    """The home folder, the config file or a setting (including the database) is not usable."""

    exit_code = ExitCode.config


# -- input ---------------------------------------------------------------------------------------


class InputFileError(ScanStationError):
    """A batch, image or CSV file that cannot be used as it is."""

    exit_code = ExitCode.input_file


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
    """One or more rows of a register CSV are wrong; `problems` holds `(line, message)` pairs."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        first = "; ".join(f"line {line}: {msg}" for line, msg in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"CSV not imported, nothing was written: {first}{more}")


# -- register ------------------------------------------------------------------------------------


class RegisterError(ScanStationError):
    """A register entry with a missing or invalid field."""

    exit_code = ExitCode.bad_args


class UnknownEntryError(RegisterError):
    exit_code = ExitCode.not_found


# -- storage and tools ---------------------------------------------------------------------------


class StorageError(ScanStationError):
    exit_code = ExitCode.storage


class DiskFullError(StorageError):
    pass


class MissingDependencyError(ScanStationError):
    exit_code = ExitCode.missing_dependency


class OcrError(ScanStationError):
    exit_code = ExitCode.ocr_failed


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for an exception that reached the command line."""
    if isinstance(exc, ScanStationError):
        return int(exc.exit_code)
    return int(ExitCode.other)
