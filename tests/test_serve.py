"""`callauth serve`'s app: web, FastAGI and the AMI client in one lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from callauth.serve import build_app
from ivr.config import Address, Config
from tests.ami_support import AmiScript, ScriptedAmi

Client = TestClient[Any, Any]


async def until_healthz(client: Client, status: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            body: dict[str, Any] = await (await client.get("/healthz")).json()
            if body["pbx"]["status"] == status:
                return body
            await asyncio.sleep(0.02)


async def test_healthz_and_metrics_report_the_ami_link(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    ami = ScriptedAmi(AmiScript.from_fixtures())
    await ami.start()
    try:
        config = Config(
            db=str(tmp_path / "callauth.db"), agi=Address("127.0.0.1", 0), ami_enabled=True,
            ami=Address("127.0.0.1", ami.port), ami_user="ivr", ami_secret="secret",
            ami_retry_min=0.05, ami_retry_max=0.2,
        )  # fmt: skip
        client = await aiohttp_client(build_app(config))
        body = await until_healthz(client, "connected")
        assert body["status"] == "ok" and body["pbx"]["address"].endswith(str(ami.port))
        metrics = await (await client.get("/metrics")).text()
        assert "callauth_ami_connected 1.0" in metrics
        await ami.stop()
        body = await until_healthz(client, "disconnected")
        assert body["status"] == "ok"  # the site and verification work without AMI
    finally:
        await ami.stop()


async def test_metrics_carry_the_fastagi_connections_and_bounds(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = Config(db=str(tmp_path / "callauth.db"), agi=Address("127.0.0.1", 0))
    client = await aiohttp_client(build_app(config))
    text = await (await client.get("/metrics")).text()
    assert "callauth_fastagi_connections 0.0" in text
    assert "callauth_fastagi_refused_total 0.0" in text
    assert "callauth_fastagi_deadline_exceeded_total 0.0" in text


async def test_without_ami_the_pbx_link_is_reported_off(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    config = Config(db=str(tmp_path / "callauth.db"), agi=Address("127.0.0.1", 0))
    client = await aiohttp_client(build_app(config))
    assert (await until_healthz(client, "off"))["db"] == "ok"
    assert "callauth_ami_connected 0.0" in await (await client.get("/metrics")).text()
