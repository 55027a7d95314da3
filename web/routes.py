"""Every URL of the site, in one table (DESIGN.md "Public interface").

Each route has a name; views and templates build paths from it (web/urls.py).
"""

from __future__ import annotations

import pathlib

from aiohttp import web

from callauth.web import (
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
from callauth.web.keys import CONFIG
from callauth.web.routes_admin import setup_admin_routes

STATIC_DIR = pathlib.Path(__file__).parent / "static"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", views_auth.index, name="index")
    app.router.add_get("/login", views_auth.login_form, name="login")
    app.router.add_post("/login", views_auth.login, name="login")
    app.router.add_post("/logout", views_auth.logout, name="logout")
    app.router.add_get("/verify", views_verify.verify_page, name="verify")
    app.router.add_post("/verify/reissue", views_verify.reissue, name="verify.reissue")
    app.router.add_get("/verify/status", views_verify.status, name="verify.status")
    app.router.add_get("/verify/events", sse.verify_events, name="verify.events")
    app.router.add_get("/mypage", views_mypage.mypage, name="mypage")
    _phone_change_routes(app)
    app.router.add_get("/mypage/email", views_email.email_form, name="email")
    app.router.add_post("/mypage/email", views_email.email_submit, name="email")
    app.router.add_post("/mypage/email/confirm", views_email.email_confirm, name="email.confirm")
    app.router.add_get("/mypage/email/verify", views_email.verify_page, name="email.verify")
    app.router.add_post("/mypage/email/verify", views_email.verify_submit, name="email.verify")
    app.router.add_get("/healthz", views_ops.healthz, name="healthz")
    # Each API path answers the CORS preflight too (web/cors.py).
    validate = app.router.add_resource("/api/phone/validate", name="api.phone.validate")
    validate.add_route("POST", views_api.validate_phone)
    validate.add_route("OPTIONS", cors.preflight)
    spec = app.router.add_resource("/api/openapi.json", name="api.openapi")
    spec.add_route("GET", openapi.openapi)
    spec.add_route("OPTIONS", cors.preflight)
    if app[CONFIG].demo:  # the insurer's application form, as an insurer would embed the field
        app.router.add_get("/demo/apply", views_demo.apply_form, name="demo.apply")
        app.router.add_post("/demo/apply", views_demo.apply_submit, name="demo.apply")
    setup_admin_routes(app)  # the operator console (web/routes_admin.py)
    app.router.add_get("/favicon.ico", favicon.favicon, name="favicon")
    app.router.add_static("/static/", STATIC_DIR, name="static")


def _phone_change_routes(app: web.Application) -> None:
    """ご契約一覧 → contract → 変更する → 次へ → confirm → call from the new number → done."""
    contract = "/mypage/contracts/{contract_id:\\d+}"
    app.router.add_get(contract, views_contracts.contract_page, name="contract")
    app.router.add_get(
        contract + "/change/{party}", views_contracts.change_form, name="contract.change"
    )
    app.router.add_post(
        contract + "/change/{party}", views_contracts.change_submit, name="contract.change"
    )
    change = "/mypage/changes/{change_id:\\d+}"
    app.router.add_get(change + "/confirm", views_phone_change.confirm_page, name="change.confirm")
    app.router.add_post(
        change + "/confirm", views_phone_change.confirm_submit, name="change.confirm"
    )
    app.router.add_get(change + "/call", views_phone_change.call_page, name="change.call")
    app.router.add_get(change + "/status", views_phone_change.call_status, name="change.status")
    app.router.add_get(change + "/events", views_phone_change.call_events, name="change.events")
    app.router.add_post(change + "/cancel", views_phone_change.cancel, name="change.cancel")
    app.router.add_get(change + "/done", views_phone_change.done_page, name="change.done")
