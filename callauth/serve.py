"""`callauth serve`: web, FastAGI and background work on one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from callauth import demo, mailer
from callauth.preflight import check_ports_free, listeners
from ivr.agi_server import start_fastagi
from ivr.ami import start_ami
from ivr.config import Config
from web import keys
from web.app import create_app

logger = logging.getLogger(__name__)


def build_app(config: Config) -> web.Application:
    """The web app with the FastAGI server (and demo seeding) in its lifecycle.

    Contexts run in order at start-up and in reverse at shutdown: the store opens first
    and closes last, after the FastAGI server has stopped taking calls.
    """
    app = create_app(config)
    if config.demo:
        app.cleanup_ctx.append(_demo_ctx)
    app.cleanup_ctx.append(_fastagi_ctx)
    app.cleanup_ctx.append(_ami_ctx)
    app.cleanup_ctx.append(_mail_ctx)
    return app


async def _demo_ctx(app: web.Application) -> AsyncIterator[None]:
    if await demo.seed(app[keys.STORE]):
        logger.info("seeded demo data")
    print(demo.credentials(), flush=True)
    yield


async def _fastagi_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    server = await start_fastagi(app[keys.SERVICE], config)
    print(f"FastAGI: agi://{config.agi}/auth", flush=True)
    collector = server.collector()
    app[keys.METRICS].registry.register(collector)
    try:
        yield
    finally:
        await server.close()
        app[keys.METRICS].registry.unregister(collector)


async def _ami_ctx(app: web.Application) -> AsyncIterator[None]:
    client = await start_ami(app[keys.CONFIG], app[keys.PBX], app[keys.STORE])
    try:
        yield
    finally:
        if client is not None:
            await client.stop()


async def _mail_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    if not config.mail_enabled:
        print("Mail: off (mail_enabled = false)", flush=True)
        yield
        return
    sender = mailer.Mailer(
        app[keys.OUTBOX], config, app[keys.STORE].clock, mailer.transport_for(config)
    )
    print(f"Mail: {sender.transport.describe()}", flush=True)
    task = asyncio.create_task(sender.run(), name="callauth-mailer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def run(config: Config) -> None:
    # A port in use must not cost a created and migrated database: check before opening it.
    check_ports_free(listeners(config))
    print(f"callauth: database {config.db}, call mode {config.call_mode}", flush=True)
    web.run_app(
        build_app(config),
        host=config.http.host,
        port=config.http.port,
        print=lambda _: print(f"Web: http://{config.http}/login", flush=True),
        access_log=None,
    )
