"""The login's steps as the session keeps them: password passed → challenge → verified
holder (the steps themselves are ivr/login_flow.py's).

Also the guards of My Page's own pages: who is logged in, and the session's opaque
reference (what the audit log records instead of the session key).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import Session, get_session

from callauth.db.models import Challenge, Holder
from callauth.ivr.login_flow import new_session_ref
from callauth.web.keys import SERVICES
from callauth.web.sessions import CHALLENGE, HOLDER, LOGIN_HOLDER, SESSION_REF
from callauth.web.urls import url


def client_address(request: web.Request) -> str:
    # The peer address as seen by this server; a reverse proxy in front would need its own
    # trusted X-Forwarded-For handling, which we deliberately do not guess at here.
    return request.remote or ""


def session_ref(session: Session) -> str:
    ref = session.get(SESSION_REF)
    if not isinstance(ref, str):
        ref = new_session_ref()
        session[SESSION_REF] = ref
    return ref


def int_of(session: Session, key: str) -> int | None:
    value = session.get(key)
    return value if isinstance(value, int) else None


def held_ref(session: Session) -> str | None:
    """The session's reference, if it has one yet (unlike :func:`session_ref`)."""
    ref = session.get(SESSION_REF)
    return ref if isinstance(ref, str) else None


async def require_holder(request: web.Request) -> tuple[Session, Holder]:
    """The logged-in holder, or a redirect to the login page."""
    session = await get_session(request)
    holder_id = session.get(HOLDER)
    holder = None
    if isinstance(holder_id, int):
        holder = await request.app[SERVICES].pages.holder(holder_id)
    if holder is None:
        if holder_id is not None:  # deleted since login
            session.invalidate()
        raise web.HTTPFound(url(request, "login"))
    return session, holder


def hold_challenge(session: Session, challenge: Challenge) -> None:
    """The session now waits for the call that verifies ``challenge``."""
    session[LOGIN_HOLDER] = challenge.holder_id
    session[CHALLENGE] = challenge.id


async def current_challenge(request: web.Request) -> Challenge | None:
    """The challenge this browser session started, if any."""
    session = await get_session(request)
    challenge_id = int_of(session, CHALLENGE)
    if challenge_id is None:
        return None
    return await request.app[SERVICES].login.current(challenge_id, held_ref(session))


async def authenticated_holder(request: web.Request) -> int | None:
    return int_of(await get_session(request), HOLDER)
