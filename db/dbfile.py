"""Is the file at the database's path still the one the connection opened?

An open SQLite connection goes on reading and writing a file that has been deleted (or
whose folder has), or that another file has replaced at the path: every write then
"succeeds" into an inode nobody will ever open again, and is gone at the next start.
The path's device and inode number, compared with those seen at open, tell.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass


class StoreUnavailable(OSError):
    """The database cannot be used now: its file is gone, replaced, or cannot be written.

    An :class:`OSError` because it is an I/O condition of the host, and the callers that
    answer I/O failures (``callauth serve``'s start-up, the web's error pages) answer it.
    ``db`` names the condition as ``/healthz`` reports it.
    """

    def __init__(self, reason: str, db: str = "unwritable") -> None:
        super().__init__(reason)
        self.db = db


class FileState(enum.Enum):
    SAME = "same"
    MISSING = "missing"
    REPLACED = "replaced"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


@dataclass(frozen=True)
class DbFile:
    """The database's path and the identity of the file opened there."""

    path: str
    opened: tuple[int, int]

    @classmethod
    def at(cls, path: str) -> DbFile | None:
        """The file now at ``path``; None when there is none (``:memory:``, a URI)."""
        identity = _identity(path)
        return None if identity is None else cls(path, identity)

    def state(self) -> FileState:
        now = _identity(self.path)
        if now is None:
            return FileState.MISSING
        return FileState.SAME if now == self.opened else FileState.REPLACED

    def check(self) -> None:
        """Raise :class:`StoreUnavailable` unless the path still names the opened file.

        Called in every unit of work, before COMMIT, so nothing is committed into a
        deleted or replaced file once that is visible (one ``stat``, a few microseconds).
        """
        state = self.state()
        if state is not FileState.SAME:
            raise StoreUnavailable(describe(self.path, state), state.value)


def describe(path: str, state: FileState) -> str:
    if state is FileState.MISSING:
        return f"database file {path} is gone (deleted, or its folder was)"
    return f"database file {path} was replaced by another file"
