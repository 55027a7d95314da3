"""JSON answers in readable UTF-8: Japanese messages as characters, not ``\\u`` escapes."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

#: aiohttp's default ``json.dumps`` escapes every non-ASCII character.
dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """``web.json_response`` with the body as UTF-8 characters (``charset=utf-8``)."""
    return web.json_response(data, status=status, headers=headers, dumps=dumps)
