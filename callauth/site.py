"""The site as ``serve`` runs it, and as the tests start it: the store opened, the services
over it (ivr/wiring.py), and the web app (web/app.py) given those services.

The store stays here, in the composition root: the web app never holds it. ``store_of``
and ``outbox_of`` are for what runs beside the site (demo seeding, the AMI client, the
mailer) and for tests that set up rows directly.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from callauth.db.clock import Clock, system_clock
from callauth.db.dbfile import StoreUnavailable
from callauth.db.outbox import Outbox
from callauth.db.store import Store
from callauth.ivr.config import Config
from callauth.ivr.wiring import Services, running_services
from callauth.web.app import create_app


@dataclass(frozen=True)
class _Parts:
    store: Store
    #: Mails waiting to be sent; the mailer drains it.
    outbox: Outbox


#: Each started site's parts, held here beside its web app rather than on it.
_PARTS: weakref.WeakKeyDictionary[web.Application, _Parts] = weakref.WeakKeyDictionary()


def store_of(app: web.Application) -> Store:
    """The store under the site ``app`` (once started)."""
    return _PARTS[app].store


def outbox_of(app: web.Application) -> Outbox:
    """The mails waiting to be sent from the site ``app`` (once started)."""
    return _PARTS[app].outbox


def create_site(config: Config, *, clock: Clock = system_clock) -> web.Application:
    """The web app for ``config`` over the store at ``config.db``, opened at start-up."""

    @contextlib.asynccontextmanager
    async def open_services() -> AsyncIterator[Services]:
        store = await Store.open(config.db, clock, pool=config.db_pool)
        try:
            health = await store.probe()
            if not health.ok:  # a site that cannot record a login or a call must not start
                raise StoreUnavailable(health.reason, health.db)
            _PARTS[app] = _Parts(store, Outbox(store))
            async with running_services(store, config) as services:
                yield services
        finally:
            await store.close()

    app = create_app(config, open_services, clock=clock)
    return app
