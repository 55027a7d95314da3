"""Telling the holder by mail: a verified login, a completed phone-number change.

The verification path calls these and must never wait on mail nor fail because of it: a
method queues one outbox row (the composition root's sender does the SMTP) and any error
is logged here, never raised. A mail goes only to an address the holder proved by the
code sent to it (``holders.email_confirmed_at``); an unproven one could be anyone's.
"""

from __future__ import annotations

import logging

from callauth.db.email_confirmations import masked_email
from callauth.db.models import Holder
from callauth.db.outbox import Outbox
from callauth.db.store import Store
from callauth.ivr import notices
from callauth.ivr.config import Site

logger = logging.getLogger(__name__)

#: The brand the mails are signed with (the web pages use the same).
BRAND = "みらい少額短期保険"


def contact_of(site: Site) -> notices.Contact:
    return notices.Contact(site.call_centre_name, site.call_centre_phone, site.call_centre_hours)


def confirmed_address(holder: Holder | None) -> str | None:
    if holder is None or not holder.email or holder.email_confirmed_at is None:
        return None
    return holder.email


class Notifier:
    def __init__(self, store: Store, site: Site, outbox: Outbox | None = None) -> None:
        self.store = store
        self.site = site
        self.outbox = outbox or Outbox(store)

    async def login_verified(self, holder: Holder | int, at: int) -> int | None:
        """「ログインがありました」 to the holder's confirmed address; the outbox id, or None
        when no mail is due (no confirmed address, mail off) or it could not be queued."""
        try:
            row = holder if isinstance(holder, Holder) else await self.store.holder(holder)
            to = self._recipient(row)
            if row is None or to is None:
                return None
            subject, body = notices.login_notice(
                BRAND, at, notices.mask_number(row.phone_e164), contact_of(self.site)
            )
            return await self._queue(row.id, "login notice", to, subject, body)
        except Exception as exc:  # mail must never break the login it reports
            logger.error("login notice not queued: %r", exc)
            return None

    async def phone_changed(
        self, holder_id: int, old_e164: str | None, new_e164: str, at: int
    ) -> int | None:
        """The number the call must come from has changed: tell the confirmed address."""
        try:
            to = self._recipient(await self.store.holder(holder_id))
            if to is None:
                return None
            subject, body = notices.phone_changed_notice(
                BRAND,
                at,
                notices.mask_number(old_e164),
                notices.mask_number(new_e164),
                contact_of(self.site),
            )
            return await self._queue(holder_id, "phone change notice", to, subject, body)
        except Exception as exc:  # the change itself is done; only the mail is lost
            logger.error("phone change notice for holder %d not queued: %r", holder_id, exc)
            return None

    def _recipient(self, holder: Holder | None) -> str | None:
        return confirmed_address(holder) if self.site.mail_enabled else None

    async def _queue(self, holder_id: int, what: str, to: str, subject: str, body: str) -> int:
        mail_id = await self.outbox.enqueue(to, subject, body)
        logger.info("%s for holder %d queued as mail %d to %s",
                    what, holder_id, mail_id, masked_email(to))  # fmt: skip
        return mail_id
