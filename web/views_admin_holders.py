"""The console's holder search and a holder's page; support's unlock and change cancel.

Every look at a holder is audited (who looked, when, from where), as is every action with
the reason the operator typed. Numbers are masked (末尾4桁) everywhere on these pages.
"""

from __future__ import annotations

from aiohttp import web

from callauth.db.holder_lookup import HolderLookup
from callauth.db.operators import OperatorSession, Role
from callauth.db.phone_changes import PhoneChanges
from callauth.web import admin_session as adm
from callauth.web.flow import client_address
from callauth.web.keys import STORE
from callauth.web.urls import url
from callauth.web.views_admin_dashboard import OUTCOMES

MAX_QUERY = 64
MAX_REASON = 500


@adm.requires(Role.VIEWER)
async def search(request: web.Request, session: OperatorSession) -> web.Response:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    found = await HolderLookup(request.app[STORE]).search(query) if query else []
    if query:
        await adm.operators(request).audit(session.operator.id, "search", None,
                                           f"{query!r}: {len(found)} found", client_address(request))  # fmt: skip
    return adm.render(request, "admin_holders.html", session, {"query": query, "found": found})


async def _file_page(
    request: web.Request, session: OperatorSession, notice: str = "", error: str = "",
    status: int = 200,
) -> web.Response:  # fmt: skip
    holder_id = int(request.match_info["holder_id"])
    file = await HolderLookup(request.app[STORE]).holder_file(holder_id)
    if file is None:
        return adm.message(
            request, session, 404, "契約者が見つかりません", "検索し直してください。"
        )
    throttle = await adm.throttles(request).state(file.holder.login_id)
    context = {"file": file, "throttle": throttle, "notice": notice, "error": error,
               "outcomes": OUTCOMES,
               "may_act": session.operator.role.allows(Role.SUPPORT)}  # fmt: skip
    return adm.render(request, "admin_holder.html", session, context, status)


@adm.requires(Role.VIEWER)
async def holder_page(request: web.Request, session: OperatorSession) -> web.Response:
    holder_id = int(request.match_info["holder_id"])
    await adm.operators(request).audit(session.operator.id, "view_holder", holder_id, "",
                                       client_address(request))  # fmt: skip
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
    store = request.app[STORE]
    holder = await store.holder(holder_id)
    if holder is None:
        return adm.message(
            request, session, 404, "契約者が見つかりません", "検索し直してください。"
        )
    before = await adm.throttles(request).unlock(holder.login_id)
    detail = (f"{before.consecutive_failures} consecutive failures,"
              f" {'locked' if before.locked else 'not locked'},"
              f" {before.throttled_addresses} throttled addresses; reason: {reason}")  # fmt: skip
    address = client_address(request)
    await adm.operators(request).audit(session.operator.id, "unlock", holder_id, detail, address)
    await store.audit(
        holder_id, "login_unlocked", f"by operator {session.operator.login}: {detail}", address
    )
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
    changes = PhoneChanges(request.app[STORE])
    change = await changes.get(change_id)
    if change is None or change.holder_id != holder_id or not await changes.cancel(change_id):
        return await _file_page(
            request, session, error="このお手続きはすでに終了しています。", status=409
        )
    detail = f"phone change {change_id}; reason: {reason}"
    address = client_address(request)
    await adm.operators(request).audit(
        session.operator.id, "cancel_change", holder_id, detail, address
    )
    await request.app[STORE].audit(holder_id, "phone_change_cancelled_by_operator",
                                   f"by operator {session.operator.login}: {detail}", address)  # fmt: skip
    raise web.HTTPSeeOther(
        url(request, "admin.holder", holder_id=holder_id, query={"done": "cancelled"})
    )


@adm.requires(Role.ADMIN)
async def audit_page(request: web.Request, session: OperatorSession) -> web.Response:
    actions = await adm.operators(request).actions(200)
    return adm.render(request, "admin_audit.html", session, {"actions": actions})
