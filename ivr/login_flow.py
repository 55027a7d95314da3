"""A holder's login, step by step: the password → a challenge (or, before the enforcement
date, the password alone) → the call → let in; the waiting page's new number; logout.

The web keeps the session and nothing else: these methods take what it holds (the
challenge's id, the session's opaque reference) and say what it should hold next. Every
step is in the holder's audit trail.
"""

from __future__ import annotations

import enum
import logging
import secrets
from dataclasses import dataclass

from callauth.db.models import Challenge, ChallengeState, EndedBy, Holder
from callauth.db.throttle_policy import Verdict
from callauth.ivr import phone_policy
from callauth.ivr.holder_flow import HolderFlow
from callauth.ivr.password_gate import Checked, Gate

logger = logging.getLogger(__name__)

_DONE = (ChallengeState.VERIFIED, ChallengeState.CONSUMED)


class Step(enum.Enum):
    BUSY = "busy"  # every password check is taken
    REFUSED = "refused"  # throttled or locked (``locked``, ``wait``)
    WRONG = "wrong"  # unknown login ID or wrong password (the same answer)
    PASSWORD_ONLY = "password_only"  # before the enforcement date, without a usable number
    NO_PHONE = "no_phone"  # from that date, without one: cannot log in
    CHALLENGE = "challenge"  # call the challenge's number from the registered phone


@dataclass(frozen=True)
class LoginResult:
    step: Step
    holder: Holder | None = None
    challenge: Challenge | None = None
    #: CHALLENGE: the reference the new session carries (the challenge is bound to it).
    session_ref: str = ""
    #: REFUSED: locked until an operator unlocks the ID, or else the seconds to wait;
    #: ``failed``: this attempt's password was checked and wrong (and led to the refusal).
    locked: bool = False
    wait: int = 0
    failed: bool = False
    #: NO_PHONE with a registered number: why it cannot verify (050, 0120, …).
    reason: phone_policy.NumberCheck | None = None


class Reissue(enum.Enum):
    LOGIN = "login"  # no such login (any more): the password again
    MYPAGE = "mypage"  # already verified
    REFUSED = "refused"  # this login has had its new numbers: the password again
    REISSUED = "reissued"


def new_session_ref() -> str:
    """What the audit trail and a challenge record instead of the session key."""
    return secrets.token_urlsafe(16)


