"""FastAGI scripts: one named function each, in one explicit route table.

Handlers are thin: collect the call facts, ask the service, tell the dialplan the outcome
(``CALLAUTH_RESULT``) and end the call the way the configured call mode says.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ivr.agi_channel import AgiChannel, CallHungUp
from ivr.dialplan import AUTH_SCRIPT, NORMAL_CLEARING, REJECT_CAUSE, RESULT_VARIABLE, Outcome
from ivr.service import AgiCall, VerificationService

logger = logging.getLogger(__name__)

#: A FastAGI script: runs one call on its channel.
Route = Callable[[AgiChannel, VerificationService], Awaitable[None]]

#: The prompt played for each outcome in announce mode (sound files under
#: ``sounds/<lang>/callauth/``). ``not_matched`` never says whether the number is known.
PROMPTS: dict[Outcome, str] = {
    Outcome.VERIFIED: "callauth/verified",
    Outcome.WITHHELD: "callauth/withheld",
    Outcome.UNAVAILABLE: "callauth/unavailable",
    Outcome.NOT_MATCHED: "callauth/not_matched",
    Outcome.EXPIRED: "callauth/expired",
    Outcome.AMBIGUOUS: "callauth/ambiguous",
    Outcome.THROTTLED: "callauth/throttled",
    Outcome.UNTRUSTED: "callauth/untrusted",
    Outcome.ERROR: "callauth/error",
}


def reject_cause(outcome: Outcome) -> int:
    """Reject mode's hang-up cause: 16 Normal Clearing once verified, else 21 Call Rejected.

    Either way the ringing call is never answered, so it costs the caller nothing.
    """
    return NORMAL_CLEARING if outcome is Outcome.VERIFIED else REJECT_CAUSE


async def auth(channel: AgiChannel, service: VerificationService) -> None:
    """Verify a login from the caller's number, set ``CALLAUTH_RESULT`` and end the call."""
    uniqueid = channel.uniqueid
    try:
        # Everything else (number, dialled, octet presentation, context) is in the header.
        num_pres = await channel.get_variable("CALLERID(num-pres)")
        outcome = await _decide(service, AgiCall(dict(channel.headers), num_pres, channel.peer))
        # Still allowed on a dead channel, so the dialplan's h extension sees it too.
        await channel.set_variable(RESULT_VARIABLE, outcome.value)
        if service.config.call_mode == "announce":
            await _announce(channel, outcome)
        else:
            await _reject(channel, outcome)
    except CallHungUp as exc:
        logger.info("call %s: ended by the caller or Asterisk (%s)", uniqueid, exc)


async def _decide(service: VerificationService, call: AgiCall) -> Outcome:
    try:
        return (await service.handle_call(call)).outcome
    except Exception:
        # The caller still gets a clear ending; the dialplan branches on ``error``.
        logger.error("call %s: verification failed", call.env.get("agi_uniqueid", ""),
                     exc_info=True)  # fmt: skip
        return Outcome.ERROR


async def _reject(channel: AgiChannel, outcome: Outcome) -> None:
    cause = reject_cause(outcome)
    # On a ringing channel ``Hangup`` returns -1 and Asterisk then sends HANGUP: expected.
    await channel.exec("Hangup", str(cause))
    # The service logged the call and its outcome at INFO: one line per call in production.
    logger.debug("call %s: %s, rejected unanswered with cause %d",
                 channel.uniqueid, outcome.value, cause)  # fmt: skip


async def _announce(channel: AgiChannel, outcome: Outcome) -> None:
    await channel.answer()
    prompt = PROMPTS[outcome]
    if await channel.stream_file(prompt) < 0:
        logger.warning("call %s: prompt %s could not be played", channel.uniqueid, prompt)
    await channel.hangup()
    logger.info("call %s: %s, announced and hung up", channel.uniqueid, outcome.value)


ROUTES: dict[str, Route] = {AUTH_SCRIPT: auth}
