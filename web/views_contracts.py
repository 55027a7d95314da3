"""ご契約一覧 → a contract → 保険契約者 (or 被保険者)「変更する」 → phone number and 変更日 → 次へ.

Nothing entered here changes anything yet: 次へ only saves a draft change request, so a
mistyped number can never lock a holder out.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from callauth.db.models import Contract, Holder
from callauth.ivr import phone_policy
from callauth.ivr.phone_change_flow import CHANGE_DATE_DAYS, party_of
from callauth.web.flow import client_address, require_holder, session_ref
from callauth.web.keys import SERVICES
from callauth.web.responses import no_store
from callauth.web.urls import url

logger = logging.getLogger(__name__)

PARTY_LABELS = {"holder": "保険契約者", "insured": "被保険者"}
MAX_FIELD = 64


async def own_contract(request: web.Request, holder: Holder) -> Contract:
    """The holder's contract named in the URL; another holder's is simply not found."""
    raw = request.match_info.get("contract_id", "")
    return await find_contract(request, holder, int(raw) if raw.isdigit() else -1)


async def find_contract(request: web.Request, holder: Holder, contract_id: int) -> Contract:
    contract = await request.app[SERVICES].pages.contract(holder, contract_id)
    if contract is None:
        raise web.HTTPNotFound()
    return contract


async def contract_page(request: web.Request) -> web.Response:
    _, holder = await require_holder(request)
    contract = await own_contract(request, holder)
    context = {
        "holder": holder,
        "contract": contract,
        "party": party_of(contract),
        "phone_usable": request.app[SERVICES].login.phone_usable(holder),
    }
    return no_store(aiohttp_jinja2.render_template("contract.html", request, context))


async def change_form(request: web.Request) -> web.Response:
    _, holder = await require_holder(request)
    contract = await _changeable(request, holder)
    if not isinstance(contract, Contract):
        return contract
    flow = request.app[SERVICES].changes
    values = {"phone": "", "change_date": flow.today().isoformat()}
    change_id = request.query.get("change", "")  # back (戻る) from the confirmation
    draft = await flow.draft_of(holder, int(change_id) if change_id.isdigit() else -1)
    if draft is not None:
        values = {
            "phone": phone_policy.display(draft.new_phone_e164),
            "change_date": draft.change_date,
        }
    return await _render_form(request, holder, contract, values, {})


async def change_submit(request: web.Request) -> web.Response:
    session, holder = await require_holder(request)
    contract = await _changeable(request, holder)
    if not isinstance(contract, Contract):
        return contract
    form = await request.post()
    values = {k: str(form.get(k, "")).strip()[:MAX_FIELD] for k in ("phone", "change_date")}
    flow = request.app[SERVICES].changes
    errors, e164 = flow.check(holder, values["phone"], values["change_date"])
    if errors or e164 is None:
        logger.info("change form refused for holder %d: %s", holder.id, ", ".join(sorted(errors)))
        return await _render_form(request, holder, contract, values, errors)
    draft = await flow.draft(holder, contract, e164, values["change_date"],
                             session_ref(session), client_address(request))  # fmt: skip
    raise web.HTTPFound(url(request, "change.confirm", change_id=draft.id))


async def _changeable(request: web.Request, holder: Holder) -> Contract | web.Response:
    """The contract when it can be changed online by this party; else the page saying so."""
    contract = await own_contract(request, holder)
    party = request.match_info["party"]
    if party not in PARTY_LABELS:
        raise web.HTTPNotFound()
    if not contract.changeable_online:
        logger.info("holder %d: contract %d cannot be changed online", holder.id, contract.id)
        context = {"contract": contract}
        return aiohttp_jinja2.render_template("change_unavailable.html", request, context)
    if party != party_of(contract):
        raise web.HTTPFound(
            url(request, "contract.change", contract_id=contract.id, party=party_of(contract))
        )
    return contract


async def _render_form(
    request: web.Request,
    holder: Holder,
    contract: Contract,
    values: dict[str, str],
    errors: dict[str, str],
) -> web.Response:
    today = request.app[SERVICES].changes.today()
    context: dict[str, Any] = {
        "holder": holder,
        "contract": contract,
        "party": party_of(contract),
        "party_label": PARTY_LABELS[party_of(contract)],
        "values": values,
        "errors": errors,
        "min_date": today.isoformat(),
        "max_date": (today + datetime.timedelta(days=CHANGE_DATE_DAYS)).isoformat(),
    }
    return no_store(aiohttp_jinja2.render_template("change_form.html", request, context))
