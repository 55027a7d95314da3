"""My Page (契約者さま専用ページ): ご契約一覧 and お客様情報, for verified holders only."""

from __future__ import annotations

import logging

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from callauth.db.models import ChallengeState
from callauth.web.flow import (
    authenticated_holder,
    client_address,
    current_challenge,
    has_usable_phone,
)
from callauth.web.keys import METRICS, SERVICE, STORE
from callauth.web.responses import no_store
from callauth.web.sessions import HOLDER, renew
from callauth.web.urls import url

logger = logging.getLogger(__name__)

#: What My Page says after a step that ends there (``?done=...``).
_NOTICES = {
    "email": "メールアドレスを登録しました。",
    "cancelled": "電話番号の変更手続きを中止しました。これまでの電話番号が引き続き有効です。",
}


async def mypage(request: web.Request) -> web.Response:
    holder_id = await authenticated_holder(request) or await _complete_verification(request)
    if holder_id is None:
        raise web.HTTPFound(url(request, "login"))
    store = request.app[STORE]
    holder = await store.holder(holder_id)
    if holder is None:  # deleted since login
        (await get_session(request)).invalidate()
        raise web.HTTPFound(url(request, "login"))
    context = {
        "holder": holder,
        "contracts": await store.contracts_of(holder_id),
        "phone_usable": has_usable_phone(request, holder),
        "awaiting": await request.app[SERVICE].phone_changes.awaiting_of(holder_id),
        "notice": _NOTICES.get(request.query.get("done", "")),
    }
    return no_store(aiohttp_jinja2.render_template("mypage.html", request, context))


async def _complete_verification(request: web.Request) -> int | None:
    """First arrival after the call: consume the challenge, rotate the session, let in.

    The consume is a compare-and-set, so two tabs racing here let in only one of them.
    """
    challenge = await current_challenge(request)
    if challenge is None or challenge.state is not ChallengeState.VERIFIED:
        return None
    store = request.app[STORE]
    if not await store.consume_challenge(challenge.id):
        return None
    session = await renew(request)
    session[HOLDER] = challenge.holder_id
    await store.audit(
        challenge.holder_id, "verification", f"challenge {challenge.id}", client_address(request)
    )
    request.app[METRICS].verifications.inc()
    logger.info("holder %d verified by challenge %d", challenge.holder_id, challenge.id)
    return challenge.holder_id
