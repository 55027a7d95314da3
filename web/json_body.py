"""A JSON request body read under bounds: size before reading, depth before parsing.

``json.loads`` recurses once per nesting level: 5,000 brackets raise ``RecursionError``
(an HTML 500 and a traceback, before this module). So the body is read up to a limit and
its brackets are counted, outside strings, before the parser sees it.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

#: Far above any body the API takes ({"number": "<64 characters>"}), far below harm.
MAX_BYTES = 4096
#: The API's bodies are one object deep; a little room for clients that wrap them.
MAX_DEPTH = 8

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


class BadBody(Exception):
    """The body cannot be used; ``message`` is for the person (Japanese)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


def _malformed() -> BadBody:  # a new exception each time: tracebacks are not shared
    return BadBody(
        'リクエストの形式が正しくありません。JSON で {"number": "電話番号"} を送ってください。',
        'Malformed request: send JSON {"number": "<phone number>"}.',
    )


def _too_large() -> BadBody:
    return BadBody(
        f"リクエストが大きすぎます（{MAX_BYTES} バイトまで）。",
        f"The request body is larger than {MAX_BYTES} bytes.",
    )


def _too_deep() -> BadBody:
    return BadBody(
        "リクエストの入れ子が深すぎます。",
        f"The JSON is nested deeper than {MAX_DEPTH} levels.",
    )


def too_deep(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (a linear scan)."""
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


async def read_body(request: web.Request, max_bytes: int = MAX_BYTES) -> bytes:
    """At most ``max_bytes`` of the body; more (declared or sent) raises :class:`BadBody`."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large()  # refused before a byte of it is read
    data = bytearray()
    while len(data) <= max_bytes:
        chunk = await request.content.read(max_bytes + 1 - len(data))
        if not chunk:
            return bytes(data)
        data += chunk
    raise _too_large()  # chunked, or a Content-Length that lied


async def read_json(request: web.Request) -> Any:
    """The body's JSON value, or :class:`BadBody` for anything unusable."""
    data = await read_body(request)
    if too_deep(data):
        raise _too_deep()
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise _malformed() from exc
