"""Every service the web site and the FastAGI server ask of the domain, wired over one store.

The composition root opens the store and runs :func:`running_services` (callauth/site.py);
the web's views call these objects' methods and never the store (tests/test_layering.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from callauth.db.store import Store
from callauth.db.throttle_policy import ThrottlePolicy
from callauth.db.throttles import Throttles
from callauth.ivr.admin_ops import AdminOps
from callauth.ivr.challenge_watch import ChallengeWatch
from callauth.ivr.config import Config
from callauth.ivr.console_auth import ConsoleAuth
from callauth.ivr.email_verification import EmailVerification
from callauth.ivr.form_secrets import FormSecrets
from callauth.ivr.holder_pages import HolderPages
from callauth.ivr.holder_sessions import HolderSessions
from callauth.ivr.housekeeping import housekeeping
from callauth.ivr.login_flow import LoginFlow
from callauth.ivr.password_gate import PasswordGate
from callauth.ivr.passwords import PasswordPool
from callauth.ivr.phone_change_flow import PhoneChangeFlow
from callauth.ivr.service import VerificationService
from callauth.ivr.site_health import SiteHealth


@dataclass(frozen=True)
class Services:
    #: The call path (FastAGI, the classic script) and the challenges it verifies.
    calls: VerificationService
    login: LoginFlow
    #: What a waiting page (a login's, a phone change's) reads and listens to.
    watch: ChallengeWatch
    pages: HolderPages
    #: My Page's change of the registered number, and its e-mail address.
    changes: PhoneChangeFlow
    emails: EmailVerification
    #: The operators' console: its logins and sessions, and what it does.
    console: ConsoleAuth
    admin: AdminOps
    #: The holders' browser sessions (the web's session storage keeps its rows here).
    sessions: HolderSessions
    health: SiteHealth
    #: The bounded pool every password check runs on, and the store's login throttles.
    passwords: PasswordPool
    throttles: Throttles
    #: The keys that sign the forms' CSRF tokens.
    form_secrets: FormSecrets


def build_services(store: Store, config: Config) -> Services:
    web = config.web
    calls = VerificationService(store, config)
    throttles = Throttles(
        store, ThrottlePolicy(web.login_limit, web.login_window, web.login_id_lock)
    )
    pool = PasswordPool(web.password_workers, web.password_queue)
    gate = PasswordGate(pool, throttles, familiar=True)
    login = LoginFlow(store, config, calls, gate)
    return Services(
        calls=calls,
        login=login,
        watch=ChallengeWatch(store),
        pages=HolderPages(store, login, calls),
        changes=PhoneChangeFlow(store, config, calls, gate),
        emails=EmailVerification(store, config),
        console=ConsoleAuth(store, PasswordGate(pool, throttles, familiar=False)),
        admin=AdminOps(store, config, throttles, calls),
        sessions=HolderSessions(store),
        health=SiteHealth(store),
        passwords=pool,
        throttles=throttles,
        form_secrets=FormSecrets(store, config),
    )


@contextlib.asynccontextmanager
async def running_services(store: Store, config: Config) -> AsyncIterator[Services]:
    """The services over ``store`` with their background work, stopped on exit."""
    services = build_services(store, config)
    await services.passwords.warm_up()
    try:
        async with housekeeping(store, services.calls, services.throttles):
            yield services
    finally:
        await services.calls.drain_notices()  # queued mails are rows in this store
        services.passwords.close()
