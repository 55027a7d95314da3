"""Login and logout: the pages of ivr/login_flow.py's steps.

A wrong password and an unknown login ID get the very same page: same message, same
status, and an argon2 verification against a dummy hash so the time taken matches too.

A login attempt is counted by the store's throttles (db/throttles.py has the policy)
before its password is checked (ivr/password_gate.py), so concurrent guesses cannot slip
past the limit; a full password pool is answered 503 at once. The login form carries a
signed double-submit CSRF token (web/login_csrf.py), so only the password step writes a
session.
"""

from __future__ import annotations

import logging

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from callauth.ivr.login_flow import LoginResult, Step
from callauth.web.errors import error_page
from callauth.web.flow import authenticated_holder, client_address, hold_challenge, int_of
from callauth.web.keys import LOGIN_CSRF, METRICS, SERVICES
from callauth.web.sessions import CHALLENGE, HOLDER, LOGIN_HOLDER, SESSION_REF, renew
from callauth.web.urls import url

logger = logging.getLogger(__name__)

MAX_FIELD = 256  # longer input is no login ID or password of ours
BAD_CREDENTIALS = (
    "ログインIDまたはパスワードが正しくありません。お確かめのうえ、もう一度入力してください。"
)
MISSING_FIELDS = "ログインIDとパスワードを入力してください。"
#: Seconds a browser is asked to wait when every password check is taken.
BUSY_RETRY = 5
#: What the login page says after a redirect, by query parameter.
LOGIN_NOTICES = {
    "logged_out": "ログアウトしました。",
    "reissue_limit": (
        "新しい認証専用番号を表示できる回数の上限に達しました。"
        "お手数ですが、もう一度ログインしてください。"
    ),
}


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound(url(request, "mypage" if await authenticated_holder(request) else "login"))


async def login_form(request: web.Request) -> web.Response:
    if await authenticated_holder(request):
        raise web.HTTPFound(url(request, "mypage"))
    notice = next((text for key, text in LOGIN_NOTICES.items() if key in request.query), None)
    return await _login_page(request, notice=notice)


async def _login_page(
    request: web.Request,
    *,
    error: str | None = None,
    notice: str | None = None,
    login_id: str = "",
) -> web.Response:
    nonce, token = request.app[LOGIN_CSRF].token(request)
    context = {"error": error, "notice": notice, "login_id": login_id, "csrf_token": token}
    response = aiohttp_jinja2.render_template("login.html", request, context)
    request.app[LOGIN_CSRF].set_cookie(request, response, nonce)
    return response


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    login_id = str(form.get("login_id", "")).strip()[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD]
    if not login_id or not password:
        return await _login_page(request, error=MISSING_FIELDS, login_id=login_id)
    replacing = int_of(await get_session(request), CHALLENGE)
    flow = request.app[SERVICES].login
    result = await flow.log_in(login_id, password, client_address(request), replacing)
    if result.step is Step.BUSY:
        return busy_page(request)
    if result.step is Step.WRONG or result.failed:
        request.app[METRICS].logins.labels("failure").inc()
    if result.step is Step.WRONG:
        return await _login_page(request, error=BAD_CREDENTIALS, login_id=login_id)
    if result.step is Step.REFUSED:
        return _refused(request, result)
    return await _passed(request, result)


def _refused(request: web.Request, result: LoginResult) -> web.Response:
    if result.locked:
        request.app[METRICS].logins.labels("locked").inc()
        return error_page(
            request,
            403,
            "ログインを停止しています",
            "ログインに続けて失敗したため、安全のためこのログインIDでのログインを停止して"
            "います。お手数ですが、コールセンターへお問い合わせください。"
            "ご本人さまであることを確認したうえで、停止を解除いたします。",
        )
    request.app[METRICS].logins.labels("throttled").inc()
    minutes = max(1, -(-result.wait // 60))
    return error_page(
        request,
        429,
        "しばらくしてからお試しください",
        "ログインに続けて失敗したため、安全のためログインを一時的に停止しています。"
        f"約{minutes}分後に、もう一度お試しください。"
        "ログインIDやパスワードがご不明な場合は、コールセンターへお問い合わせください。",
        headers={"Retry-After": str(result.wait)},
    )


def busy_page(request: web.Request) -> web.Response:
    """Every password check is taken: come back in a few seconds (503)."""
    request.app[METRICS].logins.labels("busy").inc()
    logger.warning("login refused: every password check is taken")
    return error_page(
        request,
        503,
        "ただいま混み合っています",
        "ただいまログインが大変混み合っています。お手数ですが、少し時間をおいてから"
        "もう一度お試しください。",
        headers={"Retry-After": str(BUSY_RETRY)},
    )


async def _passed(request: web.Request, result: LoginResult) -> web.Response:
    """A new session under a new key (the old row is deleted) at the password step."""
    assert result.holder is not None
    metrics = request.app[METRICS].logins
    if result.step is Step.NO_PHONE:
        metrics.labels("no_phone").inc()
        context = {"reason": result.reason, "phone": result.holder.phone_e164}
        return aiohttp_jinja2.render_template("phone_required.html", request, context)
    session = await renew(request)
    if result.step is Step.PASSWORD_ONLY:  # before the enforcement date: My Page urges one
        session[HOLDER] = result.holder.id
        metrics.labels("password_only").inc()
        raise web.HTTPFound(url(request, "mypage"))
    assert result.challenge is not None
    session[SESSION_REF] = result.session_ref
    hold_challenge(session, result.challenge)
    metrics.labels("success").inc()
    raise web.HTTPFound(url(request, "verify"))


async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    holder_id = int_of(session, HOLDER) or int_of(session, LOGIN_HOLDER)
    await request.app[SERVICES].login.log_out(
        int_of(session, CHALLENGE), holder_id, client_address(request)
    )
    session.invalidate()  # the storage deletes the row and the cookie
    raise web.HTTPFound(url(request, "login", query={"logged_out": "1"}))
