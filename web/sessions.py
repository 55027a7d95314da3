"""Server-side sessions: aiohttp-session storage over the services' session rows
(ivr/holder_sessions.py).

The cookie carries only a random key; the data stays on the server, so logging out or
rotating really ends the old session. Keys are never logged.
"""

from __future__ import annotations

import logging
import re
import secrets

from aiohttp import web
from aiohttp_session import AbstractStorage, Session, get_session, new_session

from callauth.web.keys import SERVICES

logger = logging.getLogger(__name__)

COOKIE_NAME = "callauth_session"
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32)

# What a session holds, by stage: after the password, a challenge bound to the session by
# a random reference (never the session key, which changes); after the call, the holder.
LOGIN_HOLDER = "login_holder_id"
SESSION_REF = "session_ref"
CHALLENGE = "challenge_id"
HOLDER = "holder_id"


class ServerStorage(AbstractStorage):
    def __init__(self, *, max_age: int, secure: bool) -> None:
        super().__init__(
            cookie_name=COOKIE_NAME,
            max_age=max_age,
            secure=secure,
            httponly=True,
            samesite="Lax",
        )

    async def load_session(self, request: web.Request) -> Session:
        key = self.load_cookie(request)
        raw = None
        if key and _KEY_SHAPE.fullmatch(key):
            raw = await request.config_dict[SERVICES].sessions.load(key)
        if raw is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            data = self._decoder(raw)
        except ValueError:
            logger.warning("discarding a session row that is not valid JSON")
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(key, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        rows = request.config_dict[SERVICES].sessions
        key = session.identity
        if session.empty:
            if key is not None:
                await rows.delete(key)
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = secrets.token_urlsafe(32)
            session.set_new_identity(key)
        data = self._encoder(self._get_session_data(session))
        await rows.save(key, data, self.max_age or 0)
        self.save_cookie(response, key, max_age=session.max_age)


async def renew(request: web.Request) -> Session:
    """Replace the session with an empty one under a new key; the old row is deleted.

    Called at login and again at verification, so a key fixed or seen before either step
    is worthless afterwards.
    """
    old = await get_session(request)
    if old.identity is not None:
        await request.config_dict[SERVICES].sessions.delete(old.identity)
    return await new_session(request)
