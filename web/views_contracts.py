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
from callauth.db.phone_changes import ChangeState, NewPhoneChange
from callauth.ivr import phone_policy
from callauth.ivr.jst import JST
from callauth.web.flow import client_address, has_usable_phone, require_holder, session_ref
from callauth.web.keys import CLOCK, CONFIG, SERVICE, STORE
from callauth.web.responses import no_store
from callauth.web.urls import url

logger = logging.getLogger(__name__)

PARTY_LABELS = {"holder": "保険契約者", "insured": "被保険者"}
#: How far ahead a 変更日 may lie.
CHANGE_DATE_DAYS = 90
MAX_FIELD = 64


def party_of(contract: Contract) -> str:
    """Whose 「変更する」 carries the number: the insured's when the same person."""
    return "insured" if contract.insured_same_as_holder else "holder"


async def own_contract(request: web.Request, holder: Holder) -> Contract:
    """The holder's contract named in the URL; another holder's is simply not found."""
    raw = request.match_info.get("contract_id", "")
    return await find_contract(request, holder, int(raw) if raw.isdigit() else -1)


async def find_contract(request: web.Request, holder: Holder, contract_id: int) -> Contract:
    for contract in await request.app[STORE].contracts_of(holder.id):
        if contract.id == contract_id:
            return contract
    raise web.HTTPNotFound()


async def contract_page(request: web.Request) -> web.Response:
    _, holder = await require_holder(request)
    contract = await own_contract(request, holder)
    context = {
        "holder": holder,
        "contract": contract,
        "party": party_of(contract),
        "phone_usable": has_usable_phone(request, holder),
    }
    return no_store(aiohttp_jinja2.render_template("contract.html", request, context))


async def change_form(request: web.Request) -> web.Response:
    _, holder = await require_holder(request)
    contract = await _changeable(request, holder)
    if not isinstance(contract, Contract):
        return contract
    values = {"phone": "", "change_date": _today(request).isoformat()}
    change_id = request.query.get("change", "")  # back (戻る) from the confirmation
    draft = await request.app[SERVICE].phone_changes.get(
        int(change_id) if change_id.isdigit() else -1
    )
    if draft and draft.holder_id == holder.id and draft.state is ChangeState.DRAFT:
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
    errors, e164 = _validate(request, holder, values)
    if errors or e164 is None:
        logger.info("change form refused for holder %d: %s", holder.id, ", ".join(sorted(errors)))
        return await _render_form(request, holder, contract, values, errors)
    draft = await request.app[SERVICE].phone_changes.draft(
        NewPhoneChange(
            holder_id=holder.id,
            contract_id=contract.id,
            party=party_of(contract),
            old_phone_e164=holder.phone_e164,
            new_phone_e164=e164,
            change_date=values["change_date"],
            session_ref=session_ref(session),
            ip=client_address(request),
        )
    )
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


def _validate(
    request: web.Request, holder: Holder, values: dict[str, str]
) -> tuple[dict[str, str], str | None]:
    errors = {}
    check = phone_policy.check(values["phone"], request.app[CONFIG].telephony.allowed_kinds)
    if not check.registrable:
        errors["phone"] = check.message
    elif check.e164 == holder.phone_e164:
        errors["phone"] = "現在ご登録の電話番号と同じです。変更後の電話番号を入力してください。"
    today = _today(request)
    try:
        day = datetime.date.fromisoformat(values["change_date"])
    except ValueError:
        errors["change_date"] = "変更日を「年/月/日」の形で入力してください。"
    else:
        if not today <= day <= today + datetime.timedelta(days=CHANGE_DATE_DAYS):
            errors["change_date"] = (
                f"変更日は、本日から{CHANGE_DATE_DAYS}日後までの日付を入力してください。"
            )
    return errors, check.e164


async def _render_form(
    request: web.Request,
    holder: Holder,
    contract: Contract,
    values: dict[str, str],
    errors: dict[str, str],
) -> web.Response:
    today = _today(request)
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


def _today(request: web.Request) -> datetime.date:
    return datetime.datetime.fromtimestamp(request.app[CLOCK](), JST).date()
