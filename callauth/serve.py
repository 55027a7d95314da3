"""`callauth serve`: web, FastAGI and background work on one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from callauth import demo, mailer
from callauth.db import backend
from callauth.ivr import number_pool
from callauth.ivr.agi_server import start_fastagi
from callauth.ivr.ami import start_ami
from callauth.ivr.config import Address, Config, Telephony
from callauth.preflight import check_ports_free, listeners
from callauth.site import create_site, outbox_of, store_of
from callauth.web import keys
from callauth.web.admin_app import ADMIN_PORT, create_admin_app

logger = logging.getLogger(__name__)


def build_app(config: Config) -> web.Application:
    """The web app with the FastAGI server (and demo seeding) in its lifecycle.

    Contexts run in order at start-up and in reverse at shutdown: the store opens first
    and closes last, after the FastAGI server has stopped taking calls.
    """
    app = create_site(config)
    app.cleanup_ctx.append(_admin_ctx)
    if config.demo:
        app.cleanup_ctx.append(_demo_ctx)
    app.cleanup_ctx.append(_fastagi_ctx)
    app.cleanup_ctx.append(_ami_ctx)
    app.cleanup_ctx.append(_mail_ctx)
    return app


async def _admin_ctx(app: web.Application) -> AsyncIterator[None]:
    """The admin listener (/metrics, detailed health) on its own runner and port."""
    admin = app[keys.CONFIG].web.admin
    runner = web.AppRunner(create_admin_app(app), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, admin.host, admin.port).start()
        app[ADMIN_PORT] = port = int(runner.addresses[0][1])
        print(f"Admin: http://{Address(admin.host, port)}/metrics", flush=True)
        yield
    finally:
        await runner.cleanup()


async def _demo_ctx(app: web.Application) -> AsyncIterator[None]:
    if await demo.seed(store_of(app)):
        logger.info("seeded demo data")
    print(demo.credentials(), flush=True)
    yield


async def _fastagi_ctx(app: web.Application) -> AsyncIterator[None]:
    telephony = app[keys.CONFIG].telephony
    server = await start_fastagi(app[keys.SERVICES].calls, telephony)
    print(f"FastAGI: agi://{telephony.agi}/auth", flush=True)
    collector = server.collector()
    app[keys.METRICS].registry.register(collector)
    try:
        yield
    finally:
        await server.close()
        app[keys.METRICS].registry.unregister(collector)


async def _ami_ctx(app: web.Application) -> AsyncIterator[None]:
    client = await start_ami(app[keys.CONFIG], app[keys.PBX], store_of(app))
    try:
        yield
    finally:
        if client is not None:
            await client.stop()


async def _mail_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    if not config.site.mail_enabled:
        print("Mail: off (mail_enabled = false)", flush=True)
        yield
        return
    sender = mailer.Mailer(
        outbox_of(app), config.site, store_of(app).clock, mailer.transport_for(config)
    )
    print(f"Mail: {sender.transport.describe()}", flush=True)
    task = asyncio.create_task(sender.run(), name="callauth-mailer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def pool_warning(config: Telephony) -> str | None:
    """Why the authentication-number pool is too small for the settings, if it is."""
    have = len(set(config.auth_numbers_e164))
    needed = number_pool.needed_pool_size(config.max_live_challenges, config.reissue_limit)
    if have >= needed:
        return None
    hours = config.number_cooldown / 3600
    fallback = (
        "two logins of one phone will share a number and end 'ambiguous' (code_mode = never)"
        if config.code_mode == "never"
        else "logins of one phone will need keypad codes sooner (the call is answered)"
    )
    return (
        f"auth_numbers: {have} number(s) for max_live_challenges = {config.max_live_challenges}"
        f" and reissue_limit = {config.reissue_limit} within number_cooldown = {hours:g} h;"
        f" {fallback}. {needed} numbers avoid it (asterisk-conf/README.md, 'How many numbers')"
    )


def run(config: Config) -> None:
    if (warning := pool_warning(config.telephony)) is not None:
        logger.warning("%s", warning)
    # A port in use must not cost a created and migrated database: check before opening it.
    check_ports_free(listeners(config))
    print(
        f"callauth: database {backend.shown(config.db)}, call mode {config.telephony.call_mode}",
        flush=True,
    )
    web.run_app(
        build_app(config),
        host=config.web.http.host,
        port=config.web.http.port,
        print=lambda _: print(f"Web: http://{config.web.http}/login", flush=True),
        access_log=None,
    )
