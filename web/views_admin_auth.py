"""The console's login and logout (/admin/login, /admin/logout).

An operator's password is checked like a holder's: the attempt is counted by the store's
throttles first (under the console's own keys), then argon2 runs on the bounded password
pool; an unknown login costs the same as a wrong password and gets the same answer.
Every login, failed login and logout is in the operators' audit trail.
"""

from __future__ import annotations

import logging

from aiohttp import web

from callauth.db.operators import Role
from callauth.db.throttles import Verdict
from callauth.ivr.passwords import PasswordPoolBusy
from callauth.web import admin_session as adm
from callauth.web.flow import client_address
from callauth.web.keys import SERVICES
from callauth.web.urls import url

logger = logging.getLogger(__name__)

MAX_FIELD = 256
BAD = "ログインIDまたはパスワードが正しくありません。"


async def login_form(request: web.Request) -> web.StreamResponse:
    if await adm.current(request) is not None:
        raise web.HTTPSeeOther(url(request, "admin"))
    return await _page(request)


async def _page(
    request: web.Request, error: str = "", login: str = "", status: int = 200
) -> web.Response:
    nonce, token = await adm.login_token(request)
    context = {"error": error, "login": login, "login_token": token}
    response = adm.render(request, "admin_login.html", None, context, status)
    adm.set_nonce(response, nonce)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not await adm.login_token_ok(request, form.get("csrf_token")):
        return await _page(request, "画面の有効期限が切れました。もう一度入力してください。",
                           status=403)  # fmt: skip
    login = str(form.get("login", "")).strip()[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD]
    if not login or not password:
        return await _page(request, "ログインIDとパスワードを入力してください。", login)
    ops, address = adm.operators(request), client_address(request)
    try:
        with request.app[SERVICES].passwords.ticket() as ticket:
            attempt = await adm.throttles(request).reserve(*adm.throttle_keys(request, login))
            if attempt.verdict is not Verdict.CHECK:
                await ops.audit(
                    None, "login_refused", None, f"{login}: {attempt.verdict.value}", address
                )
                return await _page(request, "ログインに続けて失敗したため、しばらくログインできません。"
                                   "時間をおいてお試しいただくか、管理者にご連絡ください。", login, 429)  # fmt: skip
            operator = await ops.by_login(login)
            matched = await ticket.verify(operator.password_hash if operator else None, password)
    except PasswordPoolBusy:
        return await _page(request, "ただいま混み合っています。少し時間をおいてお試しください。",
                           login, 503)  # fmt: skip
    if operator is None or not matched:
        await ops.audit(None, "login_failure", None, login, address)
        logger.info("operator login failed from %s", address)
        return await _page(request, BAD, login)
    await adm.throttles(request).succeed(*adm.throttle_keys(request, login))
    key = await ops.start_session(operator, adm.IDLE, address)
    response = web.HTTPSeeOther(url(request, "admin"))
    adm.set_cookie(response, key)
    raise response


@adm.requires(Role.VIEWER)
async def logout(request: web.Request, session: adm.OperatorSession) -> web.StreamResponse:
    key = request.cookies.get(adm.COOKIE, "")
    await adm.operators(request).end_session(key, session.operator.id, client_address(request))
    response = web.HTTPSeeOther(url(request, "admin.login"))
    adm.clear_cookie(response)
    raise response
