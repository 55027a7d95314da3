"""My Page (契約者さま専用ページ): ご契約一覧 and お客様情報, for verified holders only."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from callauth.web.flow import authenticated_holder, client_address, held_ref, int_of
from callauth.web.keys import METRICS, SERVICES
from callauth.web.responses import no_store
from callauth.web.sessions import CHALLENGE, HOLDER, renew
from callauth.web.urls import url

#: What My Page says after a step that ends there (``?done=...``).
_NOTICES = {
    "email": "メールアドレスを登録しました。",
    "cancelled": "電話番号の変更手続きを中止しました。これまでの電話番号が引き続き有効です。",
}


async def mypage(request: web.Request) -> web.Response:
    holder_id = await authenticated_holder(request) or await _complete_verification(request)
    if holder_id is None:
        raise web.HTTPFound(url(request, "login"))
    page = await request.app[SERVICES].pages.my_page(holder_id)
    if page is None:  # deleted since login
        (await get_session(request)).invalidate()
        raise web.HTTPFound(url(request, "login"))
    context = {
        "holder": page.holder,
        "contracts": page.contracts,
        "phone_usable": page.phone_usable,
        "awaiting": page.awaiting,
        "notice": _NOTICES.get(request.query.get("done", "")),
    }
    return no_store(aiohttp_jinja2.render_template("mypage.html", request, context))


async def _complete_verification(request: web.Request) -> int | None:
    """First arrival after the call: the challenge is consumed (of two tabs racing here,
    only one gets in), the session rotated, the holder let in."""
    session = await get_session(request)
    holder_id = await request.app[SERVICES].login.complete(
        int_of(session, CHALLENGE) or -1, held_ref(session),
        client_address(request),
    )  # fmt: skip
    if holder_id is None:
        return None
    session = await renew(request)
    session[HOLDER] = holder_id
    request.app[METRICS].verifications.inc()
    return holder_id
