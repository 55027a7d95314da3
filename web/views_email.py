"""メールアドレスの登録 on お客様情報: enter (twice) → confirm → a code is mailed to the
address → the code comes back (typed, or filled in by the mail's link) → registered.

Nothing is saved until the code comes back: an address typed on screen alone could be
anyone's, and notices of logins go to it.
"""

from __future__ import annotations

import email.utils as email_utils
import re
import unicodedata
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session

from callauth.db.models import Holder
from callauth.ivr.email_verification import (
    CODE_DIGITS,
    MAX_TRIES,
    ConfirmOutcome,
    ConfirmResult,
    Origin,
    clean_code,
)
from callauth.ivr.notices import jst_time
from callauth.web.flow import client_address, require_holder, session_ref
from callauth.web.keys import CONFIG, SERVICES
from callauth.web.responses import no_store
from callauth.web.urls import url

MAX_EMAIL = 254
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_MAIL_OFF = (
    "現在、メールアドレスのご登録を受け付けておりません。恐れ入りますが、"
    "しばらくたってからお手続きください。"
)
_TOO_MANY_SENT = (
    "確認コードの送信回数が上限に達しました。恐れ入りますが、1時間ほどたってから"
    "もう一度お手続きください。"
)
_RESULTS = {
    ConfirmOutcome.EXPIRED: "確認コードの有効期限が切れました。「確認コードを再送する」を押して、"
    "新しい確認コードをお受け取りください。",
    ConfirmOutcome.LOCKED: f"確認コードの入力が{MAX_TRIES}回を超えたため、この確認コードは使えなく"
    "なりました。「確認コードを再送する」を押して、新しい確認コードをお受け取りください。",
}


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


def _origin(request: web.Request, session: Session) -> Origin:
    return Origin(session_ref(session), client_address(request))


async def _render(request: web.Request, template: str, **context: Any) -> web.Response:
    return no_store(aiohttp_jinja2.render_template(template, request, context))


async def _form(
    request: web.Request, holder: Holder, email: str = "", error: str | None = None
) -> web.Response:
    mail_on = request.app[CONFIG].site.mail_enabled
    pending = await request.app[SERVICES].emails.pending_of(holder.id) if mail_on else None
    return await _render(
        request, "email_form.html", holder=holder, email=email, pending=pending,
        error=error if mail_on else _MAIL_OFF, mail_on=mail_on,
    )  # fmt: skip


async def email_form(request: web.Request) -> web.Response:
    _, holder = await require_holder(request)
    return await _form(request, holder, request.query.get("email", "")[:MAX_EMAIL])


async def email_submit(request: web.Request) -> web.Response:
    """次へ: check the address and show it for confirmation (nothing is sent yet)."""
    _, holder = await require_holder(request)
    form = await request.post()
    email = _clean(str(form.get("email", "")))[: MAX_EMAIL + 1]
    again = _clean(str(form.get("email_confirm", "")))[: MAX_EMAIL + 1]
    error = _error_of(email, again)
    if error or not request.app[CONFIG].site.mail_enabled:
        return await _form(request, holder, email, error)
    sender = email_utils.parseaddr(request.app[CONFIG].site.mail_from)[1]
    return await _render(
        request, "email_confirm.html", holder=holder, email=email, from_address=sender
    )


async def email_confirm(request: web.Request) -> web.Response:
    """確認コードを送信する (also 再送する): the address is checked again (the form is the
    client's), a code goes to it, and the page to type it in follows."""
    session, holder = await require_holder(request)
    email = _clean(str((await request.post()).get("email", "")))[: MAX_EMAIL + 1]
    error = _error_of(email, email)
    if error or not request.app[CONFIG].site.mail_enabled:
        return await _form(request, holder, email, error)
    pending = await request.app[SERVICES].emails.send_code(
        holder.id, email, _origin(request, session)
    )
    if pending is None:
        return await _form(request, holder, email, _TOO_MANY_SENT)
    raise web.HTTPSeeOther(url(request, "email.verify"))


async def verify_page(request: web.Request) -> web.Response:
    """確認コードの入力; the mail's link fills the code in (it is never applied by a GET)."""
    _, holder = await require_holder(request)
    code = clean_code(request.query.get("code", "")[:20]) or ""
    return await _verify(request, holder, code)


async def _verify(
    request: web.Request,
    holder: Holder,
    code: str = "",
    error: str | None = None,
    email: str | None = None,
) -> web.Response:
    """The code page; ``email`` is the address to send a new code to once this one is
    used up (expired, too many tries)."""
    pending = await request.app[SERVICES].emails.pending_of(holder.id)
    email = pending.email if pending else email
    if email is None:
        raise web.HTTPSeeOther(url(request, "email"))
    return await _render(
        request, "email_verify.html", holder=holder, pending=pending, email=email, code=code,
        error=error, digits=CODE_DIGITS, until=jst_time(pending.expires_at) if pending else "",
    )  # fmt: skip


async def verify_submit(request: web.Request) -> web.Response:
    """確認する: the code comes back; only then is the address registered."""
    session, holder = await require_holder(request)
    typed = str((await request.post()).get("code", ""))[:20]
    code = clean_code(typed)
    if code is None:
        return await _verify(request, holder, "", f"{CODE_DIGITS}桁の数字で入力してください。")
    result = await request.app[SERVICES].emails.confirm(holder.id, code, _origin(request, session))
    if result.outcome is ConfirmOutcome.CONFIRMED:
        raise web.HTTPSeeOther(url(request, "mypage", query={"done": "email"}))
    if result.outcome is ConfirmOutcome.NONE:
        raise web.HTTPSeeOther(url(request, "email"))
    return await _verify(request, holder, "", _message_of(result), result.email)


def _message_of(result: ConfirmResult) -> str:
    if result.outcome is ConfirmOutcome.WRONG_CODE:
        return (
            "確認コードが正しくありません。メールに記載の確認コードをお確かめのうえ、"
            f"もう一度入力してください（あと{result.tries_left}回入力できます）。"
        )
    return _RESULTS[result.outcome]
