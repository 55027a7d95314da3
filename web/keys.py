"""Typed application keys: every shared object the web app holds, in one place."""

from __future__ import annotations

import asyncio

from aiohttp import web

from db.outbox import Outbox
from db.profiles import Profiles
from db.store import Clock, Store
from db.throttles import Throttles
from ivr.config import Config
from ivr.email_verification import EmailVerification
from ivr.pbx_state import PbxState
from ivr.service import VerificationService
from web.coverage import CoverageCache
from web.login_csrf import LoginCsrf
from web.metrics import Metrics
from web.passwords import PasswordPool
from web.throttle import RateLimit

CONFIG = web.AppKey("CONFIG", Config)
#: The clock shared by the store, the throttle and the views (a fake one in tests).
CLOCK = web.AppKey[Clock]("CLOCK")
STORE = web.AppKey("STORE", Store)
SERVICE = web.AppKey("SERVICE", VerificationService)
#: Login throttles in the store; the pool that checks passwords; the login form's CSRF.
THROTTLE = web.AppKey("THROTTLE", Throttles)
PASSWORDS = web.AppKey("PASSWORDS", PasswordPool)
LOGIN_CSRF = web.AppKey("LOGIN_CSRF", LoginCsrf)
API_LIMIT = web.AppKey("API_LIMIT", RateLimit)
METRICS = web.AppKey("METRICS", Metrics)
PROFILES = web.AppKey("PROFILES", Profiles)
#: Mails waiting to be sent; the composition root's mailer drains it.
OUTBOX = web.AppKey("OUTBOX", Outbox)
#: E-mail addresses confirmed by a code mailed to them (My Page).
EMAILS = web.AppKey("EMAILS", EmailVerification)
#: What AMI tells of the PBX; the composition root's AMI client writes it.
PBX = web.AppKey("PBX", PbxState)
#: Running SSE handlers, cancelled at shutdown so a waiting browser never delays it.
SSE_TASKS = web.AppKey[set[asyncio.Task[None]]]("SSE_TASKS")
#: The operator console's registration coverage, counted at most once a minute.
COVERAGE = web.AppKey("COVERAGE", CoverageCache)
