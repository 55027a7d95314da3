"""Typed application keys: every shared object the web app holds, in one place.

The domain is reached only through ``SERVICES``; the web holds no store.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from callauth.db.clock import Clock
from callauth.ivr.config import Config
from callauth.ivr.pbx_state import PbxState
from callauth.ivr.wiring import Services
from callauth.web.login_csrf import LoginCsrf
from callauth.web.metrics import Metrics
from callauth.web.throttle import RateLimit

CONFIG = web.AppKey("CONFIG", Config)
#: The clock shared by the services, the throttle and the views (a fake one in tests).
CLOCK = web.AppKey[Clock]("CLOCK")
#: The domain's services (ivr/wiring.py): every flow a view starts is one of their methods.
SERVICES = web.AppKey("SERVICES", Services)
#: The login form's CSRF signer.
LOGIN_CSRF = web.AppKey("LOGIN_CSRF", LoginCsrf)
API_LIMIT = web.AppKey("API_LIMIT", RateLimit)
METRICS = web.AppKey("METRICS", Metrics)
#: What AMI tells of the PBX; the composition root's AMI client writes it.
PBX = web.AppKey("PBX", PbxState)
#: Running SSE handlers, cancelled at shutdown so a waiting browser never delays it.
SSE_TASKS = web.AppKey[set[asyncio.Task[None]]]("SSE_TASKS")
