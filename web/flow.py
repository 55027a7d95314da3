"""The login's steps kept in the session: password passed → challenge → verified holder.

Also the guards of My Page's own pages: who is logged in, and the session's opaque
reference (what the audit log records instead of the session key).
"""

from __future__ import annotations

import secrets

from aiohttp import web
from aiohttp_session import Session, get_session

from callauth.db.models import Challenge, Holder
from callauth.ivr import phone_policy
from callauth.web.keys import CLOCK, CONFIG, SERVICE, STORE
from callauth.web.sessions import CHALLENGE, HOLDER, LOGIN_HOLDER, SESSION_REF
from callauth.web.urls import url


def client_address(request: web.Request) -> str:
    # The peer address as seen by this server; a reverse proxy in front would need its own
    # trusted X-Forwarded-For handling, which we deliberately do not guess at here.
    return request.remote or ""


def has_usable_phone(request: web.Request, holder: Holder) -> bool:
    if not holder.phone_e164:
        return False
    return phone_policy.check(
        holder.phone_e164, request.app[CONFIG].telephony.allowed_kinds
    ).registrable


def phone_required(request: web.Request) -> bool:
    """Whether today (JST) is on or after the enforcement date."""
    return request.app[CONFIG].site.phone_required(request.app[CLOCK]())


def session_ref(session: Session) -> str:
    ref = session.get(SESSION_REF)
    if not isinstance(ref, str):
        ref = secrets.token_urlsafe(16)
        session[SESSION_REF] = ref
    return ref


async def require_holder(request: web.Request) -> tuple[Session, Holder]:
    """The logged-in holder, or a redirect to the login page."""
    session = await get_session(request)
    holder_id = session.get(HOLDER)
    holder = await request.app[STORE].holder(holder_id) if isinstance(holder_id, int) else None
    if holder is None:
        if holder_id is not None:  # deleted since login
            session.invalidate()
        raise web.HTTPFound(url(request, "login"))
    return session, holder


async def start_challenge(
    request: web.Request, session: Session, holder: Holder, *, reissue: bool = False
) -> Challenge | None:
    """A new challenge for this session (its older pending one ends in the same unit of
    work); with ``reissue``, None once the login's new numbers are used up."""
    assert holder.phone_e164 is not None
    ref = session_ref(session)
    service = request.app[SERVICE]
    challenge = await service.start_challenge(holder.id, holder.phone_e164, ref, reissue=reissue)
    if challenge is not None:
        session[LOGIN_HOLDER] = holder.id
        session[CHALLENGE] = challenge.id
    return challenge


async def current_challenge(request: web.Request) -> Challenge | None:
    """The challenge this browser session started, if any."""
    session = await get_session(request)
    challenge_id = session.get(CHALLENGE)
    if not isinstance(challenge_id, int):
        return None
    challenge = await request.app[STORE].challenge(challenge_id)
    if challenge is None or challenge.session_ref != session.get(SESSION_REF):
        return None
    return challenge


async def authenticated_holder(request: web.Request) -> int | None:
    holder_id = (await get_session(request)).get(HOLDER)
    return holder_id if isinstance(holder_id, int) else None
