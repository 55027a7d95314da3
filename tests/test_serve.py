"""`callauth serve`'s app: web, FastAGI and the AMI client in one lifecycle."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from callauth.ivr.config import Address, Config
from callauth.serve import build_app
from callauth.web.admin_app import ADMIN_PORT
from tests.ami_support import AmiScript, ScriptedAmi

Client = TestClient[Any, Any]


def admin_url(client: Client, path: str) -> str:
    """A URL on the admin listener serve started beside the site (port 0: a free one)."""
    return f"http://127.0.0.1:{client.app[ADMIN_PORT]}{path}"


async def admin_get(client: Client, path: str) -> tuple[int, str]:
    async with client.session.get(admin_url(client, path)) as response:
        return response.status, await response.text()


async def until_healthz(client: Client, status: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            body: dict[str, Any] = json.loads((await admin_get(client, "/healthz"))[1])
            if body["pbx"]["status"] == status:
                return body
            await asyncio.sleep(0.02)


def serve_config(tmp_path: Path, **settings: Any) -> Config:
    return Config.from_keys(db=str(tmp_path / "callauth.db"), agi=Address("127.0.0.1", 0),
                  admin=Address("127.0.0.1", 0), **settings)  # fmt: skip


async def test_healthz_and_metrics_report_the_ami_link(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    ami = ScriptedAmi(AmiScript.from_fixtures())
    await ami.start()
    try:
        config = serve_config(
            tmp_path, ami_enabled=True, ami=Address("127.0.0.1", ami.port), ami_user="ivr",
            ami_secret="secret", ami_retry_min=0.05, ami_retry_max=0.2,
        )  # fmt: skip
        client = await aiohttp_client(build_app(config))
        body = await until_healthz(client, "connected")
        assert body["status"] == "ok" and body["pbx"]["address"].endswith(str(ami.port))
        metrics = (await admin_get(client, "/metrics"))[1]
        assert "callauth_ami_connected 1.0" in metrics
        await ami.stop()
        body = await until_healthz(client, "disconnected")
        assert body["status"] == "ok"  # the site and verification work without AMI
    finally:
        await ami.stop()


async def test_metrics_carry_the_fastagi_connections_and_bounds(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = serve_config(tmp_path)
    client = await aiohttp_client(build_app(config))
    text = (await admin_get(client, "/metrics"))[1]
    assert "callauth_fastagi_connections 0.0" in text
    assert "callauth_fastagi_refused_total 0.0" in text
    assert "callauth_fastagi_deadline_exceeded_total 0.0" in text


async def test_without_ami_the_pbx_link_is_reported_off(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = serve_config(tmp_path)
    client = await aiohttp_client(build_app(config))
    assert (await until_healthz(client, "off"))["db"] == "ok"
    assert "callauth_ami_connected 0.0" in (await admin_get(client, "/metrics"))[1]


async def test_the_site_answers_health_without_details_and_has_no_metrics(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    client = await aiohttp_client(build_app(serve_config(tmp_path)))
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/metrics")).status == 404
    assert (await admin_get(client, "/metrics"))[0] == 200
