"""Error pages, and the web's top-level handler for unexpected exceptions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from callauth.web.keys import SERVICES

logger = logging.getLogger(__name__)

_NOT_FOUND = (
    "ページが見つかりません",
    "お探しのページは移動または削除されたか、URL が間違っている可能性があります。",
)
_SERVER_ERROR = (
    "ただいま処理できませんでした",
    "申し訳ございません。システムで問題が発生しました。しばらくしてから、もう一度お試しください。",
)

_UNAVAILABLE = (
    "ただいまご利用いただけません",
    "申し訳ございません。システムの一時的な不具合のため、ただいまご利用いただけません。"
    "しばらく時間をおいてから、もう一度お試しください。",
)
#: Answered while the store is down: they need no database (and tell the operator why).
_WITHOUT_STORE = ("/healthz", "/metrics", "/static/", "/api/")
#: Seconds; the health probe runs every second, so the site is back soon after the store.
RETRY_AFTER = "30"


def error_page(
    request: web.Request,
    status: int,
    title: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    response = _rendered(request, status, title, message)
    if response is None:
        response = web.Response(text=f"{title}\n{message}", status=status)
    response.headers.update(headers or {})
    return response


def _rendered(request: web.Request, status: int, title: str, message: str) -> web.Response | None:
    """The HTML error page; None without templates (the admin listener, for scrapers) or
    when the template fails: the error page must not fail because a template did."""
    if aiohttp_jinja2.APP_KEY not in request.app:
        return None
    try:
        return aiohttp_jinja2.render_template(
            "error.html", request, {"title": title, "message": message}, status=status
        )
    except Exception:
        logger.warning("error template failed; sending plain text", exc_info=True)
        return None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # The store's health (ivr/site_health.py): a page that would need it says so up front,
    # even one that reads nothing (the login form), and a store failure is a 503, not a 500.
    services = request.app.get(SERVICES)
    health = services.health if services is not None else None
    if health is not None and not health.usable:
        if not request.path.startswith(_WITHOUT_STORE):
            return error_page(request, 503, *_UNAVAILABLE, {"Retry-After": RETRY_AFTER})
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return error_page(request, 404, *_NOT_FOUND)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception as exc:
        if health is not None and health.failed(exc):  # logged there, once per change
            return error_page(request, 503, *_UNAVAILABLE, {"Retry-After": RETRY_AFTER})
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_page(request, 500, *_SERVER_ERROR)
