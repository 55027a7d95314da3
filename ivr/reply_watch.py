"""One timer per FastAGI call for its replies' deadlines, not one per reply read.

A call's commands go one after another, each with its own deadline (its timeout counted
from when it was sent). ``asyncio.timeout`` around each read armed and cancelled a timer
handle and went through a task's cancel/uncancel protocol for every reply: three times a
call for the plain ``auth`` script, about 5% of the server's time at saturation (bench/
README.md). Here the timer is armed once; when it fires before the reply now awaited is
due, it moves to that reply's deadline. A reply that is late fails the connection's
stream with :class:`ReplyOverdue`: the call is lost anyway, as it was with a timeout.
"""

from __future__ import annotations

import asyncio


class ReplyOverdue(Exception):
    """No reply came before its deadline (raised by the stream's reads and drains)."""


class ReplyWatch:
    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._due = 0.0  # when the reply now awaited is due (loop clock); 0: none awaited
        self._timer: asyncio.TimerHandle | None = None

    def expect(self, deadline: float) -> None:
        """A reply is awaited from now until ``deadline`` (the event loop's clock)."""
        self._due = deadline
        timer = self._timer
        if timer is not None and timer.when() <= deadline:
            return  # it fires first, and then moves on to this deadline
        if timer is not None:
            timer.cancel()
        self._timer = asyncio.get_running_loop().call_at(deadline, self._fired)

    def received(self) -> None:
        """The reply awaited came (or the read ended otherwise)."""
        self._due = 0.0

    def end(self) -> None:
        """The call is over: no timer outlives it."""
        self._due = 0.0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fired(self) -> None:
        assert self._timer is not None
        when, self._timer = self._timer.when(), None
        if not self._due:
            return  # nothing awaited: the next read arms it again
        if self._due > when:
            self._timer = asyncio.get_running_loop().call_at(self._due, self._fired)
        else:
            self._reader.set_exception(ReplyOverdue())
