"""The demo application form (``/demo/apply``, only with ``--demo``): an insurer's form
with callauth's phone field embedded as the insurer would embed it (README "For the
insurer's application form").

The notice's first case: the applicant (申込人, the future 契約者) enters a number usable
for verification; when applicant and insured are the same person, the insured's phone
field is the one that must hold it. The page works without JavaScript: this handler is
the insurer's back end, checking through the same answer as the JSON API. Nothing is
stored: it is a demo.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from callauth.ivr.number_answer import answer
from callauth.web.csrf import csrf_token
from callauth.web.keys import CONFIG
from callauth.web.responses import no_store

MAX_NAME = 100
_FIELDS = ("insured_name", "insured_phone", "applicant_name", "applicant_phone")
_NAME_MISSING = "お名前を入力してください。"


async def _render(
    request: web.Request, template: str, status: int = 200, **context: Any
) -> web.Response:
    await csrf_token(request)  # no login before this form: its token starts the session
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    return no_store(response)


async def apply_form(request: web.Request) -> web.Response:
    values = dict.fromkeys(_FIELDS, "")
    return await _render(request, "demo_apply.html", values=values, same=True, errors={})


def _errors(
    values: Mapping[str, str], same: bool, allowed_kinds: frozenset[str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """(errors by field, the answer for the number verification will use)."""
    errors: dict[str, str] = {}
    party = "insured" if same else "applicant"
    for who in ("insured",) if same else ("insured", "applicant"):
        if not values[f"{who}_name"].strip():
            errors[f"{who}_name"] = _NAME_MISSING
    checked = answer(values[f"{party}_phone"], allowed_kinds)
    if not checked["registrable"]:
        errors[f"{party}_phone"] = checked["message"]
    return errors, checked


async def apply_submit(request: web.Request) -> web.Response:
    form = await request.post()
    values = {name: str(form.get(name, ""))[: MAX_NAME + 1] for name in _FIELDS}
    same = form.get("same_person") == "1"
    errors, checked = _errors(values, same, request.app[CONFIG].telephony.allowed_kinds)
    if errors:
        return await _render(
            request, "demo_apply.html", status=422, values=values, same=same, errors=errors
        )
    party = "被保険者" if same else "申込人（契約者になる方）"
    return await _render(request, "demo_applied.html", checked=checked, party=party)
