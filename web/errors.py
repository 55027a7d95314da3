"""Error pages, and the web's top-level handler for unexpected exceptions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

logger = logging.getLogger(__name__)

_NOT_FOUND = (
    "ページが見つかりません",
    "お探しのページは移動または削除されたか、URL が間違っている可能性があります。",
)
_SERVER_ERROR = (
    "ただいま処理できませんでした",
    "申し訳ございません。システムで問題が発生しました。しばらくしてから、もう一度お試しください。",
)


def error_page(
    request: web.Request,
    status: int,
    title: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    try:
        response = aiohttp_jinja2.render_template(
            "error.html", request, {"title": title, "message": message}, status=status
        )
    except Exception:  # the error page must not fail because a template did
        logger.warning("error template failed; sending plain text", exc_info=True)
        response = web.Response(text=f"{title}\n{message}", status=status)
    response.headers.update(headers or {})
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return error_page(request, 404, *_NOT_FOUND)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception:
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_page(request, 500, *_SERVER_ERROR)
