"""The change request after 次へ: confirmation with 引受保険会社, the password again, then the
call from the NEW number (a live page like /verify), and the result.

The new number takes effect in the call path (VerificationService), never here: these pages
only show the request's state.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session

from callauth.db.models import Holder
from callauth.db.phone_changes import ChangeState, PhoneChange
from callauth.db.throttles import Verdict
from callauth.web.errors import error_page
from callauth.web.flow import client_address, require_holder, session_ref
from callauth.web.keys import CONFIG, SERVICE, STORE, THROTTLE
from callauth.web.login_guards import password_ticket
from callauth.web.passwords import PasswordPoolBusy
from callauth.web.responses import json_response, no_store
from callauth.web.sse import stream_challenge
from callauth.web.status import status_payload
from callauth.web.urls import url
from callauth.web.views_auth import busy_page
from callauth.web.views_contracts import PARTY_LABELS, find_contract

logger = logging.getLogger(__name__)

WRONG_PASSWORD = "パスワードが正しくありません。お確かめのうえ、もう一度入力してください。"
MAX_FIELD = 256


async def _own_change(request: web.Request) -> tuple[Session, Holder, PhoneChange]:
    """The change named in the URL, if this holder made it from this browser session."""
    session, holder = await require_holder(request)
    raw = request.match_info.get("change_id", "")
    change = await request.app[SERVICE].phone_changes.get(int(raw) if raw.isdigit() else -1)
    if change is None or change.holder_id != holder.id:
        raise web.HTTPNotFound()
    if change.session_ref != session_ref(session):
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
    throttle = request.app[THROTTLE]
    address = client_address(request)
    try:  # counted before it is checked, as at login (web/views_auth.py)
        with await password_ticket(request.app, holder.login_id, address) as ticket:
            attempt = await throttle.reserve(holder.login_id, address)
            if attempt.verdict is not Verdict.CHECK:
                return _throttled(request)
            matched = await ticket.verify(holder.password_hash, password)
    except PasswordPoolBusy:
        return busy_page(request)
    if not matched:
        await request.app[STORE].audit(holder.id, "phone_change_wrong_password", "", address)
        if attempt.after_failure() is not None:
            return _throttled(request)
        return await _render_confirm(request, holder, change, WRONG_PASSWORD)
    await throttle.succeed(holder.login_id, address)
    await request.app[SERVICE].start_phone_change(change)
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
    challenge = await request.app[STORE].challenge(change.challenge_id)
    assert challenge is not None
    now = request.app[STORE].clock()
    status = status_payload(challenge, now, challenge.hint)
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
    challenge = await request.app[STORE].challenge(change.challenge_id or -1)
    if challenge is None:
        return json_response({"state": None, "error": "no_call"}, status=404)
    payload = status_payload(challenge, request.app[STORE].clock(), challenge.hint)
    return no_store(json_response(payload))


async def call_events(request: web.Request) -> web.StreamResponse:
    try:
        _, _, change = await _own_change(request)
    except web.HTTPException:
        return web.Response(status=204)  # 204 tells EventSource not to reconnect
    challenge = await request.app[STORE].challenge(change.challenge_id or -1)
    if challenge is None:
        return web.Response(status=204)
    return await stream_challenge(request, challenge.id)


async def cancel(request: web.Request) -> web.Response:
    _, holder, change = await _own_change(request)
    if await request.app[SERVICE].phone_changes.cancel(change.id):
        logger.info("holder %d cancelled phone change %d", holder.id, change.id)
    raise web.HTTPFound(url(request, "mypage", query={"done": "cancelled"}))


async def done_page(request: web.Request) -> web.Response:
    _, holder, change = await _own_change(request)
    if change.state is ChangeState.AWAITING_CALL:
        await request.app[SERVICE].settle_phone_changes()  # the call may just have come
        change = await request.app[SERVICE].phone_changes.get(change.id) or change
        if change.state is ChangeState.AWAITING_CALL:
            raise _to(request, change, "call")
    if change.state is ChangeState.DRAFT:
        raise _to(request, change, "confirm")
    holder = await request.app[STORE].holder(holder.id) or holder
    context = {"holder": holder, "change": change}
    return no_store(aiohttp_jinja2.render_template("change_done.html", request, context))
