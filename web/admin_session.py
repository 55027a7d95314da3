"""The operator console's own session, CSRF and throttle: nothing shared with the holders.

- The cookie ``callauth_operator`` (path ``/admin``, HttpOnly, SameSite=Strict) carries a
  random key whose SHA-256 names a row of ``operator_sessions`` (db/operators.py). The
  holders' ``callauth_session`` is never read here, and this cookie never reaches (nor
  is read by) a holder page: a holder's cookie under /admin is a visitor without a
  session, sent to the console's login page, and a logged-in holder who is no operator
  gets 403 on every console page.
- Every POST under /admin carries the session's own CSRF token (the holders' middleware
  skips /admin, web/csrf.py); the login form a signed double-submit nonce of its own.
- Logins, sessions and the console's actions are the services' (ivr/console_auth.py,
  ivr/admin_ops.py): logins are counted by the store's throttles under keys of their own,
  so a holder's failures never slow an operator down nor the other way round.
"""

from __future__ import annotations

import datetime
import functools
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping

import aiohttp_jinja2
from aiohttp import web
from itsdangerous import BadData, URLSafeTimedSerializer

from callauth.db.console_models import OperatorSession, Role
from callauth.ivr.jst import JST
from callauth.web.keys import SERVICES
from callauth.web.responses import no_store
from callauth.web.urls import url

COOKIE = "callauth_operator"
PATH = "/admin"
NONCE_COOKIE = "callauth_operator_login"
#: The name of the generated key that signs the login form's token.
SECRET_NAME = "operator_login_csrf"
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
_NONCE_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")
_CACHE = web.RequestKey("operator_session", object)
Handler = Callable[[web.Request, OperatorSession], Awaitable[web.StreamResponse]]


async def current(request: web.Request) -> OperatorSession | None:
    if _CACHE in request:
        return request[_CACHE]  # type: ignore[return-value]
    key = request.cookies.get(COOKIE, "")
    found = None
    if _KEY_SHAPE.fullmatch(key):
        found = await request.app[SERVICES].console.session(key)
    request[_CACHE] = found
    return found


def set_cookie(response: web.StreamResponse, key: str) -> None:
    # Secure is added by web/cookie_policy.py, as for every cookie of the site.
    response.set_cookie(COOKIE, key, path=PATH, httponly=True, samesite="Strict")


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path=PATH)


def jst_time(at: int | None) -> str:
    """Epoch seconds as the console shows them: ``2026/12/01 09:30`` (JST)."""
    if at is None:
        return "—"
    return datetime.datetime.fromtimestamp(at, JST).strftime("%Y/%m/%d %H:%M")


ROLE_NAMES = {Role.VIEWER: "閲覧", Role.SUPPORT: "サポート", Role.ADMIN: "管理者"}


def render(
    request: web.Request,
    template: str,
    session: OperatorSession | None,
    context: Mapping[str, object],
    status: int = 200,
) -> web.Response:
    """A console page: the operator, their role's name and the CSRF token for its forms."""
    base = {"operator": session.operator if session else None,
            "role_name": ROLE_NAMES[session.operator.role] if session else "",
            "csrf_token": session.csrf if session else "", "Role": Role,
            "jst": jst_time}  # fmt: skip
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    return no_store(response)  # personal data: never from a cache


def message(
    request: web.Request, session: OperatorSession | None, status: int, title: str, text: str
) -> web.Response:
    return render(request, "admin_message.html", session, {"title": title, "text": text}, status)


def requires(
    role: Role,
) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """A console handler for operators of ``role`` or above; a POST must carry the
    session's CSRF token. Anyone else is sent to the login page (or told 403)."""

    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = await current(request)
            if session is None:
                raise web.HTTPSeeOther(url(request, "admin.login"))
            if not session.operator.role.allows(role):
                return message(request, session, 403, "この操作の権限がありません",
                               f"この画面は「{ROLE_NAMES[role]}」以上の権限の方がご利用いただけます。")  # fmt: skip
            if request.method == "POST":
                given = (await request.post()).get("csrf_token")
                if not isinstance(given, str) or not hmac.compare_digest(
                    given.encode(), session.csrf.encode()
                ):
                    return message(request, session, 403, "もう一度操作してください",
                                   "安全のため、この操作を受け付けられませんでした。"
                                   "画面を開き直してから、もう一度お試しください。")  # fmt: skip
            return await handler(request, session)

        return guarded

    return wrap


async def _signer(request: web.Request) -> URLSafeTimedSerializer:
    secret = await request.app[SERVICES].form_secrets.key(SECRET_NAME)
    return URLSafeTimedSerializer(secret, salt="callauth.operator-login")


async def login_token(request: web.Request) -> tuple[str, str]:
    """(nonce for the login form's cookie, the form's signed token)."""
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if not _NONCE_SHAPE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(16)
    return nonce, str((await _signer(request)).dumps(nonce))


def set_nonce(response: web.StreamResponse, nonce: str) -> None:
    response.set_cookie(NONCE_COOKIE, nonce, path="/admin/login", httponly=True,
                        samesite="Strict", max_age=3600)  # fmt: skip


async def login_token_ok(request: web.Request, given: object) -> bool:
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if not isinstance(given, str) or not _NONCE_SHAPE.fullmatch(nonce):
        return False
    try:
        signed = (await _signer(request)).loads(given, max_age=3600)
    except BadData:
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed.encode(), nonce.encode())
