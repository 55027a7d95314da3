"""Everything the web site and the FastAGI server ask of the domain, built over one store.

The composition root opens the store and runs :func:`running_services`; the web's views
call these objects' methods and never the store (tests/test_layering.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from callauth.db.store import Store
from callauth.db.throttles import ThrottlePolicy, Throttles
from callauth.ivr.challenge_watch import ChallengeWatch
from callauth.ivr.config import Config
from callauth.ivr.form_secrets import FormSecrets
from callauth.ivr.holder_pages import HolderPages
from callauth.ivr.login_flow import LoginFlow
from callauth.ivr.password_gate import PasswordGate
from callauth.ivr.passwords import PasswordPool
from callauth.ivr.phone_change_flow import PhoneChangeFlow
from callauth.ivr.service import VerificationService

logger = logging.getLogger(__name__)

#: Throttle rows that hold nothing back any more are removed this often (seconds).
THROTTLE_PURGE_EVERY = 600.0


@dataclass(frozen=True)
class Services:
    #: The call path (FastAGI, the classic script) and the challenges it verifies.
    calls: VerificationService
    login: LoginFlow
    #: What a waiting page (a login's, a phone change's) reads and listens to.
    watch: ChallengeWatch
    pages: HolderPages
    #: My Page's change of the registered number.
    changes: PhoneChangeFlow
    #: The bounded pool every password check runs on, and the store's login throttles.
    passwords: PasswordPool
    throttles: Throttles
    #: The keys that sign the forms' CSRF tokens.
    form_secrets: FormSecrets


def build_services(store: Store, config: Config) -> Services:
    calls = VerificationService(store, config)
    policy = ThrottlePolicy(
        config.web.login_limit, config.web.login_window, config.web.login_id_lock
    )
    throttles = Throttles(store, policy)
    pool = PasswordPool(config.web.password_workers, config.web.password_queue)
    gate = PasswordGate(pool, throttles, familiar=True)
    login = LoginFlow(store, config, calls, gate)
    return Services(
        calls=calls,
        login=login,
        watch=ChallengeWatch(store),
        pages=HolderPages(store, login, calls),
        changes=PhoneChangeFlow(store, config, calls, gate),
        passwords=pool,
        throttles=throttles,
        form_secrets=FormSecrets(store, config),
    )


@contextlib.asynccontextmanager
async def running_services(store: Store, config: Config) -> AsyncIterator[Services]:
    """The services over ``store`` with their background work, stopped on exit."""
    services = build_services(store, config)
    await services.passwords.warm_up()
    purge = asyncio.create_task(_purge(services.throttles), name="callauth-throttle-purge")
    try:
        yield services
    finally:
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        await services.calls.drain_notices()  # queued mails are rows in this store
        services.passwords.close()


async def _purge(throttles: Throttles) -> None:
    while True:
        try:
            removed = await throttles.purge()
            if removed:
                logger.info("forgot %d login throttle rows that hold nothing back", removed)
        except Exception as exc:  # a busy database now is fine next time
            logger.warning("throttle purge failed: %r", exc)
        await asyncio.sleep(THROTTLE_PURGE_EVERY)
