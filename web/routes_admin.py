"""The operator console's URLs, all under /admin (the holders' pages are in web/routes.py).

Not to be confused with the admin *listener* (``--admin``, web/admin_app.py): /metrics and
the detailed health on a port of its own, for the scraper.
"""

from __future__ import annotations

from aiohttp import web

from callauth.web import views_admin_auth, views_admin_dashboard, views_admin_holders


def setup_admin_routes(app: web.Application) -> None:
    add_get, add_post = app.router.add_get, app.router.add_post
    add_get("/admin/login", views_admin_auth.login_form, name="admin.login")
    add_post("/admin/login", views_admin_auth.login, name="admin.login")
    add_post("/admin/logout", views_admin_auth.logout, name="admin.logout")
    add_get("/admin", views_admin_dashboard.dashboard, name="admin")
    add_get("/admin/coverage", views_admin_dashboard.coverage, name="admin.coverage")
    add_get("/admin/coverage.csv", views_admin_dashboard.coverage_csv, name="admin.coverage_csv")
    add_get("/admin/holders", views_admin_holders.search, name="admin.holders")
    holder = "/admin/holders/{holder_id:\\d+}"
    add_get(holder, views_admin_holders.holder_page, name="admin.holder")
    add_post(holder + "/unlock", views_admin_holders.unlock, name="admin.holder.unlock")
    add_post(
        holder + "/changes/{change_id:\\d+}/cancel",
        views_admin_holders.cancel_change,
        name="admin.holder.cancel_change",
    )
    add_get("/admin/audit", views_admin_holders.audit_page, name="admin.audit")
