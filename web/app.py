"""The web application factory: ``create_app(config, open_services)``.

The site reaches the domain only through the services (ivr/wiring.py), which the
composition root opens (callauth/site.py: the store, the services over it) and hands over
as ``open_services``. Resources are single-yield ``cleanup_ctx`` generators, set up in
order and torn down in reverse; the composition root may append its own (the FastAGI
server takes ``app[SERVICES].calls``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import web

from callauth.db.clock import Clock, system_clock
from callauth.ivr.config import Config
from callauth.ivr.pbx_state import PbxCollector, PbxState
from callauth.ivr.wiring import Services
from callauth.web import filters
from callauth.web.cookie_policy import secure_cookie_middleware
from callauth.web.cors import cors_headers
from callauth.web.csrf import csrf_context, csrf_middleware
from callauth.web.enforcement import Enforcement
from callauth.web.errors import error_middleware
from callauth.web.keys import API_LIMIT, CLOCK, CONFIG, METRICS, PBX, SERVICES, SSE_TASKS
from callauth.web.login_guards import login_guards_ctx
from callauth.web.metrics import Metrics
from callauth.web.routes import setup_routes
from callauth.web.sessions import ServerStorage
from callauth.web.throttle import RateLimit

BRAND = "みらい少額短期保険"
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
#: Opens the services (and what they stand on) for the app's lifetime.
ServicesOpener = Callable[[], AbstractAsyncContextManager[Services]]
_OPENER = web.AppKey[ServicesOpener]("OPENER")


def create_app(
    config: Config, open_services: ServicesOpener, *, clock: Clock = system_clock
) -> web.Application:
    """The site for ``config``; ``clock`` (epoch seconds, the services' own) is
    replaceable for tests."""
    # Outermost: cookie_secure "auto" decides per request, once every cookie is set.
    app = web.Application(middlewares=[secure_cookie_middleware, error_middleware])
    app[CONFIG], app[CLOCK], app[_OPENER] = config, clock, open_services
    app[API_LIMIT] = RateLimit(config.web.api_rate_limit, 60, clock)
    app[METRICS] = Metrics()
    app[PBX] = PbxState()
    app[METRICS].registry.register(PbxCollector(app[PBX]))
    app[SSE_TASKS] = set()
    # Order matters: errors outermost, then sessions, then CSRF (which reads the session).
    cookie_secure = config.web.cookie_secure == "true"
    aiohttp_session.setup(
        app, ServerStorage(max_age=config.web.session_max_age, secure=cookie_secure)
    )
    app.middlewares.append(csrf_middleware)
    _templates(app, config, clock)
    setup_routes(app)
    app.cleanup_ctx.append(services_ctx)
    app.cleanup_ctx.append(login_guards_ctx)
    app.on_response_prepare.append(_security_headers)
    app.on_response_prepare.append(cors_headers)
    app.on_shutdown.append(_stop_event_streams)
    return app


def _templates(app: web.Application, config: Config, clock: Clock) -> None:
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


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    # Everything is served from this origin (no CDN); no page may be framed (clickjacking).
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")


async def services_ctx(app: web.Application) -> AsyncIterator[None]:
    """The services for as long as the app runs (the store first, closed last)."""
    async with app[_OPENER]() as services:
        app[SERVICES] = services
        yield


async def _stop_event_streams(app: web.Application) -> None:
    """Waiting browsers would hold shutdown for the whole grace period; end them now."""
    tasks: set[asyncio.Task[None]] = app[SSE_TASKS]
    for task in list(tasks):
        task.cancel()
