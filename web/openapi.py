"""The JSON API described as OpenAPI 3.1, served at ``GET /api/openapi.json``.

Built from a dict so that the kinds and the limits come from the code that enforces them;
tests/test_openapi.py validates it with openapi-spec-validator.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callauth.ivr.number_answer import MAX_NUMBER_LENGTH
from callauth.web.json_body import MAX_BYTES
from callauth.web.responses import json_response

#: Every ``kind`` the API answers (DESIGN.md "Public interface").
KINDS = ("mobile", "fixed_line", "voip", "toll_free", "shared_cost", "m2m", "premium",
         "personal", "foreign", "invalid")  # fmt: skip

_ANSWER = {
    "type": "object",
    "required": ["registrable", "e164", "kind", "message", "display"],
    "properties": {
        "registrable": {
            "type": "boolean",
            "description": "Whether the number may be used for phone verification.",
        },
        "e164": {"type": ["string", "null"], "examples": ["+819012345678"]},
        "kind": {"type": "string", "enum": list(KINDS)},
        "message": {
            "type": "string",
            "description": "Japanese, for the person: show it under the field as it is.",
            "examples": ["050から始まるIP電話の番号は本人認証にご利用いただけません。"],
        },
        "display": {
            "type": ["string", "null"],
            "description": "The number to show back (090-1234-5678; E.164 if foreign).",
        },
    },
}
_ERROR = {
    "type": "object",
    "required": ["error", "message", "message_en"],
    "properties": {
        "error": {"type": "string", "enum": ["bad_request", "rate_limited"]},
        "message": {"type": "string", "description": "Japanese, for the person."},
        "message_en": {"type": "string", "description": "English, for the log."},
    },
}


def _error(description: str, **extra: Any) -> dict[str, Any]:
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": body, **extra}


_VALIDATE = {
    "operationId": "validatePhone",
    "summary": "Whether a phone number typed by a person may be used for verification",
    "description": (
        "Free of side effects and cookies. Callable from the browser by pages on the"
        " origins the site configures (api_allowed_origins, CORS); rate-limited per"
        " client address."
    ),
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["number"],
                    "properties": {
                        "number": {
                            "type": ["string", "integer"],
                            "description": (
                                "As typed: hyphens, spaces, full-width digits welcome."
                                f" Over {MAX_NUMBER_LENGTH} characters is answered invalid."
                            ),
                            "examples": ["090-1234-5678"],
                        }
                    },
                },
                "x-max-bytes": MAX_BYTES,
            }
        },
    },
    "responses": {
        "200": {
            "description": "The answer (also for numbers that may not be used).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}},
        },
        "400": _error("The body is not JSON, too large, too deep, or has no number."),
        "429": _error(
            "Too many requests from this address; try again after Retry-After seconds.",
            headers={"Retry-After": {"schema": {"type": "integer"}}},
        ),
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "callauth phone-number API",
        "version": "1",
        "description": "Checks the phone number an applicant or holder enters.",
    },
    "paths": {
        "/api/phone/validate": {"post": _VALIDATE},
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "responses": {"200": {"description": "OpenAPI 3.1 JSON"}},
            }
        },
    },
    "components": {"schemas": {"Answer": _ANSWER, "Error": _ERROR}},
}


async def openapi(request: web.Request) -> web.Response:
    return json_response(SPEC)
