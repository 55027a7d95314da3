"""A holder's change of the registered number (My Page): 次へ saves a draft → the
confirmation, with the password again → the call from the NEW number → done.

Nothing typed changes anything until that call: a draft only records the request, so a
mistyped number can never lock a holder out. The new number takes effect in the call
path (ivr/service.py), never here.
"""

from __future__ import annotations

import datetime
import enum
import logging
from collections.abc import Awaitable, Callable

from callauth.db.models import Challenge, ChangeState, Contract, Holder, NewPhoneChange, PhoneChange
from callauth.db.phone_changes import PhoneChanges
from callauth.ivr import phone_policy
from callauth.ivr.holder_flow import HolderFlow
from callauth.ivr.jst import JST
from callauth.ivr.password_gate import Gate

logger = logging.getLogger(__name__)

#: How far ahead a 変更日 may lie.
CHANGE_DATE_DAYS = 90


class Confirmed(enum.Enum):
    BUSY = "busy"  # every password check is taken
    THROTTLED = "throttled"  # too many wrong passwords: not checked (or now refused)
    WRONG = "wrong"
    AWAITING_CALL = "awaiting_call"  # the change now waits for the call from its new number


def party_of(contract: Contract) -> str:
    """Whose 「変更する」 carries the number: the insured's when the same person."""
    return "insured" if contract.insured_same_as_holder else "holder"


class PhoneChangeFlow(HolderFlow):
    @property
    def changes(self) -> PhoneChanges:
        return self.calls.phone_changes

    def today(self) -> datetime.date:
        return datetime.datetime.fromtimestamp(self.store.clock(), JST).date()

    async def own(self, change_id: int, holder: Holder, session_ref: str) -> PhoneChange | None:
        """The change, if this holder made it from the browser session of that reference."""
        change = await self.changes.get(change_id)
        if change is None or change.holder_id != holder.id or change.session_ref != session_ref:
            return None
        return change

    async def draft_of(self, holder: Holder, change_id: int) -> PhoneChange | None:
        """The holder's draft of that id (back, 戻る, from the confirmation)."""
        draft = await self.changes.get(change_id)
        if draft and draft.holder_id == holder.id and draft.state is ChangeState.DRAFT:
            return draft
        return None

    def check(
        self, holder: Holder, phone: str, change_date: str
    ) -> tuple[dict[str, str], str | None]:
        """(errors by field, the new number in E.164) for what the holder typed."""
        errors = {}
        check = phone_policy.check(phone, self.config.telephony.allowed_kinds)
        if not check.registrable:
            errors["phone"] = check.message
        elif check.e164 == holder.phone_e164:
            errors["phone"] = "現在ご登録の電話番号と同じです。変更後の電話番号を入力してください。"
        today = self.today()
        try:
            day = datetime.date.fromisoformat(change_date)
        except ValueError:
            errors["change_date"] = "変更日を「年/月/日」の形で入力してください。"
        else:
            if not today <= day <= today + datetime.timedelta(days=CHANGE_DATE_DAYS):
                errors["change_date"] = (
                    f"変更日は、本日から{CHANGE_DATE_DAYS}日後までの日付を入力してください。"
                )
        return errors, check.e164

    async def draft(
        self, holder: Holder, contract: Contract, new_e164: str, change_date: str,
        session_ref: str, ip: str,
    ) -> PhoneChange:  # fmt: skip
        """次へ: a draft of the change (the holder's older drafts are dropped)."""
        return await self.changes.draft(
            NewPhoneChange(
                holder_id=holder.id,
                contract_id=contract.id,
                party=party_of(contract),
                old_phone_e164=holder.phone_e164,
                new_phone_e164=new_e164,
                change_date=change_date,
                session_ref=session_ref,
                ip=ip,
            )
        )

    async def confirm(
        self, holder: Holder, change: PhoneChange, password: str, address: str
    ) -> Confirmed:
        """この内容で申し込む: the password again (counted before it is checked, as at
        login), then the change waits for the call from its new number."""
        checked = await self.gate.check(
            (holder.login_id, address), password, _known(holder), lambda h: h.password_hash
        )
        if checked.gate is Gate.BUSY:
            return Confirmed.BUSY
        if checked.gate is Gate.REFUSED:
            return Confirmed.THROTTLED
        if checked.gate is Gate.WRONG:
            await self.store.audit(holder.id, "phone_change_wrong_password", "", address)
            return Confirmed.THROTTLED if checked.refusal is not None else Confirmed.WRONG
        await self.calls.start_phone_change(change)
        return Confirmed.AWAITING_CALL

    async def challenge_of(self, change: PhoneChange) -> Challenge | None:
        """The challenge the call from the new number verifies (once confirmed)."""
        if change.challenge_id is None:
            return None
        return await self.store.challenge(change.challenge_id)

    async def cancel(self, change: PhoneChange) -> None:
        """中止: the old number stays (a change already done or ended stays as it is)."""
        if await self.changes.cancel(change.id):
            logger.info("holder %d cancelled phone change %d", change.holder_id, change.id)

    async def settled(self, change: PhoneChange) -> PhoneChange:
        """The change as it stands now; one waiting for its call is settled first (the
        call may just have come)."""
        if change.state is not ChangeState.AWAITING_CALL:
            return change
        await self.calls.settle_phone_changes()
        return await self.changes.get(change.id) or change


def _known(holder: Holder) -> Callable[[], Awaitable[Holder]]:
    """The gate's lookup when the holder is already known (logged in)."""

    async def lookup() -> Holder:
        return holder

    return lookup
