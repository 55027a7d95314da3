"""The console's holder search and a holder's page; support's unlock and change cancel.

Every look at a holder is audited (who looked, when, from where), as is every action with
the reason the operator typed. Numbers are masked (末尾4桁) everywhere on these pages.
"""

from __future__ import annotations

from aiohttp import web

from callauth.db.console_models import OperatorSession, Role
from callauth.web import admin_session as adm
from callauth.web.flow import client_address
from callauth.web.keys import SERVICES
from callauth.web.urls import url
from callauth.web.views_admin_dashboard import OUTCOMES

MAX_QUERY = 64
MAX_REASON = 500
_NOT_FOUND = ("契約者が見つかりません", "検索し直してください。")


@adm.requires(Role.VIEWER)
async def search(request: web.Request, session: OperatorSession) -> web.Response:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    found = await request.app[SERVICES].admin.search(session, query, client_address(request))
    return adm.render(request, "admin_holders.html", session, {"query": query, "found": found})


async def _file_page(
    request: web.Request, session: OperatorSession, notice: str = "", error: str = "",
    status: int = 200,
) -> web.Response:  # fmt: skip
    holder_id = int(request.match_info["holder_id"])
    seen = await request.app[SERVICES].admin.holder_file(holder_id)
    if seen is None:
        return adm.message(request, session, 404, *_NOT_FOUND)
    file, throttle = seen
    context = {"file": file, "throttle": throttle, "notice": notice, "error": error,
               "outcomes": OUTCOMES,
               "may_act": session.operator.role.allows(Role.SUPPORT)}  # fmt: skip
    return adm.render(request, "admin_holder.html", session, context, status)


@adm.requires(Role.VIEWER)
async def holder_page(request: web.Request, session: OperatorSession) -> web.Response:
    holder_id = int(request.match_info["holder_id"])
    await request.app[SERVICES].admin.viewed(session, holder_id, client_address(request))
    notice = {"unlocked": "ログインの停止を解除しました。",
              "cancelled": "お手続きを取り消しました。"}.get(request.query.get("done", ""), "")  # fmt: skip
    return await _file_page(request, session, notice)


async def _reason(request: web.Request) -> str:
    return str((await request.post()).get("reason", "")).strip()[:MAX_REASON]


@adm.requires(Role.SUPPORT)
async def unlock(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    holder_id = int(request.match_info["holder_id"])
    reason = await _reason(request)
    if not reason:
        return await _file_page(
            request, session, error="解除の理由を入力してください。", status=400
        )
    admin = request.app[SERVICES].admin
    if not await admin.unlock(session, holder_id, reason, client_address(request)):
        return adm.message(request, session, 404, *_NOT_FOUND)
    raise web.HTTPSeeOther(
        url(request, "admin.holder", holder_id=holder_id, query={"done": "unlocked"})
    )


@adm.requires(Role.SUPPORT)
async def cancel_change(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    holder_id = int(request.match_info["holder_id"])
    change_id = int(request.match_info["change_id"])
    reason = await _reason(request)
    if not reason:
        return await _file_page(
            request, session, error="取り消しの理由を入力してください。", status=400
        )
    admin = request.app[SERVICES].admin
    if not await admin.cancel_change(
        session, holder_id, change_id, reason, client_address(request)
    ):
        return await _file_page(
            request, session, error="このお手続きはすでに終了しています。", status=409
        )
    raise web.HTTPSeeOther(
        url(request, "admin.holder", holder_id=holder_id, query={"done": "cancelled"})
    )


@adm.requires(Role.ADMIN)
async def audit_page(request: web.Request, session: OperatorSession) -> web.Response:
    actions = await request.app[SERVICES].admin.actions(200)
    return adm.render(request, "admin_audit.html", session, {"actions": actions})
