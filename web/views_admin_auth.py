"""The console's login and logout (/admin/login, /admin/logout).

The steps are ivr/console_auth.py's: an operator's password passes the same gate as a
holder's (counted first, under the console's own keys), an unknown login costs the same
as a wrong password and gets the same answer, and every login, failed login and logout is
in the operators' audit trail.
"""

from __future__ import annotations

from aiohttp import web

from callauth.db.console_models import Role
from callauth.ivr.console_auth import ConsoleStep
from callauth.web import admin_session as adm
from callauth.web.flow import client_address
from callauth.web.keys import SERVICES
from callauth.web.urls import url

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
    done = await request.app[SERVICES].console.log_in(login, password, client_address(request))
    if done.step is ConsoleStep.REFUSED:
        return await _page(request, "ログインに続けて失敗したため、しばらくログインできません。"
                           "時間をおいてお試しいただくか、管理者にご連絡ください。", login, 429)  # fmt: skip
    if done.step is ConsoleStep.BUSY:
        return await _page(request, "ただいま混み合っています。少し時間をおいてお試しください。",
                           login, 503)  # fmt: skip
    if done.step is ConsoleStep.WRONG:
        return await _page(request, BAD, login)
    response = web.HTTPSeeOther(url(request, "admin"))
    adm.set_cookie(response, done.key)
    raise response


@adm.requires(Role.VIEWER)
async def logout(request: web.Request, session: adm.OperatorSession) -> web.StreamResponse:
    key = request.cookies.get(adm.COOKIE, "")
    await request.app[SERVICES].console.log_out(key, session, client_address(request))
    response = web.HTTPSeeOther(url(request, "admin.login"))
    adm.clear_cookie(response)
    raise response
