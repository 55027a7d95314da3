"""The admin listener: ``/metrics`` and the detailed health, away from the public site.

A second, small aiohttp app on its own port (``--admin HOST:PORT``, loopback by default):
what the PBX link is doing, how many calls ended how, are for the operator's scraper, not
for anyone who can reach the login page. It shares the site's objects (store, metrics,
PBX state) by holding the site app itself; the composition root runs it beside the site.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from callauth.web.errors import error_middleware
from callauth.web.views_ops import detailed_health, metrics_text

#: The site app whose store and metrics the admin app reports.
SITE = web.AppKey("SITE", web.Application)


async def healthz(request: web.Request) -> web.Response:
    status, body = await detailed_health(request.app[SITE])
    return web.json_response(body, status=status)


async def metrics(request: web.Request) -> web.Response:
    body = await metrics_text(request.app[SITE])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def create_admin_app(site: web.Application) -> web.Application:
    admin = web.Application(middlewares=[error_middleware])
    admin[SITE] = site
    admin.router.add_get("/healthz", healthz)
    admin.router.add_get("/metrics", metrics)
    return admin


#: On the site app: the port the admin listener bound (``--admin …:0`` picks a free one).
ADMIN_PORT = web.AppKey("ADMIN_PORT", int)
