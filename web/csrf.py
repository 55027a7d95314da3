"""CSRF protection: a per-session token, a hidden ``csrf_token`` field, checked on every POST.

``POST /login`` is the one form posted before there is a session worth keeping: it is
checked against a signed double-submit token instead (web/login_csrf.py), so an anonymous
visit to the login page writes no session row.

``/api/`` is exempt: it neither reads nor trusts the session cookie and changes nothing
(phone-number validation for the applicant form, used before anyone has an account), so a
forged cross-site request gains nothing; a cross-site JSON POST also needs a CORS
preflight, granted only to the origins in ``api_allowed_origins`` and never with
credentials (web/cors.py), so no other site can read the response either.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp_session import get_session

from web.errors import error_page
from web.keys import LOGIN_CSRF

logger = logging.getLogger(__name__)

FIELD = "csrf_token"
_SESSION_KEY = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_EXEMPT_PREFIX = "/api/"
LOGIN_PATH = "/login"


async def csrf_token(request: web.Request) -> str:
    """The session's token, created on first use (so a form page starts a session)."""
    session = await get_session(request)
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


async def _token_matches(request: web.Request) -> bool:
    given = (await request.post()).get(FIELD)
    if request.path == LOGIN_PATH:
        return request.config_dict[LOGIN_CSRF].accepts(request, given)
    expected = (await get_session(request)).get(_SESSION_KEY)
    if not isinstance(expected, str) or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in _SAFE_METHODS or request.path.startswith(_EXEMPT_PREFIX):
        return await handler(request)
    if request.path == "/admin" or request.path.startswith("/admin/"):
        # The operator console checks its own session's token (web/admin_session.py): a
        # holder's session is never consulted there, nor created by a console form.
        return await handler(request)
    if not await _token_matches(request):
        logger.warning(
            "CSRF check failed: %s %s from %s", request.method, request.path, request.remote
        )
        return error_page(
            request,
            403,
            "もう一度操作してください",
            "安全のため、この操作を受け付けられませんでした。ページの有効期限が切れたか、"
            "別の画面から送信された可能性があります。お手数ですが、前の画面を開き直して"
            "からもう一度お試しください。",
        )
    return await handler(request)
