"""メールアドレスの登録 on お客様情報: enter (twice) → confirm → registered."""

from __future__ import annotations

import re
import unicodedata

import aiohttp_jinja2
from aiohttp import web

from db.models import Holder
from web.csrf import csrf_token
from web.flow import client_address, require_holder, session_ref
from web.keys import PROFILES

MAX_EMAIL = 254
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _clean(text: str) -> str:
    # Full-width letters and ＠ are common when typed with a Japanese IME.
    return unicodedata.normalize("NFKC", text).strip()


def _error_of(email: str, again: str) -> str | None:
    if not email:
        return "メールアドレスを入力してください。"
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        return "メールアドレスの形式が正しくありません。お確かめのうえ、もう一度入力してください。"
    if email != again:
        return "確認用のメールアドレスが一致しません。同じメールアドレスを2回入力してください。"
    return None


async def _form(
    request: web.Request, holder: Holder, email: str = "", error: str | None = None
) -> web.Response:
    context = {
        "holder": holder,
        "email": email,
        "error": error,
        "csrf_token": await csrf_token(request),
    }
    return aiohttp_jinja2.render_template("email_form.html", request, context)


async def email_form(request: web.Request) -> web.Response:
    _, holder = await require_holder(request)
    return await _form(request, holder, request.query.get("email", "")[:MAX_EMAIL])


async def email_submit(request: web.Request) -> web.Response:
    """次へ: check the address and show it for confirmation (nothing is saved yet)."""
    _, holder = await require_holder(request)
    form = await request.post()
    email = _clean(str(form.get("email", "")))[: MAX_EMAIL + 1]
    again = _clean(str(form.get("email_confirm", "")))[: MAX_EMAIL + 1]
    error = _error_of(email, again)
    if error:
        return await _form(request, holder, email, error)
    context = {"holder": holder, "email": email, "csrf_token": await csrf_token(request)}
    return aiohttp_jinja2.render_template("email_confirm.html", request, context)


async def email_confirm(request: web.Request) -> web.Response:
    """登録する: the confirmed address is saved (checked again: the form is the client's)."""
    session, holder = await require_holder(request)
    email = _clean(str((await request.post()).get("email", "")))[: MAX_EMAIL + 1]
    error = _error_of(email, email)
    if error:
        return await _form(request, holder, email, error)
    await request.app[PROFILES].set_email(
        holder.id, email, session_ref(session), client_address(request)
    )
    raise web.HTTPFound("/mypage?done=email")
