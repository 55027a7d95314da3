"""CSRF protection: a per-session token, a hidden ``csrf_token`` field, checked on every POST.

Templates get the token from a context processor (``csrf_context``, set up in web/app.py),
so a view never passes it by hand.

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
from aiohttp_session import SESSION_KEY, Session, get_session

from callauth.web.errors import error_page
from callauth.web.keys import LOGIN_CSRF

logger = logging.getLogger(__name__)

FIELD = "csrf_token"
_SESSION_KEY = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_EXEMPT_PREFIX = "/api/"
LOGIN_PATH = "/login"


async def csrf_token(request: web.Request) -> str:
    """The session's token, created on first use (so a form page starts a session)."""
    return _token_of(await get_session(request))


def _token_of(session: Session) -> str:
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


class _PageToken:
    """``{{ csrf_token }}`` in a holder's page, read when the template renders it.

    Looked up lazily so that a request whose page has no form (a redirect, /healthz, a
    static file) neither loads the session nor starts one; by the time a page with a form
    renders, its view has loaded the session (``require_holder``, ``current_challenge``).
    """

    def __init__(self, request: web.Request) -> None:
        self._request = request

    def __str__(self) -> str:
        session = self._request.get(SESSION_KEY)
        if not isinstance(session, Session):
            raise RuntimeError(
                f"{self._request.path}: a form rendered before the session was loaded "
                "(await csrf_token(request) in the view first)"
            )
        return _token_of(session)


async def csrf_context(request: web.Request) -> dict[str, object]:
    """aiohttp_jinja2 context processor: every holder page's forms get ``csrf_token``.

    The console's pages get nothing from here: their token is the operator session's
    (web/admin_session.py). The login form passes its own signed token (web/login_csrf.py),
    which overrides this one.
    """
    return {} if _in_console(request.path) else {FIELD: _PageToken(request)}


def _in_console(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


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
    if _in_console(request.path):
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
