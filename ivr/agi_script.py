"""Classic AGI: ``AGI(callauth-agi)`` runs this once per call on the PBX host.

For admins who prefer a script per call to the FastAGI server. Same decision
(``VerificationService.handle_call``), same store, same ``CALLAUTH_RESULT`` words, same
reject / announce endings as ``ivr.agi_handlers.auth``. The peer is this host
(``127.0.0.1``), so ``allowed_peers`` must keep it; trust still needs the trunk's context.

Built on pyst2's ``asterisk.agi.AGI`` over stdin/stdout, with two fixes: its debug output
(which prints the caller's number) goes nowhere instead of to Asterisk's console, and
end of input becomes a hang-up instead of ``ValueError: invalid literal for int()``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from asterisk.agi import AGI, AGIAppError, AGIException, AGIHangup, AGIUnknownError

from callauth.db.store import Store
from callauth.ivr.agi_channel import CallHungUp, KeypadInput
from callauth.ivr.agi_handlers import ask_code, decide_call
from callauth.ivr.config import Config, ConfigError, load_file
from callauth.ivr.dialplan import RESULT_VARIABLE, Outcome
from callauth.ivr.ending import Ending, ending_for
from callauth.ivr.service import AgiCall, VerificationService

logger = logging.getLogger(__name__)

#: The FastAGI peer a local script stands for: the PBX itself.
LOCAL_PEER = "127.0.0.1"


class ClassicAgi(AGI):  # type: ignore[misc]
    #: Whether CALLAUTH_RESULT was set: a failure after it keeps the word already given.
    result_set = False

    def set_variable(self, name: str, value: str) -> None:
        super().set_variable(name, value)
        if name == RESULT_VARIABLE:
            self.result_set = True

    def get_result(self, stdin: Any = None) -> dict[str, Any]:
        try:
            return dict(super().get_result())
        except ValueError as exc:  # an empty line: Asterisk closed our stdin
            raise AGIHangup("end of AGI input") from exc


class ClassicKeypad:
    """``GET DATA`` over pyst2, as :func:`ivr.agi_handlers.ask_code` asks it of a channel."""

    def __init__(self, agi: AGI) -> None:
        self.agi = agi

    @property
    def uniqueid(self) -> str:
        return str(self.agi.env.get("agi_uniqueid", ""))

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> KeypadInput:
        try:
            keyed = self.agi.get_data(prompt, timeout_ms, max_digits)
        except AGIAppError:  # result=-1: a missing prompt or a hang-up; the next one tells
            return KeypadInput("", timed_out=False, failed=True)
        except AGIHangup as exc:
            raise CallHungUp(str(exc)) from exc
        except AGIUnknownError as exc:  # 511: the channel is dead
            raise CallHungUp(f"GET DATA: {exc}") from exc
        return KeypadInput(str(keyed or ""), timed_out=False, failed=False)


async def decide(agi: AGI, config: Config, call: AgiCall) -> tuple[Outcome, bool]:
    """Open the store, decide and log the call (asking for the keypad code where the page
    shows one), close the store; (outcome, whether the call was answered)."""
    # One call's units run one after another: one PostgreSQL connection is enough, where
    # db_pool's threads would each open their own for this single call.
    store = await Store.open(config.db, pool=1)
    try:
        service = VerificationService(store, config)
        decision = await decide_call(service, call)
        if not decision.asks_code:
            return decision.outcome, False
        agi.answer()
        decision = await ask_code(ClassicKeypad(agi), service, call, decision)
        return decision.outcome, True
    finally:
        await store.close()


def run(agi: AGI, config: Config) -> Outcome | None:
    """One call: the outcome set in ``CALLAUTH_RESULT``, or None if the caller hung up first."""
    uniqueid = agi.env.get("agi_uniqueid", "")
    # agi_secret guards the FastAGI socket that any local account can reach; this script
    # has no socket: Asterisk starts it, and its arguments are --config and --log.
    config = dataclasses.replace(
        config, telephony=dataclasses.replace(config.telephony, agi_secret="")
    )
    try:
        num_pres = agi.get_variable("CALLERID(num-pres)")
        call = AgiCall(dict(agi.env), num_pres, LOCAL_PEER)
        try:
            outcome, answered = asyncio.run(decide(agi, config, call))
        except (CallHungUp, AGIHangup):
            raise
        except Exception as exc:  # the store cannot be opened, say: the caller still hears it
            logger.error("call %s: verification failed: %s", uniqueid, exc)
            outcome, answered = Outcome.ERROR, False
        agi.set_variable(RESULT_VARIABLE, outcome.value)
        _end(agi, outcome, ending_for(outcome, config.telephony.call_mode, answered=answered,
                                      hangup_by=config.telephony.hangup_by))  # fmt: skip
        return outcome
    except (AGIHangup, CallHungUp) as exc:
        logger.info("call %s: ended by the caller or Asterisk (%s)", uniqueid, exc)
        return None


def _end(agi: AGI, outcome: Outcome, ending: Ending) -> None:
    """Carry out the ending; with no cause the call goes back to the dialplan."""
    uniqueid = agi.env.get("agi_uniqueid", "")
    if ending.answer:
        agi.answer()
    if ending.prompt:
        try:
            agi.stream_file(ending.prompt)
        except AGIHangup:
            raise
        except AGIAppError:  # -1: the prompt is not installed
            logger.warning("call %s: prompt %s could not be played", uniqueid, ending.prompt)
    if ending.cause is None:
        return
    try:  # EXEC Hangup N, never AGI HANGUP (which sets no cause)
        agi.appexec("Hangup", str(ending.cause))
    except AGIAppError:
        pass  # Hangup always returns -1, which pyst2 raises: expected
    logger.info("call %s: %s, ended with cause %d%s", uniqueid, outcome.value, ending.cause,
                " after its prompt" if ending.prompt else "")  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callauth-agi", description="callauth as a classic AGI script: AGI(callauth-agi)"
    )
    parser.add_argument("--config", metavar="FILE", help="TOML configuration file")
    parser.add_argument("--db", metavar="PATH", help="SQLite database (as callauth serve's)")
    parser.add_argument("--log", metavar="FILE", help="append log lines here (default stderr)")
    return parser


def _config(args: argparse.Namespace) -> Config:
    return load_file(args.config, os.environ, {"db": args.db})


def main(argv: Sequence[str] | None = None) -> int:
    """One call; exit 0, or 2 (AGISTATUS=FAILURE) after any failure, which always leaves
    ``CALLAUTH_RESULT=error`` and one log line, never a traceback on Asterisk's console."""
    try:
        args: argparse.Namespace | None = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0), or a bad AGI() line: argparse said why
        if not exc.code:
            return 0
        args = None
    _log_to(args.log if args else None)
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    with open(os.devnull, "w", encoding="utf-8") as quiet:
        agi = ClassicAgi(stdin=stdin, stdout=stdout, stderr=quiet)
        return _call(agi, args)


