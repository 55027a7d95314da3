"""Health (public and admin), metrics (admin only), logout, and the error pages."""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from callauth.db.models import ChallengeState
from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from callauth.web.admin_app import create_admin_app
from tests.conftest import FakeClock
from tests.web_support import csrf_of, login, seed_holder, session_key

Client = TestClient[Any, Any]


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("a bug")


@pytest.fixture
async def client(
    tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> Client:
    app = create_site(Config(db=str(tmp_path / "callauth.db")), clock=FakeClock())
    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    await seed_holder(store_of(client.app), "yamada", "correct horse")
    return client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
async def admin(client: Client, aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    """The admin listener's app over the same site (its store, metrics and PBX state)."""
    return await aiohttp_client(create_admin_app(client.app))


async def test_public_healthz_says_only_ok(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_admin_healthz_reports_the_database_and_the_pbx_link(admin: Client) -> None:
    response = await admin.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert (body["status"], body["db"], body["pbx"]["status"]) == ("ok", "ok", "off")


async def test_an_unreachable_store_is_503_without_details_in_public(
    client: Client, admin: Client
) -> None:
    await store_of(client.app).close()
    public = await client.get("/healthz")
    assert public.status == 503 and await public.json() == {"status": "unavailable"}
    detailed = await admin.get("/healthz")
    assert detailed.status == 503 and (await detailed.json())["db"] == "unreachable"


async def test_metrics_are_not_on_the_public_site(client: Client) -> None:
    assert (await client.get("/metrics")).status == 404


async def test_metrics_are_prometheus_text(client: Client, admin: Client) -> None:
    await login(client, "yamada", "wrong")
    await login(client, "yamada", "correct horse")
    response = await admin.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(await response.text())
    assert found[("callauth_logins_total", (("result", "success"),))] == 1
    assert found[("callauth_logins_total", (("result", "failure"),))] == 1
    assert found[("callauth_verifications_total", ())] == 0
    assert found[("callauth_sse_clients", ())] == 0
    assert found[("callauth_calls_total", (("outcome", "verified"),))] == 0


async def test_two_apps_in_one_process_keep_their_own_metrics(
    client: Client, tmp_path: pathlib.Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    await login(client, "yamada", "wrong")
    other = await aiohttp_client(create_site(Config(db=str(tmp_path / "other.db"))))
    other_admin = await aiohttp_client(create_admin_app(other.app))
    found = samples(await (await other_admin.get("/metrics")).text())
    assert found[("callauth_logins_total", (("result", "failure"),))] == 0


async def test_logout_ends_the_session_and_cancels_the_challenge(client: Client) -> None:
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    key = session_key(client)
    store = store_of(client.app)
    html = await (await client.get("/verify")).text()
    response = await client.post(
        "/logout", data={"csrf_token": csrf_of(html)}, allow_redirects=False
    )
    assert (response.status, response.headers["Location"]) == (302, "/login?logged_out=1")
    assert key and await store.load_session(key) is None
    challenge = await store.challenge(1)
    assert challenge is not None and challenge.state is ChallengeState.CANCELLED
    assert (await store.audit_entries())[0].event == "logout"
    assert "ログアウトしました" in await (await client.get("/login?logged_out=1")).text()
    assert (await client.get("/verify", allow_redirects=False)).headers["Location"] == "/login"


async def test_logout_without_csrf_is_refused(client: Client) -> None:
    assert await login(client, "yamada", "correct horse") == (302, "/verify")
    response = await client.post("/logout", data={}, allow_redirects=False)
    assert response.status == 403
    assert (await client.get("/verify", allow_redirects=False)).status == 200


async def test_unknown_page_gets_a_japanese_404(client: Client) -> None:
    response = await client.get("/no-such-page")
    assert response.status == 404
    assert response.content_type == "text/html"  # the site's page, not the plain fallback
    assert "ページが見つかりません" in await response.text()


async def test_unexpected_error_gets_a_japanese_500_and_is_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/boom")
    assert response.status == 500
    assert "ただいま処理できませんでした" in await response.text()
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records)


async def test_pages_carry_security_headers(client: Client) -> None:
    response = await client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


async def test_static_files_are_served(client: Client) -> None:
    assert (await client.get("/static/style.css")).status == 200
    assert (await client.get("/static/verify.js")).status == 200


async def test_an_unknown_path_on_the_admin_listener_is_a_plain_404_not_a_logged_failure(
    admin: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    response = await admin.get("/login")  # a scraper or a person at the wrong port
    assert response.status == 404
    assert response.content_type == "text/plain"
    assert "ページが見つかりません" in await response.text()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
