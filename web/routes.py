"""Every URL of the site, in one table (DESIGN.md "Public interface")."""

from __future__ import annotations

import pathlib

from aiohttp import web

from web import sse, views_api, views_auth, views_mypage, views_ops, views_verify

STATIC_DIR = pathlib.Path(__file__).parent / "static"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", views_auth.index)
    app.router.add_get("/login", views_auth.login_form)
    app.router.add_post("/login", views_auth.login)
    app.router.add_post("/logout", views_auth.logout)
    app.router.add_get("/verify", views_verify.verify_page)
    app.router.add_post("/verify/reissue", views_verify.reissue)
    app.router.add_get("/verify/status", views_verify.status)
    app.router.add_get("/verify/events", sse.verify_events)
    app.router.add_get("/mypage", views_mypage.mypage)
    app.router.add_get("/healthz", views_ops.healthz)
    app.router.add_get("/metrics", views_ops.metrics)
    app.router.add_post("/api/phone/validate", views_api.validate_phone)
    app.router.add_static("/static/", STATIC_DIR, name="static")