def _call(agi: ClassicAgi, args: argparse.Namespace | None) -> int:
    uniqueid = agi.env.get("agi_uniqueid", "")
    try:
        if args is None:
            raise ConfigError("bad arguments in the dialplan's AGI(callauth-agi,...) line")
        run(agi, _config(args))
        return 0
    except ConfigError as exc:
        logger.error("call %s: configuration: %s", uniqueid, exc)
    except Exception as exc:  # a bug or a broken PBX pipe: the call still ends as error
        logger.error("call %s: failed: %r", uniqueid, exc)
        logger.debug("call %s: traceback", uniqueid, exc_info=True)
    if not agi.result_set:
        _tell_dialplan(agi, Outcome.ERROR)
    return 2


def _log_to(path: str | None) -> None:
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    problem = None
    if path:
        try:
            handler = logging.FileHandler(path)
        except OSError as exc:  # log to stderr instead, and say so
            problem = exc
    logging.basicConfig(level=logging.INFO, handlers=[handler],
                        format="%(asctime)s %(levelname)s callauth-agi: %(message)s")  # fmt: skip
    if problem is not None:
        logger.error("cannot open the log file: %s", problem)


def _tell_dialplan(agi: AGI, outcome: Outcome) -> None:
    try:
        agi.set_variable(RESULT_VARIABLE, outcome.value)
    except AGIException as exc:  # hung up, or Asterisk has gone: nothing more to tell
        logger.info("CALLAUTH_RESULT not set: %s", exc)


if __name__ == "__main__":
    sys.exit(main())
