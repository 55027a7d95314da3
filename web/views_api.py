"""JSON API: phone-number validation, shared by the applicant form and My Page.

Not cookie-authenticated and free of side effects, hence exempt from CSRF (see web.csrf).
Pages on the origins in ``api_allowed_origins`` may call it from the browser (web/cors.py).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from callauth.ivr.number_answer import answer
from callauth.web.json_body import BadBody, read_json
from callauth.web.keys import API_LIMIT, CONFIG
from callauth.web.responses import json_response

logger = logging.getLogger(__name__)


def _bad_request(japanese: str, english: str) -> web.Response:
    return json_response(
        {"error": "bad_request", "message": japanese, "message_en": english}, status=400
    )


async def validate_phone(request: web.Request) -> web.Response:
    if wait := request.app[API_LIMIT].hit(request.remote or ""):
        return json_response(
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
    except BadBody as exc:  # an input validation failure: one line, never the body itself
        logger.info("api: bad body from %s: %s", request.remote, exc.message_en)
        return _bad_request(exc.message, exc.message_en)
    number = body.get("number") if isinstance(body, dict) else None
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)  # {"number": 9012345678}: digits sent as a JSON number
    if not isinstance(number, str):
        return _bad_request(
            "電話番号（number）を文字列で指定してください。",
            'The field "number" is missing or is not a string.',
        )
    return json_response(answer(number, request.app[CONFIG].telephony.allowed_kinds))