class LoginFlow(HolderFlow):
    def phone_usable(self, holder: Holder) -> bool:
        if not holder.phone_e164:
            return False
        return phone_policy.check(
            holder.phone_e164, self.config.telephony.allowed_kinds
        ).registrable

    def phone_required(self) -> bool:
        """Whether today (JST) is on or after the enforcement date."""
        return self.config.site.phone_required(self.store.clock())

    async def log_in(
        self, login_id: str, password: str, address: str, replacing: int | None
    ) -> LoginResult:
        """The password step; ``replacing``: the challenge this browser had (it ends)."""
        checked = await self.gate.check(
            (login_id, address),
            password,
            lambda: self.store.holder_by_login(login_id),
            lambda holder: holder.password_hash,
        )
        if checked.gate is Gate.BUSY:
            return LoginResult(Step.BUSY)
        if checked.gate is Gate.REFUSED:
            return _refused(checked)
        if checked.gate is Gate.WRONG or checked.subject is None:
            return await self._failed(checked, address)
        return await self._passed(checked.subject, address, replacing)

    async def _failed(self, checked: Checked[Holder], address: str) -> LoginResult:
        holder = checked.subject
        reason = "wrong_password" if holder else "unknown_login_id"
        await self.store.audit(holder.id if holder else None, "login_failure", reason, address)
        logger.info("login failed from %s (%s)", address, reason)
        if checked.refusal is None:
            return LoginResult(Step.WRONG, holder)
        result = _refused(checked, failed=True)
        if result.locked:
            logger.warning("login ID locked after consecutive failures (last from %s)", address)
        return result

    async def _passed(self, holder: Holder, address: str, replacing: int | None) -> LoginResult:
        if not self.phone_usable(holder):
            return await self._without_usable_phone(holder, address)
        assert holder.phone_e164 is not None
        if replacing is not None:
            await self.store.cancel_challenge(replacing, EndedBy.RELOGIN)
        ref = new_session_ref()
        challenge = await self.calls.start_challenge(holder.id, holder.phone_e164, ref)
        assert challenge is not None  # only a reissue is ever refused
        await self.store.audit(holder.id, "login_success", f"challenge {challenge.id}", address)
        return LoginResult(Step.CHALLENGE, holder, challenge, ref)

    async def _without_usable_phone(self, holder: Holder, address: str) -> LoginResult:
        """Before the enforcement date the password alone lets in (and My Page urges
        registration); from it, the holder is told why not and where to turn."""
        if not self.phone_required():
            await self.store.audit(holder.id, "login_password_only", "", address)
            return LoginResult(Step.PASSWORD_ONLY, holder)
        await self.store.audit(holder.id, "login_no_phone", "", address)
        reason = None
        if holder.phone_e164:  # registered, but of a kind that cannot verify (050, 0120, ...)
            reason = phone_policy.check(holder.phone_e164, self.config.telephony.allowed_kinds)
        return LoginResult(Step.NO_PHONE, holder, reason=reason)

    async def current(self, challenge_id: int, session_ref: str | None) -> Challenge | None:
        """The challenge of that id, if the session with that reference started it."""
        challenge = await self.store.challenge(challenge_id)
        if challenge is None or challenge.session_ref != session_ref:
            return None
        return challenge

    async def reissue(
        self, challenge_id: int, session_ref: str | None, address: str
    ) -> tuple[Reissue, Challenge | None]:
        """A new challenge (and usually a new number) for a login whose time ran out."""
        challenge = await self.current(challenge_id, session_ref)
        if challenge is None or session_ref is None:
            return Reissue.LOGIN, None
        if challenge.state in _DONE:
            return Reissue.MYPAGE, None
        if challenge.visible_state(self.store.clock()) is ChallengeState.CANCELLED:
            return Reissue.LOGIN, None  # ended by another login: only the password restarts
        holder = await self.store.holder(challenge.holder_id)
        if holder is None or holder.phone_e164 is None or not self.phone_usable(holder):
            return Reissue.LOGIN, None
        fresh = await self.calls.start_challenge(
            holder.id, holder.phone_e164, session_ref, reissue=True
        )
        if fresh is None:
            await self.store.audit(
                holder.id, "challenge_reissue_refused", f"challenge {challenge.id}", address
            )
            return Reissue.REFUSED, None
        await self.store.audit(holder.id, "challenge_reissued", f"challenge {fresh.id}", address)
        return Reissue.REISSUED, fresh

    async def complete(
        self, challenge_id: int, session_ref: str | None, address: str
    ) -> int | None:
        """First arrival after the call: the verified challenge is consumed; the holder's
        id, or None. The consume is a compare-and-set: of two tabs racing, one gets in."""
        challenge = await self.current(challenge_id, session_ref)
        if challenge is None or challenge.state is not ChallengeState.VERIFIED:
            return None
        if not await self.store.consume_challenge(challenge.id):
            return None
        holder_id = challenge.holder_id
        await self.store.audit(holder_id, "verification", f"challenge {challenge.id}", address)
        logger.info("holder %d verified by challenge %d", holder_id, challenge.id)
        return holder_id

    async def log_out(self, challenge_id: int | None, holder_id: int | None, address: str) -> None:
        if challenge_id is not None:  # only a pending one changes
            await self.store.cancel_challenge(challenge_id, EndedBy.LOGOUT)
        if holder_id is not None:
            await self.store.audit(holder_id, "logout", "", address)


def _refused(checked: Checked[Holder], *, failed: bool = False) -> LoginResult:
    refusal = checked.refusal
    assert refusal is not None
    locked = refusal.verdict is Verdict.LOCKED
    return LoginResult(
        Step.REFUSED, checked.subject, locked=locked, wait=refusal.wait, failed=failed
    )
