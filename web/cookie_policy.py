"""Which responses mark their cookies ``Secure``: every cookie the site sets, one rule.

``cookie_secure`` is ``true``, ``false`` or ``auto`` (the default). Auto: Secure unless the
site is bound to a loopback address, where it is reached only from this host (a browser
on it, or a TLS-terminating proxy in front); behind such a proxy, Secure again when the
header the admin named (``trusted_proxy_header``, e.g. ``X-Forwarded-Proto``) says
``https``. Forwarded headers the admin did not name are never trusted: any client can
send them.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web
from aiohttp.typedefs import Handler

from callauth.ivr.config import Web
from callauth.web.keys import CONFIG


def bound_to_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def wants_secure(request: web.Request, config: Web) -> bool:
    if config.cookie_secure != "auto":
        return config.cookie_secure == "true"
    if request.secure or not bound_to_loopback(config.http.host):
        return True
    header = config.trusted_proxy_header
    return bool(header) and request.headers.get(header, "").strip().lower() == "https"


@web.middleware
async def secure_cookie_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost, so it sees the cookies the session and CSRF code set (aiohttp renders
    them into headers before ``on_response_prepare``, too late to change them there)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects carry cookies too (login → /verify)
        _mark(request, exc)
        raise
    _mark(request, response)
    return response


def _mark(request: web.Request, response: web.StreamResponse) -> None:
    if response.cookies and wants_secure(request, request.config_dict[CONFIG].web):
        for morsel in response.cookies.values():
            morsel["secure"] = True
