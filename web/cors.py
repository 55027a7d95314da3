"""CORS for the JSON API: pages on the configured origins (``api_allowed_origins``, the
insurer's application form) may call ``/api/`` from the browser; nobody else may.

The API reads no cookie (no ``Access-Control-Allow-Credentials``): a cross-origin caller
gains nothing a plain HTTP client lacks, and the per-address rate limit still counts each
applicant's browser. A preflight from an origin not configured is answered 403 with no
CORS header, so the browser never sends the request; a simple request from one gets its
answer without ``Access-Control-Allow-Origin``, which the browser keeps from the page.
Every ``/api/`` answer says ``Vary: Origin``: caches must not hand one origin's to another.
"""

from __future__ import annotations

import logging

from aiohttp import web

from callauth.web.keys import CONFIG
from callauth.web.responses import json_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
#: Seconds a browser may reuse a granted preflight (Chromium caps it at 7,200).
MAX_AGE = "600"
METHODS = "GET, POST"
#: ``application/json`` is what makes the API's POST need a preflight at all.
HEADERS = "Content-Type"
#: Read by phone-field.js when the rate limit answers 429.
EXPOSE = "Retry-After"


def allowed_origin(request: web.Request) -> str | None:
    """The request's ``Origin`` when it is one of the configured ones, else None."""
    origin = request.headers.get("Origin")
    if origin and origin in request.app[CONFIG].web.api_allowed_origins:
        return origin
    return None


async def preflight(request: web.Request) -> web.Response:
    """``OPTIONS`` on an API URL: the grant for a configured origin, a 403 for any other.

    Not counted by the rate limit: the browser sends one before the first call and then
    at most every ``MAX_AGE`` seconds, and it answers nothing but the grant.
    """
    origin = allowed_origin(request)
    method = request.headers.get("Access-Control-Request-Method", "")
    if origin is None or method not in ("GET", "POST"):
        # The origin is the caller's own words, not personal data; cut to a log line's size.
        logger.info(
            "api: preflight refused from %s: origin %.100r, method %.20r",
            request.remote,
            request.headers.get("Origin"),
            method,
        )
        return json_response(
            {
                "error": "origin_not_allowed",
                "message": "このページからはご利用いただけません。",
                "message_en": "This origin may not call the API (api_allowed_origins).",
            },
            status=403,
        )
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": METHODS,
            "Access-Control-Allow-Headers": HEADERS,
            "Access-Control-Max-Age": MAX_AGE,
        },
    )


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every API answer (429 and 400 too) carries the grant."""
    if not request.path.startswith(API_PREFIX) or request.method == "OPTIONS":
        return  # a preflight's answer (preflight above) is complete as it is
    # Vary even when the origin is not granted: the same URL answers the granted one too.
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin"
    origin = allowed_origin(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE
