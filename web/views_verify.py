"""The waiting page: which number to call, from which phone, and how long is left."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from callauth.db.models import ChallengeState
from callauth.ivr import phone_policy
from callauth.ivr.login_flow import Reissue
from callauth.web.flow import (
    authenticated_holder,
    client_address,
    current_challenge,
    held_ref,
    hold_challenge,
    int_of,
)
from callauth.web.keys import CLOCK, CONFIG, SERVICES
from callauth.web.responses import json_response, no_store
from callauth.web.sessions import CHALLENGE
from callauth.web.status import status_payload
from callauth.web.urls import url


async def verify_page(request: web.Request) -> web.Response:
    if await authenticated_holder(request):
        raise web.HTTPFound(url(request, "mypage"))
    challenge = await current_challenge(request)
    if challenge is None:
        raise web.HTTPFound(url(request, "login"))
    if challenge.state is ChallengeState.VERIFIED:  # called before the page (re)loaded
        raise web.HTTPFound(url(request, "mypage"))
    config = request.app[CONFIG]
    status = status_payload(challenge, request.app[CLOCK](), challenge.hint)
    context = {
        "status": status,
        "phone_tail": phone_policy.last_digits(challenge.phone_e164),
        "call_mode": config.telephony.call_mode,
    }
    return no_store(aiohttp_jinja2.render_template("verify.html", request, context))


async def status(request: web.Request) -> web.Response:
    """Polling fallback for browsers without EventSource; same payload as the SSE stream."""
    challenge = await current_challenge(request)
    if challenge is None:
        return json_response(
            {
                "state": None,
                "error": "not_logged_in",
                "message": "ログインの有効期限が切れました。もう一度ログインしてください。",
            },
            status=401,
        )
    payload = status_payload(challenge, request.app[CLOCK](), challenge.hint)
    return no_store(json_response(payload))


async def reissue(request: web.Request) -> web.Response:
    """A new challenge (and usually a new number) for a login whose time ran out."""
    session = await get_session(request)
    answer, fresh = await request.app[SERVICES].login.reissue(
        int_of(session, CHALLENGE) or -1, held_ref(session),
        client_address(request),
    )  # fmt: skip
    if answer is Reissue.MYPAGE:
        raise web.HTTPFound(url(request, "mypage"))
    if answer is Reissue.REFUSED:  # this login has had its new numbers: the password again
        session.invalidate()
        raise web.HTTPFound(url(request, "login", query={"reissue_limit": "1"}))
    if fresh is None:
        raise web.HTTPFound(url(request, "login"))
    hold_challenge(session, fresh)
    raise web.HTTPFound(url(request, "verify"))
