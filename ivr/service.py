"""The verification service: the one place that joins the decision, the store and config.

FastAGI handlers and web views are thin adapters around these methods.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from callauth.db.call_units import CallerRows, RecordedCall
from callauth.db.challenge_units import NewChallenge, NumberChoice
from callauth.db.models import Challenge, ChallengeKind, NewCall, PhoneChange
from callauth.db.phone_changes import PhoneChanges
from callauth.db.store import Store
from callauth.ivr import number_pool, phone_policy, presentation, trust
from callauth.ivr.config import Config, Telephony
from callauth.ivr.dialplan import Outcome
from callauth.ivr.notify import Notifier
from callauth.ivr.verification import (
    CODE_REQUIRED,
    CallerRecord,
    CallFacts,
    Decision,
    decide,
    decide_code,
)

logger = logging.getLogger(__name__)

#: How far back a call looks for challenges of its number (expired/verified ones included,
#: so that a late or repeated call gets its precise outcome).
CHALLENGE_LOOKBACK = 3600


@dataclass(frozen=True)
class AgiCall:
    """The raw facts the FastAGI handler collected for one call."""

    env: Mapping[str, str]  # the agi_* header block
    num_pres: str  # CALLERID(num-pres)
    peer: str  # FastAGI peer IP address


def call_facts(call: AgiCall, telephony: Telephony) -> CallFacts:
    env = call.env
    cli_raw = env.get("agi_callerid", "")
    pres, pres_reason = presentation.classify(
        cli_raw, env.get("agi_callingpres", ""), call.num_pres
    )
    dnid = env.get("agi_dnid", "")
    dialled_raw = dnid if dnid and dnid != "unknown" else env.get("agi_extension", "")
    trusted, trust_reason = trust.assess(call.peer, env.get("agi_context", ""), env, telephony)
    return CallFacts(
        uniqueid=env.get("agi_uniqueid", ""),
        channel=env.get("agi_channel", ""),
        cli_raw=cli_raw,
        cli_e164=phone_policy.normalize(cli_raw),
        presentation=pres,
        presentation_reason=pres_reason,
        dialled_raw=dialled_raw,
        dialled_e164=phone_policy.normalize(dialled_raw),
        trusted=trusted,
        trust_reason=trust_reason,
    )


class VerificationService:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.phone_changes = PhoneChanges(store)
        #: Mails the holder about a verified login / a completed phone change (queued only).
        self.notifier = Notifier(store, config.site)
        #: Login notices queued after the call's reply, so a call never waits on them.
        self._notices: set[asyncio.Task[int | None]] = set()

    def _choose(self, shown: Sequence[Challenge]) -> NumberChoice:
        """The number (and code) for a new challenge of a phone that was ``shown`` these
        (see ivr/number_pool.py). Runs inside the store's transaction: pure, no I/O."""
        choice = number_pool.allocate(
            self.config.telephony.auth_numbers_e164,
            shown,
            now=self.store.clock(),
            cooldown=self.config.telephony.number_cooldown,
            code_mode=self.config.telephony.code_mode,
        )
        return choice.auth_number, choice.code, choice.recoded

    @property
    def _history(self) -> int:
        # The allocation reads the phone's challenges of the cooldown (and the live ones).
        return max(self.config.telephony.number_cooldown, self.config.telephony.challenge_ttl)

    async def start_challenge(
        self, holder_id: int, phone_e164: str, session_ref: str, *, reissue: bool = False
    ) -> Challenge | None:
        """A pending login challenge: the call must come from the registered number.

        ``reissue``: the session's login asks for a new number; None once it has done so
        ``reissue_limit`` times (the holder logs in again)."""
        config = self.config
        return await self.store.create_challenge(
            NewChallenge(holder_id, session_ref, phone_e164, config.telephony.challenge_ttl),
            self._choose,
            history=self._history,
            max_live=config.telephony.max_live_challenges,
            reissue_limit=config.telephony.reissue_limit if reissue else None,
        )

    async def start_phone_change(self, change: PhoneChange) -> tuple[PhoneChange, Challenge] | None:
        """The drafted change now waits for a call from its NEW number; None if not a draft."""
        return await self.phone_changes.await_call(
            change.id, self._choose, self.config.telephony.challenge_ttl, self._history
        )

    async def settle_phone_changes(self) -> None:
        """Housekeeping: apply changes whose call verified (should the apply step have been
        missed), expire those whose time ran out."""
        for challenge_id in await self.phone_changes.verified_waiting():
            await self._apply_phone_change(challenge_id)
        for change in await self.phone_changes.expire_due():
            logger.info(
                "phone change %d expired; %s stays in force",
                change.id,
                phone_policy.mask(change.old_phone_e164),
            )

    async def _apply_phone_change(self, challenge_id: int) -> None:
        change = await self.phone_changes.complete(challenge_id)
        if change is not None:
            logger.info(
                "phone change %d of holder %d completed: %s -> %s",
                change.id,
                change.holder_id,
                phone_policy.mask(change.old_phone_e164),
                phone_policy.mask(change.new_phone_e164),
            )
            at = change.completed_at or self.store.clock()
            await self.notifier.phone_changed(
                change.holder_id, change.old_phone_e164, change.new_phone_e164, at
            )

    def _notify_login(self, holder_id: int) -> None:
        task = asyncio.create_task(self.notifier.login_verified(holder_id, self.store.clock()))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def drain_notices(self) -> None:
        """Wait for the login notices still being queued (shutdown, tests)."""
        if self._notices:
            await asyncio.gather(*self._notices)

    async def handle_call(self, call: AgiCall) -> Decision:
        """Decide one call, log it, and move the challenge it verifies.

        ``asks_code`` on the result: the caller must key the code (:meth:`key_code`)."""
        facts = call_facts(call, self.config.telephony)
        now = self.store.clock()
        context = call.env.get("agi_context", "")

        def decide_on(rows: CallerRows | None) -> tuple[NewCall, int | None]:
            # Runs inside the store's unit of work (its database thread): pure, no I/O.
            decision = decide(facts, _caller(rows), now, self.config.telephony.call_limit)
            verifying = decision.challenge_id if decision.outcome is Outcome.VERIFIED else None
            new_call = _new_call(facts, call.peer, context, now, decision)
            return new_call, verifying

        recorded = await self.store.decide_call(
            facts.cli_e164, CHALLENGE_LOOKBACK, self.config.telephony.call_window, decide_on,
            facts.dialled_e164,
        )  # fmt: skip
        return await self._settled(facts, recorded)

    async def key_code(self, call: AgiCall, logged: Decision, keyed: str) -> Decision:
        """The caller keyed ``keyed`` during the call ``logged`` (which asked for a code):
        only the challenge with that code verifies; a wrong code counts on the call."""
        facts = call_facts(call, self.config.telephony)
        assert facts.cli_e164 is not None and facts.dialled_e164 is not None
        assert logged.call_id is not None
        now = self.store.clock()
        dialled, context = facts.dialled_e164, call.env.get("agi_context", "")

        def decide_on(rows: CallerRows) -> tuple[NewCall, int | None]:
            decision = decide_code(dialled, rows.recent_challenges, keyed, now)
            verifying = decision.challenge_id if decision.outcome is Outcome.VERIFIED else None
            new_call = _new_call(facts, call.peer, context, now, decision)
            wrong = 1 if decision.reason == "wrong_code" else 0
            return dataclasses.replace(new_call, wrong_codes=wrong), verifying

        recorded = await self.store.key_code(
            logged.call_id, facts.cli_e164, CHALLENGE_LOOKBACK, decide_on
        )
        return await self._settled(facts, recorded)

    async def _settled(self, facts: CallFacts, recorded: RecordedCall) -> Decision:
        """The decision as logged (a lost race verifies nothing), once its effects are done:
        a verified phone change takes effect; a verified login mails the holder."""
        logged, verified = recorded.call, recorded.verified
        outcome = Outcome(logged.outcome)
        decision = Decision(
            outcome, logged.reason, None if recorded.lost_race else logged.challenge_id,
            asks_code=logged.reason == CODE_REQUIRED, call_id=logged.id,
        )  # fmt: skip
        if verified is not None and verified.kind is ChallengeKind.PHONE_CHANGE:
            await self._apply_phone_change(verified.id)
        elif verified is not None and recorded.mail_holder and self.config.site.mail_enabled:
            self._notify_login(verified.holder_id)
        logger.info(
            "call %s from %s (%s) to %s: %s (%s)",
            facts.uniqueid,
            phone_policy.mask(facts.cli_e164 or facts.cli_raw),
            facts.presentation.value,
            facts.dialled_raw,
            outcome.value,
            decision.reason,
        )
        return decision


def _caller(rows: CallerRows | None) -> CallerRecord:
    return CallerRecord(
        # A number with challenges is a registered one or a holder's proven-by-call new
        # number (a phone change): both may verify their own challenges.
        registered=bool(rows and (rows.registered or rows.recent_challenges)),
        recent_challenges=rows.recent_challenges if rows else (),
        recent_calls=rows.recent_calls if rows else 0,
        kin_challenges=rows.kin_challenges if rows else (),
    )


def _new_call(facts: CallFacts, peer: str, context: str, now: int, decision: Decision) -> NewCall:
    return NewCall(
        received_at=now,
        uniqueid=facts.uniqueid,
        channel=facts.channel,
        cli_raw=facts.cli_raw,
        cli_e164=facts.cli_e164,
        presentation=facts.presentation.value,
        dialled_raw=facts.dialled_raw,
        dialled_e164=facts.dialled_e164,
        peer=peer,
        context=context,
        outcome=decision.outcome.value,
        reason=decision.reason,
        challenge_id=decision.challenge_id,
    )
