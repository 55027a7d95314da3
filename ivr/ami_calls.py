"""Following calls on the authentication numbers through AMI events, to complete the log.

``Newchannel`` on an auth number starts following a channel; its ``Hangup`` (with
``Cause`` / ``Cause-txt``) completes the call the FastAGI side logged under the same
uniqueid. No panoramisk here: events are read as mappings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from callauth.db.store import Store
from callauth.ivr import phone_policy
from callauth.ivr.pbx_state import PbxState

logger = logging.getLogger(__name__)

#: Channels on auth numbers remembered until their Hangup (oldest dropped beyond this).
MAX_FOLLOWED = 10_000
#: A Hangup can arrive before the FastAGI side logged the call: look once more this late.
COMPLETE_RETRY = 2.0


class CallFollower:
    def __init__(self, auth_numbers_e164: tuple[str, ...], state: PbxState, store: Store | None):
        self.auth_numbers = frozenset(auth_numbers_e164)
        self.state = state
        self.store = store
        self.complete_retry = COMPLETE_RETRY
        self._followed: dict[str, str] = {}  # channel uniqueid -> auth number dialled

    def newchannel(self, event: Mapping[str, str]) -> None:
        exten = event.get("Exten", "")
        if not exten[:1].isdigit() and not exten.startswith("+"):
            return  # "s", "h", "i", ...: not a dialled number
        if phone_policy.normalize(exten) not in self.auth_numbers:
            return
        if len(self._followed) >= MAX_FOLLOWED:
            self._followed.pop(next(iter(self._followed)))
        self._followed[event.get("Uniqueid", "")] = exten
        self.state.calls_followed += 1

    def hangup(self, event: Mapping[str, str]) -> Coroutine[Any, Any, None] | None:
        """The work completing a followed call (to run as a task), or None."""
        uniqueid = event.get("Uniqueid", "")
        if self._followed.pop(uniqueid, None) is None or self.store is None:
            return None
        raw = event.get("Cause", "")
        cause = int(raw) if raw.isdigit() else None
        return self.complete(self.store, uniqueid, cause, event.get("Cause-txt", ""))

    async def complete(self, store: Store, uniqueid: str, cause: int | None, text: str) -> None:
        ended_at = store.clock()
        for attempt in range(2):
            if await store.complete_call(uniqueid, cause, text, ended_at):
                self.state.calls_completed += 1
                logger.info("call %s ended: cause %s (%s)", uniqueid, cause, text)
                return
            if attempt == 0:
                await asyncio.sleep(self.complete_retry)
        # The other leg of a Local channel, or a call that never reached the service.
        logger.debug("channel %s ended (cause %s) with no call logged", uniqueid, cause)
