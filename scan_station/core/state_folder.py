"""A folder of work in progress with a state file of its own: a scan batch (`batchfolder`) and a
softcopy hand-over at the kiosk (`uploads`) are both one.

The state is a dataclass written atomically as JSON. A status changes hands under a lock
(`transition`), so that two requests cannot both pass a check only one may pass. The process
working on the folder writes itself in as its `owner`; a state whose owner is gone (the kiosk
was restarted, the machine lost power) is read as what it has become (`settle`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from . import storage
from .errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

S = TypeVar("S", bound="DataclassInstance")  # a state is a dataclass: `update` and `transition` replace fields


def this_process() -> dict:
    """Who is working on a folder: this process, on this machine."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def process_alive(who: dict | None) -> bool:
    if not who or who.get("host") != socket.gethostname():
        return True  # another machine's process: it says for itself
    return storage.pid_alive(who["pid"])


class StateFolder(Generic[S]):
    """One folder and its state file. A kind of folder names its `STATE_FILE` and says how its
    state is read from and written as JSON (`load`, `dump`) and what a state whose owner is gone
    has become (`settle`)."""

    STATE_FILE: ClassVar[str]
    KIND: ClassVar[str] = "folder"  # for messages: "not a scan batch", "no softcopy hand-over"

    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def id(self) -> str:
        return self.path.name

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # -- what a kind of folder says ----------------------------------------------------------------

    def load(self, data: dict) -> S:
        raise NotImplementedError

    def dump(self, state: S) -> dict:
        raise NotImplementedError

    def settle(self, state: S) -> S:
        """The state as it is now, when the process it names may be gone; as written by default."""
        return state

    # -- state ------------------------------------------------------------------------------------

    def read_state(self) -> S:
        try:
            data = json.loads((self.path / self.STATE_FILE).read_text())
        except FileNotFoundError:
            raise NotFoundError(f"{self.id}: not a {self.KIND} (no {self.STATE_FILE})") from None
        return self.settle(self.load(data))

    def write_state(self, state: S) -> None:
        """Atomically; on a disk too full for a second copy, over the file in place if it fits."""
        data = self.dump(state)
        try:
            storage.replace_json(self.path / self.STATE_FILE, data)
        except StorageError:
            if not storage.overwrite_in_place(self.path / self.STATE_FILE, data):
                raise

    def update(self, **changes: object) -> S:
        """Read, change, write: the state as it is now, with `changes`."""
        state = dataclasses.replace(self.read_state(), **changes)
        self.write_state(state)
        return state

    @contextlib.contextmanager
    def locked(self) -> Iterator[S]:
        """The state as it is now, with every other `locked` of this folder (in any thread or
        process on this machine) waiting until the block ends: for a check and the change it
        allows, which two requests could otherwise both pass (two taps on Konfirmasi)."""
        if not self.path.is_dir():
            raise NotFoundError(f"{self.id}: not a {self.KIND} (its folder is gone)")
        with storage.exclusive(self.path / ".lock"):
            yield self.read_state()

    def transition(self, allowed: tuple, **changes: object) -> S | None:
        """Change the state only if its status is one of `allowed`, atomically with the check;
        None when it was not (somebody else got there first)."""
        with self.locked() as state:
            if state.status not in allowed:  # type: ignore[attr-defined]
                return None
            state = dataclasses.replace(state, **changes)
            self.write_state(state)
            return state
