"""A progress bar on the terminal, for long imports; silent when stderr is not a terminal
(a cron job's log or a test's pipe gets the summary only)."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30
#: Redraw at most this often (seconds): the bar must not cost the import its speed.
REDRAW_EVERY = 0.1


class Progress:
    def __init__(self, label: str, total: int, out: TextIO) -> None:
        self.label, self.total, self.out = label, total, out
        self.shown = out.isatty() and total > 0
        self._drawn_at = 0.0

    def update(self, done: int) -> None:
        """May be called from another thread (the database's): it only writes to ``out``."""
        if not self.shown:
            return
        now = time.monotonic()
        if now - self._drawn_at < REDRAW_EVERY and done < self.total:
            return
        self._drawn_at = now
        filled = WIDTH * done // self.total
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.out.write(f"\r{self.label} [{bar}] {done:,}/{self.total:,}")
        self.out.flush()

    def done(self) -> None:
        if self.shown:
            self.update(self.total)
            self.out.write("\n")
            self.out.flush()
