"""callauth/logs.py: serve's log lines are the standard ones, only cheaper to make."""

from __future__ import annotations

import logging

from callauth.logs import FORMAT, Formatter


def test_lines_are_those_of_the_standard_formatter_across_seconds() -> None:
    ours, standard = Formatter(FORMAT), logging.Formatter(FORMAT)
    for created in (1796000000.0, 1796000000.9994, 1796000001.0005, 1796000001.5, 1796003600.25):
        record = logging.LogRecord("callauth.ivr.service", logging.INFO, "p", 1, "call %s",
                                   ("1.2",), None)  # fmt: skip
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        assert ours.format(record) == standard.format(record)
