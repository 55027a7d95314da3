"""The waiting page: which number to call, from which phone, and how long is left."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from callauth.db.models import ChallengeState
from callauth.ivr import phone_policy
from callauth.web.flow import (
    authenticated_holder,
    client_address,
    current_challenge,
    has_usable_phone,
    start_challenge,
)
from callauth.web.keys import CONFIG, STORE
from callauth.web.responses import json_response, no_store
from callauth.web.status import status_payload
from callauth.web.urls import url

_DONE = (ChallengeState.VERIFIED, ChallengeState.CONSUMED)


async def verify_page(request: web.Request) -> web.Response:
    if await authenticated_holder(request):
        raise web.HTTPFound(url(request, "mypage"))
    challenge = await current_challenge(request)
    if challenge is None:
        raise web.HTTPFound(url(request, "login"))
    if challenge.state is ChallengeState.VERIFIED:  # called before the page (re)loaded
        raise web.HTTPFound(url(request, "mypage"))
    store = request.app[STORE]
    config = request.app[CONFIG]
    status = status_payload(challenge, store.clock(), challenge.hint)
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
    payload = status_payload(challenge, request.app[STORE].clock(), challenge.hint)
    return no_store(json_response(payload))


async def reissue(request: web.Request) -> web.Response:
    """A new challenge (and usually a new number) for a login whose time ran out."""
    challenge = await current_challenge(request)
    if challenge is None:
        raise web.HTTPFound(url(request, "login"))
    if challenge.state in _DONE:
        raise web.HTTPFound(url(request, "mypage"))
    store = request.app[STORE]
    if challenge.visible_state(store.clock()) is ChallengeState.CANCELLED:
        # Ended by another login of the holder: only the password starts a new one.
        raise web.HTTPFound(url(request, "login"))
    holder = await store.holder(challenge.holder_id)
    if holder is None or not has_usable_phone(request, holder):
        raise web.HTTPFound(url(request, "login"))
    session = await get_session(request)
    fresh = await start_challenge(request, session, holder, reissue=True)
    if fresh is None:  # this login has had its new numbers: the password again
        await store.audit(holder.id, "challenge_reissue_refused", f"challenge {challenge.id}",
                          client_address(request))  # fmt: skip
        session.invalidate()
        raise web.HTTPFound(url(request, "login", query={"reissue_limit": "1"}))
    await store.audit(
        holder.id, "challenge_reissued", f"challenge {fresh.id}", client_address(request)
    )
    raise web.HTTPFound(url(request, "verify"))
