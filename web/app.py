"""The web application factory: ``create_app(config)``.

Resources are single-yield ``cleanup_ctx`` generators, set up in order and torn down in
reverse. The composition root may append its own (the FastAGI server reads app[SERVICES].calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import web

from callauth.db.dbfile import StoreUnavailable
from callauth.db.external import ExternalChanges
from callauth.db.outbox import Outbox
from callauth.db.store import Clock, Store, system_clock
from callauth.ivr.config import Config
from callauth.ivr.email_verification import EmailVerification
from callauth.ivr.pbx_state import PbxCollector, PbxState
from callauth.ivr.services import Services, running_services
from callauth.web import filters
from callauth.web.cookie_policy import secure_cookie_middleware
from callauth.web.cors import cors_headers
from callauth.web.csrf import csrf_context, csrf_middleware
from callauth.web.enforcement import Enforcement
from callauth.web.errors import error_middleware
from callauth.web.keys import (
    API_LIMIT,
    CLOCK,
    CONFIG,
    EMAILS,
    METRICS,
    OUTBOX,
    PBX,
    SERVICES,
    SSE_TASKS,
    STORE,
)
from callauth.web.login_guards import login_guards_ctx
from callauth.web.metrics import Metrics
from callauth.web.routes import setup_routes
from callauth.web.sessions import StoreStorage
from callauth.web.throttle import RateLimit

logger = logging.getLogger(__name__)

BRAND = "みらい少額短期保険"
#: expire_due runs every tick so waiting pages hear 'expired' within a second.
TICK_SECONDS = 1.0
PURGE_EVERY_TICKS = 60
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def create_app(config: Config, *, clock: Clock = system_clock) -> web.Application:
    """The site for ``config``; ``clock`` (epoch seconds) is replaceable for tests."""
    # Outermost: cookie_secure "auto" decides per request, once every cookie is set.
    app = web.Application(middlewares=[secure_cookie_middleware, error_middleware])
    app[CONFIG] = config
    app[CLOCK] = clock
    app[API_LIMIT] = RateLimit(config.web.api_rate_limit, 60, clock)
    app[METRICS] = Metrics()
    app[PBX] = PbxState()
    app[METRICS].registry.register(PbxCollector(app[PBX]))
    app[SSE_TASKS] = set()
    # Order matters: errors outermost, then sessions, then CSRF (which reads the session).
    aiohttp_session.setup(
        app,
        StoreStorage(max_age=config.web.session_max_age, secure=config.web.cookie_secure == "true"),
    )
    app.middlewares.append(csrf_middleware)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("callauth.web", "templates"),
        filters=filters.FILTERS,
        context_processors=[csrf_context],  # every page's forms get csrf_token
    )
    env.globals["brand"] = BRAND
    env.globals["enforcement"] = Enforcement(config.site, clock)
    env.globals["call_centre"] = {
        "name": config.site.call_centre_name,
        "phone": config.site.call_centre_phone,
        "hours": config.site.call_centre_hours,
    }
    setup_routes(app)
    app.cleanup_ctx.append(store_ctx)
    app.cleanup_ctx.append(login_guards_ctx)
    app.cleanup_ctx.append(housekeeping_ctx)
    app.cleanup_ctx.append(external_changes_ctx)
    app.on_response_prepare.append(_security_headers)
    app.on_response_prepare.append(cors_headers)
    app.on_shutdown.append(_stop_event_streams)
    return app


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    # Everything is served from this origin (no CDN); no page may be framed (clickjacking).
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    store = await Store.open(config.db, app[CLOCK])
    health = await store.probe()
    if not health.ok:  # a site that cannot record a login or a call must not start
        await store.close()
        raise StoreUnavailable(health.reason, health.db)
    app[STORE] = store
    app[OUTBOX] = Outbox(store)
    app[EMAILS] = EmailVerification(store, config, app[OUTBOX])
    try:
        async with running_services(store, config) as services:
            app[SERVICES] = services
            yield
    finally:
        await store.close()


async def housekeeping_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(
        _housekeeping(app[STORE], app[SERVICES]), name="callauth-housekeeping"
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def external_changes_ctx(app: web.Application) -> AsyncIterator[None]:
    """Verifications by the classic AGI script or another ``serve`` on this file reach the
    waiting pages too (db/external.py polls SQLite's data_version)."""
    store = app[STORE]
    watcher = ExternalChanges(store.transactions, store.events)
    task = asyncio.create_task(watcher.run(), name="callauth-external-changes")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _housekeeping(store: Store, services: Services) -> None:
    ticks = 0
    while True:
        try:
            # The probe finds a store gone bad (or back) even when nobody asks /healthz;
            # while it is bad the chores would only fail, and log it every second.
            if (await store.probe()).ok:
                await store.expire_due()
                await services.calls.settle_phone_changes()
                if ticks % PURGE_EVERY_TICKS == 0:
                    await store.purge_sessions()
        except Exception as exc:  # keep ticking: a busy database now is fine next second
            logger.warning("housekeeping failed: %r", exc)
        ticks += 1
        await asyncio.sleep(TICK_SECONDS)


async def _stop_event_streams(app: web.Application) -> None:
    """Waiting browsers would hold shutdown for the whole grace period; end them now."""
    tasks: set[asyncio.Task[None]] = app[SSE_TASKS]
    for task in list(tasks):
        task.cancel()
