"""JSON API: phone-number validation, shared by the applicant form and My Page.

Not cookie-authenticated and free of side effects, hence exempt from CSRF (see web.csrf).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from ivr import phone_policy
from web.json_body import BadBody, read_json
from web.keys import API_LIMIT, CONFIG

MAX_NUMBER_LENGTH = 64


def _bad_request(japanese: str, english: str) -> web.Response:
    return web.json_response(
        {"error": "bad_request", "message": japanese, "message_en": english}, status=400
    )


async def validate_phone(request: web.Request) -> web.Response:
    if wait := request.app[API_LIMIT].hit(request.remote or ""):
        return web.json_response(
            {
                "error": "rate_limited",
                "message": f"リクエストが多すぎます。{wait} 秒ほどおいてからお試しください。",
                "message_en": f"Too many requests: try again in {wait} seconds.",
            },
            status=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        body: Any = await read_json(request)  # size and nesting bounded before parsing
    except BadBody as exc:
        return _bad_request(exc.message, exc.message_en)
    number = body.get("number") if isinstance(body, dict) else None
    if not isinstance(number, str):
        return _bad_request(
            "電話番号（number）を文字列で指定してください。",
            'The field "number" is missing or is not a string.',
        )
    if len(number) > MAX_NUMBER_LENGTH:
        return _bad_request("電話番号が長すぎます。", "The number is too long.")
    result = phone_policy.check(number, request.app[CONFIG].allowed_kinds)
    return web.json_response(dataclasses.asdict(result))
