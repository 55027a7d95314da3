"""What the login form needs once the services run: its CSRF signer (the key from the
services, web/login_csrf.py) and the password pool's counters on /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from callauth.ivr.passwords import PoolCollector
from callauth.web.keys import CLOCK, CONFIG, LOGIN_CSRF, METRICS, SERVICES
from callauth.web.login_csrf import LoginCsrf

#: The name of the generated signing key in the store.
SECRET_NAME = "login_form_csrf"


async def login_guards_ctx(app: web.Application) -> AsyncIterator[None]:
    """Needs the services (runs after them)."""
    services = app[SERVICES]
    secret = await services.form_secrets.key(SECRET_NAME)
    # A login form stays valid as long as a session would.
    app[LOGIN_CSRF] = LoginCsrf(secret, max_age=app[CONFIG].web.session_max_age, clock=app[CLOCK])
    collector = PoolCollector(services.passwords)
    app[METRICS].registry.register(collector)
    try:
        yield
    finally:
        app[METRICS].registry.unregister(collector)
