"""The operators' console: its logins, logouts and sessions (nothing shared with holders).

An operator's password passes the same gate as a holder's (ivr/password_gate.py), counted
under keys of its own (``op:`` before the login and the address), so a holder's failures
never slow an operator down nor the other way round. An unknown login costs the same as a
wrong password. Every login, failed login and logout is in the operators' audit trail.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from callauth.db.console_models import Operator, OperatorSession
from callauth.db.operators import Operators
from callauth.db.store import Store
from callauth.ivr.password_gate import Gate, PasswordGate

logger = logging.getLogger(__name__)

#: Idle seconds before a console session ends, and its longest life (a working day).
IDLE = 30 * 60
LIFETIME = 10 * 3600
KEY_PREFIX = "op:"


class ConsoleStep(enum.Enum):
    BUSY = "busy"  # every password check is taken
    REFUSED = "refused"  # too many failures: not checked
    WRONG = "wrong"  # unknown login or wrong password
    IN = "in"


@dataclass(frozen=True)
class ConsoleLogin:
    step: ConsoleStep
    key: str = ""  # IN: the new session's key, for the cookie (never logged)


class ConsoleAuth:
    def __init__(self, store: Store, gate: PasswordGate) -> None:
        self.operators = Operators(store)
        self.gate = gate

    async def session(self, key: str) -> OperatorSession | None:
        """The live session of a cookie's key (each use keeps it from idling out)."""
        return await self.operators.session(key, IDLE, LIFETIME)

    async def log_in(self, login: str, password: str, address: str) -> ConsoleLogin:
        checked = await self.gate.check(
            (KEY_PREFIX + login, KEY_PREFIX + address),
            password,
            lambda: self.operators.by_login(login),
            _hash_of,
        )
        if checked.gate is Gate.BUSY:
            return ConsoleLogin(ConsoleStep.BUSY)
        if checked.gate is Gate.REFUSED:
            assert checked.refusal is not None
            detail = f"{login}: {checked.refusal.verdict.value}"
            await self.operators.audit(None, "login_refused", None, detail, address)
            return ConsoleLogin(ConsoleStep.REFUSED)
        if checked.gate is Gate.WRONG or checked.subject is None:
            await self.operators.audit(None, "login_failure", None, login, address)
            logger.info("operator login failed from %s", address)
            return ConsoleLogin(ConsoleStep.WRONG)
        key = await self.operators.start_session(checked.subject, IDLE, address)
        return ConsoleLogin(ConsoleStep.IN, key)

    async def log_out(self, key: str, session: OperatorSession, address: str) -> None:
        await self.operators.end_session(key, session.operator.id, address)


def _hash_of(operator: Operator) -> str:
    return operator.password_hash
