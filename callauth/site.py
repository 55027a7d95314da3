"""The site as ``serve`` runs it, and as the tests start it: the store opened, the services
over it (ivr/wiring.py), and the web app (web/app.py) given those services.

The store stays here, in the composition root: the web never holds it. ``STORE`` and
``OUTBOX`` are for what runs beside the site (demo seeding, the AMI client, the mailer)
and for tests that set up rows directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from callauth.db.clock import Clock, system_clock
from callauth.db.dbfile import StoreUnavailable
from callauth.db.outbox import Outbox
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.wiring import Services, running_services
from callauth.web.app import create_app

STORE = web.AppKey("STORE", Store)
#: Mails waiting to be sent; the mailer drains it.
OUTBOX = web.AppKey("OUTBOX", Outbox)


def create_site(config: Config, *, clock: Clock = system_clock) -> web.Application:
    """The web app for ``config`` over the store at ``config.db``, opened at start-up."""

    @contextlib.asynccontextmanager
    async def open_services() -> AsyncIterator[Services]:
        store = await Store.open(config.db, clock, pool=config.db_pool)
        try:
            health = await store.probe()
            if not health.ok:  # a site that cannot record a login or a call must not start
                raise StoreUnavailable(health.reason, health.db)
            app[STORE], app[OUTBOX] = store, Outbox(store)
            async with running_services(store, config) as services:
                yield services
        finally:
            await store.close()

    app = create_app(config, open_services, clock=clock)
    return app
