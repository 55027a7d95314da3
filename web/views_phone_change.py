"""The change request after 次へ: confirmation with 引受保険会社, the password again, then the
call from the NEW number (a live page like /verify), and the result.

The new number takes effect in the call path (VerificationService), never here: these pages
only show the request's state.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session

from callauth.db.models import ChangeState, Holder, PhoneChange
from callauth.ivr.phone_change_flow import Confirmed
from callauth.web.errors import error_page
from callauth.web.flow import client_address, require_holder, session_ref
from callauth.web.keys import CLOCK, CONFIG, SERVICES
from callauth.web.responses import json_response, no_store
from callauth.web.sse import stream_challenge
from callauth.web.status import status_payload
from callauth.web.urls import url
from callauth.web.views_auth import busy_page
from callauth.web.views_contracts import PARTY_LABELS, find_contract

WRONG_PASSWORD = "パスワードが正しくありません。お確かめのうえ、もう一度入力してください。"
MAX_FIELD = 256


async def _own_change(request: web.Request) -> tuple[Session, Holder, PhoneChange]:
    """The change named in the URL, if this holder made it from this browser session."""
    session, holder = await require_holder(request)
    raw = request.match_info.get("change_id", "")
    change = await request.app[SERVICES].changes.own(
        int(raw) if raw.isdigit() else -1, holder, session_ref(session)
    )
    if change is None:
        raise web.HTTPNotFound()
    return session, holder, change


def _to(request: web.Request, change: PhoneChange, page: str) -> web.HTTPFound:
    """To the change's page ``page`` (``confirm``, ``call``, ``done``: routes ``change.*``)."""
    return web.HTTPFound(url(request, f"change.{page}", change_id=change.id))


async def confirm_page(request: web.Request) -> web.Response:
    _, holder, change = await _own_change(request)
    if change.state is not ChangeState.DRAFT:
        raise _to(request, change, "call")
    return await _render_confirm(request, holder, change, None)


async def confirm_submit(request: web.Request) -> web.Response:
    _, holder, change = await _own_change(request)
    if change.state is not ChangeState.DRAFT:  # a double click: the first one went through
        raise _to(request, change, "call")
    password = str((await request.post()).get("password", ""))[:MAX_FIELD]
    flow = request.app[SERVICES].changes
    confirmed = await flow.confirm(holder, change, password, client_address(request))
    if confirmed is Confirmed.BUSY:
        return busy_page(request)
    if confirmed is Confirmed.THROTTLED:
        return _throttled(request)
    if confirmed is Confirmed.WRONG:
        return await _render_confirm(request, holder, change, WRONG_PASSWORD)
    raise _to(request, change, "call")


async def _render_confirm(
    request: web.Request, holder: Holder, change: PhoneChange, error: str | None
) -> web.Response:
    context: dict[str, Any] = {
        "holder": holder,
        "change": change,
        "contract": await find_contract(request, holder, change.contract_id),
        "party_label": PARTY_LABELS[change.party],
        "underwriters": request.app[CONFIG].site.underwriting,
        "error": error,
    }
    return no_store(aiohttp_jinja2.render_template("change_confirm.html", request, context))


def _throttled(request: web.Request) -> web.Response:
    return error_page(
        request,
        429,
        "しばらくしてからお試しください",
        "パスワードの入力に続けて失敗したため、安全のため一時的にお手続きを停止しています。"
        "しばらくしてから、もう一度お試しください。",
    )


async def call_page(request: web.Request) -> web.Response:
    _, holder, change = await _own_change(request)
    if change.state is ChangeState.DRAFT:
        raise _to(request, change, "confirm")
    if change.state is ChangeState.COMPLETED or change.challenge_id is None:
        raise _to(request, change, "done")
    challenge = await request.app[SERVICES].changes.challenge_of(change)
    assert challenge is not None
    status = status_payload(challenge, request.app[CLOCK](), challenge.hint)
    context = {
        "holder": holder,
        "change": change,
        "status": status,
        "call_mode": request.app[CONFIG].telephony.call_mode,
    }
    return no_store(aiohttp_jinja2.render_template("change_call.html", request, context))


async def call_status(request: web.Request) -> web.Response:
    try:
        _, _, change = await _own_change(request)
    except web.HTTPException:
        return json_response(
            {"state": None, "error": "not_logged_in", "message": "もう一度ログインしてください。"},
            status=401,
        )
    challenge = await request.app[SERVICES].changes.challenge_of(change)
    if challenge is None:
        return json_response({"state": None, "error": "no_call"}, status=404)
    payload = status_payload(challenge, request.app[CLOCK](), challenge.hint)
    return no_store(json_response(payload))


async def call_events(request: web.Request) -> web.StreamResponse:
    try:
        _, _, change = await _own_change(request)
    except web.HTTPException:
        return web.Response(status=204)  # 204 tells EventSource not to reconnect
    challenge = await request.app[SERVICES].changes.challenge_of(change)
    if challenge is None:
        return web.Response(status=204)
    return await stream_challenge(request, challenge.id)


async def cancel(request: web.Request) -> web.Response:
    _, _, change = await _own_change(request)
    await request.app[SERVICES].changes.cancel(change)
    raise web.HTTPFound(url(request, "mypage", query={"done": "cancelled"}))


async def done_page(request: web.Request) -> web.Response:
    _, holder, change = await _own_change(request)
    change = await request.app[SERVICES].changes.settled(change)
    if change.state is ChangeState.AWAITING_CALL:
        raise _to(request, change, "call")
    if change.state is ChangeState.DRAFT:
        raise _to(request, change, "confirm")
    holder = await request.app[SERVICES].pages.holder(holder.id) or holder
    context = {"holder": holder, "change": change}
    return no_store(aiohttp_jinja2.render_template("change_done.html", request, context))
