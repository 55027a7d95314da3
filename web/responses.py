"""JSON answers in readable UTF-8 (Japanese as characters, not ``\\u`` escapes); ``no_store``."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web

#: aiohttp's default ``json.dumps`` escapes every non-ASCII character.
dumps = functools.partial(json.dumps, ensure_ascii=False)

R = TypeVar("R", bound=web.StreamResponse)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """``web.json_response`` with the body as UTF-8 characters (``charset=utf-8``)."""
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def no_store(response: R) -> R:
    """``response`` marked never to be kept by a browser or a proxy: a page or an answer
    with personal data, or one that must not come back with Back after logout."""
    response.headers["Cache-Control"] = "no-store"
    return response
