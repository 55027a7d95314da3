"""Every URL of the site, in one table (DESIGN.md "Public interface")."""

from __future__ import annotations

import pathlib

from aiohttp import web

from web import (
    cors,
    favicon,
    openapi,
    sse,
    views_api,
    views_auth,
    views_contracts,
    views_demo,
    views_email,
    views_mypage,
    views_ops,
    views_phone_change,
    views_verify,
)
from web.keys import CONFIG
from web.routes_admin import setup_admin_routes

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
    _phone_change_routes(app)
    app.router.add_get("/mypage/email", views_email.email_form)
    app.router.add_post("/mypage/email", views_email.email_submit)
    app.router.add_post("/mypage/email/confirm", views_email.email_confirm)
    app.router.add_get("/mypage/email/verify", views_email.verify_page)
    app.router.add_post("/mypage/email/verify", views_email.verify_submit)
    app.router.add_get("/healthz", views_ops.healthz)
    app.router.add_post("/api/phone/validate", views_api.validate_phone)
    app.router.add_get("/api/openapi.json", openapi.openapi)
    for path in ("/api/phone/validate", "/api/openapi.json"):  # CORS preflight (web/cors.py)
        app.router.add_route("OPTIONS", path, cors.preflight)
    if app[CONFIG].demo:  # the insurer's application form, as an insurer would embed the field
        app.router.add_get("/demo/apply", views_demo.apply_form)
        app.router.add_post("/demo/apply", views_demo.apply_submit)
    setup_admin_routes(app)  # the operator console (web/routes_admin.py)
    app.router.add_get("/favicon.ico", favicon.favicon)
    app.router.add_static("/static/", STATIC_DIR, name="static")


def _phone_change_routes(app: web.Application) -> None:
    """ご契約一覧 → contract → 変更する → 次へ → confirm → call from the new number → done."""
    contract = "/mypage/contracts/{contract_id:\\d+}"
    app.router.add_get(contract, views_contracts.contract_page)
    app.router.add_get(contract + "/change/{party}", views_contracts.change_form)
    app.router.add_post(contract + "/change/{party}", views_contracts.change_submit)
    change = "/mypage/changes/{change_id:\\d+}"
    app.router.add_get(change + "/confirm", views_phone_change.confirm_page)
    app.router.add_post(change + "/confirm", views_phone_change.confirm_submit)
    app.router.add_get(change + "/call", views_phone_change.call_page)
    app.router.add_get(change + "/status", views_phone_change.call_status)
    app.router.add_get(change + "/events", views_phone_change.call_events)
    app.router.add_post(change + "/cancel", views_phone_change.cancel)
    app.router.add_get(change + "/done", views_phone_change.done_page)
