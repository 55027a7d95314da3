"""`callauth serve`'s log: one INFO line per call in production, so each line is made cheaply.

The lines are the standard ones (``2026-12-01 23:06:30,248 INFO name: message``); what
changes is the work behind them. Python's logging HOWTO ("Optimization") names what a
record collects that this format never shows: the caller's frame, the thread, the process.
The time stamp's ``strftime`` is done once a second instead of once a line. Together a
call's line costs about 6 µs instead of 10 (bench/README.md, profile findings).
"""

from __future__ import annotations

import logging
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Formatter(logging.Formatter):
    """The standard ``asctime``, its seconds formatted once per second."""

    _second = -1
    _stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second))
            self._second = second
        return f"{self._stamp},{int(record.msecs):03d}"


def configure(verbose: bool) -> None:
    """Log to stderr at INFO (DEBUG when ``verbose``) in the standard format."""
    # Not shown by FORMAT, so not collected per record (the HOWTO's own switches).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no frame walk for %(filename)s/%(lineno)d, unused here
    handler = logging.StreamHandler()
    handler.setFormatter(Formatter(FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
