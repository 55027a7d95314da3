"""/favicon.ico: browsers ask for it on every page; a 404 there fills logs and tabs."""

from __future__ import annotations

import pathlib

from aiohttp import web

ICON = pathlib.Path(__file__).parent / "static" / "favicon.ico"


async def favicon(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        ICON, headers={"Content-Type": "image/x-icon", "Cache-Control": "public, max-age=86400"}
    )
