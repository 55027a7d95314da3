"""FastAGI scripts: one named function each, in one explicit route table.

Handlers are thin: collect the call facts, ask the service, tell the dialplan the outcome
(``CALLAUTH_RESULT``) and end the call the way the configured call mode says.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from callauth.db.health import is_unavailable
from callauth.ivr.agi_channel import AgiChannel, CallHungUp, KeypadInput
from callauth.ivr.dialplan import AUTH_SCRIPT, RESULT_VARIABLE, Outcome
from callauth.ivr.ending import Ending, ending_for
from callauth.ivr.number_pool import CODE_LENGTH as CODE_DIGITS
from callauth.ivr.service import AgiCall, VerificationService
from callauth.ivr.verification import CODE_REQUIRED, Decision

logger = logging.getLogger(__name__)

#: A FastAGI script: runs one call on its channel.
Route = Callable[[AgiChannel, VerificationService], Awaitable[None]]

#: Keypad prompts: ask for the code shown on the page, and again after a wrong one.
ENTER_CODE = "callauth/enter_code"
WRONG_CODE = "callauth/wrong_code"
#: Played when a prompt cannot be (a missing sound file): Asterisk's own short tone.
FALLBACK_PROMPT = "beep"


async def auth(channel: AgiChannel, service: VerificationService) -> None:
    """Verify a login from the caller's number, set ``CALLAUTH_RESULT`` and end the call."""
    uniqueid = channel.uniqueid
    try:
        # Everything else (number, dialled, octet presentation, context) is in the header.
        num_pres = await channel.get_variable("CALLERID(num-pres)")
        call = AgiCall(dict(channel.headers), num_pres, channel.peer)
        decision = await decide_call(service, call)
        answered = False
        if decision.asks_code:  # the number alone does not name the login: ask for the code
            await channel.answer()
            answered = True
            decision = await ask_code(channel, service, call, decision)
        outcome = decision.outcome
        # Still allowed on a dead channel, so the dialplan's h extension sees it too.
        await channel.set_variable(RESULT_VARIABLE, outcome.value)
        config = service.config.telephony
        ending = ending_for(
            outcome, config.call_mode, answered=answered, hangup_by=config.hangup_by
        )
        await _end(channel, outcome, ending)
    except CallHungUp as exc:
        logger.info("call %s: ended by the caller or Asterisk (%s)", uniqueid, exc)


async def decide_call(service: VerificationService, call: AgiCall) -> Decision:
    try:
        return await service.handle_call(call)
    except Exception as exc:
        # The caller still gets a clear ending; the dialplan branches on ``error``.
        _failed(call, "verification failed", exc)
        return Decision(Outcome.ERROR, "service_error")


def _failed(call: AgiCall, what: str, exc: Exception) -> None:
    """One line while the store is down (its probe logs the outage); a traceback for a bug."""
    uniqueid = call.env.get("agi_uniqueid", "")
    if is_unavailable(exc):
        logger.error("call %s: %s: the store is unavailable (%s)", uniqueid, what, exc)
    else:
        logger.error("call %s: %s", uniqueid, what, exc_info=exc)


class Keypad(Protocol):
    """What asking for the code needs of a channel (FastAGI's, or the classic script's)."""

    @property
    def uniqueid(self) -> str: ...
    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> KeypadInput: ...


async def ask_code(
    channel: Keypad, service: VerificationService, call: AgiCall, decision: Decision
) -> Decision:
    """Up to ``code_tries`` prompts for the keypad code; each keyed code is decided at once.

    ``result=-1`` is a missing prompt or a hang-up (Asterisk answers both alike); the next
    prompt tells them apart: on a dead channel it gets 511, which raises CallHungUp.
    """
    config = service.config.telephony
    prompt, fallback = ENTER_CODE, False
    for _ in range(config.code_tries):
        played = FALLBACK_PROMPT if fallback else prompt
        keyed = await channel.get_data(played, int(config.code_timeout * 1000), CODE_DIGITS)
        if keyed.failed:
            logger.warning("call %s: prompt %s could not be played", channel.uniqueid, played)
            fallback = True
            continue
        if not keyed.digits:  # silence, or a lone '#': ask again
            continue
        decision = await _decide_code(service, call, decision, keyed)
        if decision.reason != "wrong_code":
            return decision
        prompt = WRONG_CODE
    if decision.reason == CODE_REQUIRED:  # nothing usable was keyed
        logger.info("call %s: no keypad code keyed in %d tries", channel.uniqueid,
                    config.code_tries)  # fmt: skip
    return decision


async def _decide_code(
    service: VerificationService, call: AgiCall, decision: Decision, keyed: KeypadInput
) -> Decision:
    try:
        return await service.key_code(call, decision, keyed.digits)
    except Exception as exc:
        _failed(call, "keypad code could not be checked", exc)
        return Decision(Outcome.ERROR, "service_error")


async def _end(channel: AgiChannel, outcome: Outcome, ending: Ending) -> None:
    """Carry out the ending; with no cause the call goes back to the dialplan."""
    if ending.answer:
        await channel.answer()
    if ending.prompt and await channel.stream_file(ending.prompt) < 0:
        logger.warning("call %s: prompt %s could not be played", channel.uniqueid, ending.prompt)
    if ending.cause is None:
        return
    # Hangup(N), not AGI HANGUP: every ending carries its cause. On a ringing channel
    # Hangup returns -1 and Asterisk then sends HANGUP: expected.
    await channel.exec("Hangup", str(ending.cause))
    # The service logged the call and its outcome at INFO: one line per call in production.
    logger.debug("call %s: %s, ended with cause %d%s", channel.uniqueid, outcome.value,
                 ending.cause, " after its prompt" if ending.prompt else "")  # fmt: skip


ROUTES: dict[str, Route] = {AUTH_SCRIPT: auth}
