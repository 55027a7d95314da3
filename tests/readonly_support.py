"""Files and folders made unwritable for real, also when the tests run as root.

Permission bits do not stop root (these tests often run as root in CI containers), so
as root a path is made immutable (``chattr +i``: not even root may write it, create in
it, or delete it) and the test is skipped where the filesystem or the container does not
allow that. Other users get ``chmod a-w``, which binds them. Everything is undone at
teardown, so pytest can delete its temporary folders.

Never freeze a database's ``-shm`` file: SQLite maps it into memory, and a write to an
immutable mapping kills the process with SIGBUS.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

AS_ROOT = os.geteuid() == 0


class Freezer:
    def __init__(self) -> None:
        self._frozen: list[tuple[Path, int]] = []

    def freeze(self, *paths: Path) -> None:
        for path in paths:
            mode = path.stat().st_mode
            if AS_ROOT:
                _chattr("+i", path)
            else:
                path.chmod(stat.S_IMODE(mode) & ~0o222)
            self._frozen.append((path, mode))

    def thaw(self) -> None:
        while self._frozen:
            path, mode = self._frozen.pop()
            if AS_ROOT:
                _chattr("-i", path)
            else:
                path.chmod(stat.S_IMODE(mode))


def _chattr(flag: str, path: Path) -> None:
    if shutil.which("chattr") is None:
        pytest.skip("running as root, and chattr (to make a file read-only for root) is missing")
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"running as root, and chattr {flag} is refused here: {done.stderr.strip()}")


@pytest.fixture
def freezer() -> Iterator[Freezer]:
    frozen = Freezer()
    try:
        yield frozen
    finally:
        frozen.thaw()
