"""Cookies are ``Secure`` unless the site is bound to loopback (cookie_secure = "auto").

Over a real aiohttp server on 127.0.0.1; ``http`` in the config is the address the site
is bound to in production, which the rule reads (the test server's own port differs).
"""

from __future__ import annotations

import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from callauth.ivr.config import Address, Config, ConfigError, load
from callauth.site import create_site
from callauth.web.cookie_policy import bound_to_loopback

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]
PROTO = "X-Forwarded-Proto"


async def cookies_of_login_page(
    tmp_path: pathlib.Path, aiohttp_client: MakeClient, headers: dict[str, str], **settings: Any
) -> list[str]:
    config = Config.from_keys(db=str(tmp_path / "callauth.db"), **settings)
    client = await aiohttp_client(create_site(config))
    response = await client.get("/login", headers=headers)
    assert response.status == 200
    cookies = response.headers.getall("Set-Cookie", [])
    assert cookies, "the login page sets a cookie (session or CSRF)"
    return cookies


def all_secure(cookies: list[str]) -> bool:
    flags = ["secure" in [p.strip().lower() for p in c.split(";")] for c in cookies]
    assert len(set(flags)) == 1, f"mixed Secure flags: {cookies}"
    return flags[0]


@pytest.mark.parametrize(
    ("settings", "headers", "secure"),
    [
        ({}, {}, False),  # default: 127.0.0.1, only this host reaches it
        ({"http": Address("0.0.0.0", 8080)}, {}, True),  # served to other hosts
        ({"http": Address("192.0.2.10", 8080)}, {}, True),
        ({"http": Address("::1", 8080)}, {}, False),
        # Forwarded headers count only when the admin named the header.
        ({}, {PROTO: "https"}, False),
        ({"trusted_proxy_header": PROTO}, {PROTO: "https"}, True),
        ({"trusted_proxy_header": PROTO}, {PROTO: "HTTPS "}, True),
        ({"trusted_proxy_header": PROTO}, {PROTO: "http"}, False),
        ({"trusted_proxy_header": PROTO}, {}, False),
        ({"trusted_proxy_header": PROTO}, {"X-Forwarded-Scheme": "https"}, False),
        # Explicit settings win.
        ({"cookie_secure": "true"}, {}, True),
        ({"cookie_secure": "false", "http": Address("0.0.0.0", 8080)}, {}, False),
    ],
)
async def test_cookies_are_secure_unless_the_site_is_only_reachable_from_this_host(
    tmp_path: pathlib.Path,
    aiohttp_client: MakeClient,
    settings: dict[str, Any],
    headers: dict[str, str],
    secure: bool,
) -> None:
    cookies = await cookies_of_login_page(tmp_path, aiohttp_client, headers, **settings)
    assert all_secure(cookies) is secure


def test_the_default_is_auto_and_the_words_are_normalised() -> None:
    assert Config().web.cookie_secure == "auto"
    assert load(environ={"CALLAUTH_COOKIE_SECURE": "yes"}).web.cookie_secure == "true"
    assert load("cookie_secure = false\n").web.cookie_secure == "false"
    assert Config.from_keys(cookie_secure=True).web.cookie_secure == "true"
    with pytest.raises(ConfigError, match="cookie_secure"):
        load(environ={"CALLAUTH_COOKIE_SECURE": "sometimes"})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("example.jp", False)],
)  # fmt: skip
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert bound_to_loopback(host) is loopback


async def redirect_with_cookie(request: web.Request) -> web.Response:
    found = web.HTTPFound("/verify")
    found.set_cookie("example", "1", httponly=True)
    raise found


async def test_a_redirect_raised_with_a_cookie_is_marked_too(
    tmp_path: pathlib.Path, aiohttp_client: MakeClient
) -> None:
    app = create_site(
        Config.from_keys(db=str(tmp_path / "callauth.db"), http=Address("0.0.0.0", 8080))
    )
    app.router.add_get("/redirect", redirect_with_cookie)
    client = await aiohttp_client(app)
    response = await client.get("/redirect", allow_redirects=False)
    assert response.status == 302
    assert all_secure(response.headers.getall("Set-Cookie"))
