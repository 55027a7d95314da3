"""What stands between a login form and a password check, as one cleanup context: the
store's throttles, the bounded password pool and the login form's CSRF signer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from callauth.db import server_secrets
from callauth.db.throttles import ThrottlePolicy, Throttles
from callauth.web.keys import CLOCK, CONFIG, LOGIN_CSRF, METRICS, PASSWORDS, STORE, THROTTLE
from callauth.web.login_csrf import LoginCsrf
from callauth.web.passwords import PasswordPool, PasswordPoolBusy, PoolCollector, Ticket

logger = logging.getLogger(__name__)

#: Throttle rows that hold nothing back any more are removed this often (seconds).
PURGE_EVERY = 600.0
#: The name of the generated signing key in ``server_secrets``.
SECRET_NAME = "login_form_csrf"


async def login_guards_ctx(app: web.Application) -> AsyncIterator[None]:
    """Needs the store (runs after ``store_ctx``)."""
    config, store = app[CONFIG].web, app[STORE]
    policy = ThrottlePolicy(config.login_limit, config.login_window, config.login_id_lock)
    app[THROTTLE] = Throttles(store, policy)
    secret = config.secret_key or await server_secrets.get_or_create(
        store, SECRET_NAME, secrets.token_urlsafe(32)
    )
    # A login form stays valid as long as a session would.
    app[LOGIN_CSRF] = LoginCsrf(secret, max_age=config.session_max_age, clock=app[CLOCK])
    pool = PasswordPool(config.password_workers, config.password_queue)
    app[PASSWORDS] = pool
    collector = PoolCollector(pool)
    app[METRICS].registry.register(collector)
    await pool.warm_up()
    purge = asyncio.create_task(_purge(app[THROTTLE]), name="callauth-throttle-purge")
    try:
        yield
    finally:
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        app[METRICS].registry.unregister(collector)
        pool.close()


async def password_ticket(app: web.Application, login_id: str, address: str) -> Ticket:
    """A place in the password pool for this attempt, or :class:`PasswordPoolBusy`; when
    the pool is full, a holder at a familiar address may take one of the reserved places."""
    pool = app[PASSWORDS]
    try:
        return pool.ticket()
    except PasswordPoolBusy:
        if not await app[THROTTLE].familiar(login_id, address):
            raise
    return pool.ticket(familiar=True)


async def _purge(throttles: Throttles) -> None:
    while True:
        try:
            removed = await throttles.purge()
            if removed:
                logger.info("forgot %d login throttle rows that hold nothing back", removed)
        except Exception as exc:  # a busy database now is fine next time
            logger.warning("throttle purge failed: %r", exc)
        await asyncio.sleep(PURGE_EVERY)
