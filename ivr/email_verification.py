"""An e-mail address is the holder's once a code sent to it comes back (My Page).

A 6-digit code, 30 minutes, 5 tries, at most 5 codes an hour per holder (a logged-in
attacker must not turn the site into a mail cannon); the mail also links to the page
with the code filled in, for a holder who reads it on the same phone.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
import urllib.parse

from callauth.db.email_confirmations import (
    ConfirmOutcome,
    ConfirmResult,
    EmailConfirmations,
    Origin,
    PendingEmail,
    masked_email,
)
from callauth.db.outbox import Outbox
from callauth.db.store import Store
from callauth.ivr import notices
from callauth.ivr.config import Config
from callauth.ivr.notify import BRAND, contact_of

__all__ = ["ConfirmOutcome", "ConfirmResult", "EmailVerification", "Origin", "PendingEmail"]

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_TTL = 1800
MAX_TRIES = 5
MAX_SENDS_PER_HOUR = 5
#: The page the mail's link opens (the code filled in).
VERIFY_PATH = "/mypage/email/verify"


def clean_code(text: str) -> str | None:
    """The code as typed (full-width digits, spaces, hyphens allowed), or None if it
    cannot be one: a typo in the shape is told at once and costs no try."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", text) if c not in " -")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


class EmailVerification:
    def __init__(self, store: Store, config: Config, outbox: Outbox | None = None) -> None:
        self.config = config
        self.confirmations = EmailConfirmations(store)
        self.outbox = outbox or Outbox(store)

    async def send_code(self, holder_id: int, email: str, origin: Origin) -> PendingEmail | None:
        """Mail a new code to ``email`` (the older one stops working); None when the holder
        has been sent too many codes this hour."""
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        pending = await self.confirmations.start(
            holder_id, email, code, CODE_TTL, MAX_SENDS_PER_HOUR, origin
        )
        if pending is None:
            logger.info("holder %d: email code refused, too many sent", holder_id)
            return None
        link = f"{self.config.public_url}{VERIFY_PATH}?{urllib.parse.urlencode({'code': code})}"
        subject, body = notices.email_confirmation(
            BRAND, code, link, CODE_TTL // 60, contact_of(self.config.site)
        )
        mail_id = await self.outbox.enqueue(email, subject, body)
        logger.info("holder %d: email code queued as mail %d to %s",
                    holder_id, mail_id, masked_email(email))  # fmt: skip
        return pending

    async def pending_of(self, holder_id: int) -> PendingEmail | None:
        return await self.confirmations.pending_of(holder_id)

    async def confirm(self, holder_id: int, code: str, origin: Origin) -> ConfirmResult:
        result = await self.confirmations.confirm(holder_id, code, MAX_TRIES, origin)
        logger.info("holder %d: email code %s (%s)",
                    holder_id, result.outcome.value, masked_email(result.email))  # fmt: skip
        return result
