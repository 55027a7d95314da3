"""Login and logout.

A wrong password and an unknown login ID get the very same page: same message, same
status, and an argon2 verification against a dummy hash so the time taken matches too.

A login attempt is counted by the store's throttles (db/throttles.py has the policy)
before its password is checked, in the same transaction that decides it may go ahead, so
concurrent guesses cannot slip past the limit; the check then runs on the bounded password
pool, and a full pool is answered 503 at once. The login form carries a signed
double-submit CSRF token (web/login_csrf.py), so only the password step writes a session.
"""

from __future__ import annotations

import logging

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from callauth.db.models import EndedBy, Holder
from callauth.db.throttles import Attempt, Verdict
from callauth.ivr import phone_policy
from callauth.web.errors import error_page
from callauth.web.flow import (
    authenticated_holder,
    client_address,
    has_usable_phone,
    phone_required,
    start_challenge,
)
from callauth.web.keys import CONFIG, LOGIN_CSRF, METRICS, STORE, THROTTLE
from callauth.web.login_guards import password_ticket
from callauth.web.passwords import PasswordPoolBusy
from callauth.web.sessions import CHALLENGE, HOLDER, LOGIN_HOLDER, renew
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
    address = client_address(request)
    try:
        # A place in the pool first, so a refused check is never counted as an attempt.
        with await password_ticket(request.app, login_id, address) as ticket:
            attempt = await request.app[THROTTLE].reserve(login_id, address)
            if attempt.verdict is not Verdict.CHECK:
                return _refused(request, attempt)
            holder = await request.app[STORE].holder_by_login(login_id)
            matched = await ticket.verify(holder.password_hash if holder else None, password)
    except PasswordPoolBusy:
        return busy_page(request)
    if holder is None or not matched:
        return await _failed(request, login_id, holder, address, attempt)
    await request.app[THROTTLE].succeed(login_id, address)
    return await _password_passed(request, holder, address)


async def _failed(
    request: web.Request, login_id: str, holder: Holder | None, address: str, attempt: Attempt
) -> web.Response:
    reason = "wrong_password" if holder else "unknown_login_id"
    await request.app[STORE].audit(holder.id if holder else None, "login_failure", reason, address)
    request.app[METRICS].logins.labels("failure").inc()
    logger.info("login failed from %s (%s)", address, reason)
    refusal = attempt.after_failure()
    if refusal is not None:
        if refusal.verdict is Verdict.LOCKED:
            logger.warning("login ID locked after consecutive failures (last from %s)", address)
        return _refused(request, refusal)
    return await _login_page(request, error=BAD_CREDENTIALS, login_id=login_id)


def _refused(request: web.Request, attempt: Attempt) -> web.Response:
    if attempt.verdict is Verdict.LOCKED:
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
    minutes = max(1, -(-attempt.wait // 60))
    return error_page(
        request,
        429,
        "しばらくしてからお試しください",
        "ログインに続けて失敗したため、安全のためログインを一時的に停止しています。"
        f"約{minutes}分後に、もう一度お試しください。"
        "ログインIDやパスワードがご不明な場合は、コールセンターへお問い合わせください。",
        headers={"Retry-After": str(attempt.wait)},
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


async def _password_passed(request: web.Request, holder: Holder, address: str) -> web.Response:
    store = request.app[STORE]
    if not has_usable_phone(request, holder):
        return await _without_usable_phone(request, holder, address)
    old_challenge = (await get_session(request)).get(CHALLENGE)
    if isinstance(old_challenge, int):
        await store.cancel_challenge(old_challenge, EndedBy.RELOGIN)
    session = await renew(request)
    challenge = await start_challenge(request, session, holder)
    assert challenge is not None  # only a reissue is ever refused
    await store.audit(holder.id, "login_success", f"challenge {challenge.id}", address)
    request.app[METRICS].logins.labels("success").inc()
    raise web.HTTPFound(url(request, "verify"))


async def _without_usable_phone(request: web.Request, holder: Holder, address: str) -> web.Response:
    """Before the enforcement date the password alone lets in (and My Page urges
    registration); from it, a page explains why not and where to turn."""
    store = request.app[STORE]
    if not phone_required(request):
        session = await renew(request)
        session[HOLDER] = holder.id
        await store.audit(holder.id, "login_password_only", "", address)
        request.app[METRICS].logins.labels("password_only").inc()
        raise web.HTTPFound(url(request, "mypage"))
    await store.audit(holder.id, "login_no_phone", "", address)
    request.app[METRICS].logins.labels("no_phone").inc()
    reason = None
    if holder.phone_e164:  # registered, but of a kind that cannot verify (050, 0120, ...)
        reason = phone_policy.check(holder.phone_e164, request.app[CONFIG].telephony.allowed_kinds)
    context = {"reason": reason, "phone": holder.phone_e164}
    return aiohttp_jinja2.render_template("phone_required.html", request, context)


async def logout(request: web.Request) -> web.Response:
    session = await get_session(request)
    challenge_id = session.get(CHALLENGE)
    store = request.app[STORE]
    if isinstance(challenge_id, int):
        await store.cancel_challenge(challenge_id, EndedBy.LOGOUT)  # only a pending one changes
    holder_id = session.get(HOLDER) or session.get(LOGIN_HOLDER)
    if isinstance(holder_id, int):
        await store.audit(holder_id, "logout", "", client_address(request))
    session.invalidate()  # the storage deletes the row and the cookie
    raise web.HTTPFound(url(request, "login", query={"logged_out": "1"}))
