"""One timer per FastAGI connection for what the peer must send in time: the header
block, then each command's reply.

Each has its own deadline (a reply's timeout counts from when its command was sent).
``asyncio.timeout`` around each read armed and cancelled a timer handle and went through
a task's cancel/uncancel protocol every time: four times a call for the plain ``auth``
script. Here the timer is armed once; when it fires before what is now awaited is due,
it moves to that deadline. Whatever is late fails the connection's stream with
:class:`ReplyOverdue`: the call is lost anyway, as it was with a timeout.
"""

from __future__ import annotations

import asyncio


class ReplyOverdue(Exception):
    """Nothing came before the deadline (raised by the stream's reads and drains)."""


class ReplyWatch:
    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._loop = asyncio.get_running_loop()
        self._due = 0.0  # when the reply now awaited is due (loop clock); 0: none awaited
        self._timer: asyncio.TimerHandle | None = None

    def expect(self, deadline: float) -> None:
        """Something is awaited from now until ``deadline`` (the event loop's clock)."""
        self._due = deadline
        timer = self._timer
        if timer is not None and timer.when() <= deadline:
            return  # it fires first, and then moves on to this deadline
        if timer is not None:
            timer.cancel()
        self._timer = self._loop.call_at(deadline, self._fired)

    def received(self) -> None:
        """What was awaited came (or the read ended otherwise)."""
        self._due = 0.0

    def end(self) -> None:
        """The connection is over: no timer outlives it."""
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
            self._timer = self._loop.call_at(self._due, self._fired)
        else:
            self._reader.set_exception(ReplyOverdue())
