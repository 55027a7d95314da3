"""Operations endpoints: the public health probe, and what the admin listener reports.

The public ``/healthz`` says only ok / unavailable; details (database, PBX link) and the
Prometheus metrics are served on the admin listener (web/admin_app.py).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from callauth.db.models import StoreHealth
from callauth.web.keys import METRICS, PBX, SERVICES

logger = logging.getLogger(__name__)


async def store_problem(app: web.Application) -> StoreHealth | None:
    """The one probe of the store, for both health answers: None, or what is wrong."""
    # A real write, and the file still the one opened (logged once per change).
    return await app[SERVICES].health.problem()


async def healthz(request: web.Request) -> web.Response:
    """Public: a load balancer needs ok or not, and nobody else needs more."""
    if await store_problem(request.app) is not None:
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def detailed_health(site: web.Application) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for the admin listener's /healthz."""
    problem = await store_problem(site)
    pbx = site[PBX].snapshot()
    if problem is not None:
        return 503, {"status": "error", "db": problem.db, "reason": problem.reason, "pbx": pbx}
    # AMI only adds facts to the call log: a disconnected PBX link is reported, not fatal.
    return 200, {"status": "ok", "db": "ok", "pbx": pbx}


async def metrics_text(site: web.Application) -> bytes:
    counts = await site[SERVICES].health.outcome_counts()
    return site[METRICS].render(counts)
