"""Operations endpoints: health and Prometheus metrics."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from web.keys import METRICS, PBX, STORE

logger = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[STORE].count_holders()
    except Exception as exc:  # reported to the probe, not raised: the site itself is up
        logger.warning("health check: database unreachable: %r", exc)
        return web.json_response(
            {"status": "error", "db": "unreachable", "pbx": request.app[PBX].snapshot()},
            status=503,
        )
    # AMI only adds facts to the call log: a disconnected PBX link is reported, not fatal.
    return web.json_response({"status": "ok", "db": "ok", "pbx": request.app[PBX].snapshot()})


async def metrics(request: web.Request) -> web.Response:
    counts = await request.app[STORE].outcome_counts()
    body = request.app[METRICS].render(counts)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
