"""What the operators' console does: the dashboard and coverage counts, the holder search
and a holder's file, lifting a login throttle, cancelling a stuck number change, the CSV
of holders to contact and the operators' own audit trail.

Every search, holder page viewed, action and download is in the operators' audit trail
with the operator and the address; an unlock or a cancellation is in the holder's own
trail too, with the reason the operator typed.
"""

from __future__ import annotations

from callauth.db.console_models import OperatorAction, OperatorSession, Overview
from callauth.db.dashboard import Dashboard
from callauth.db.holder_lookup import Found, HolderFile, HolderLookup
from callauth.db.operators import Operators
from callauth.db.store import Store
from callauth.db.throttle_policy import LoginState
from callauth.db.throttles import Throttles
from callauth.ivr.config import Config
from callauth.ivr.coverage import Coverage, CoverageCache
from callauth.ivr.service import VerificationService


class AdminOps:
    def __init__(
        self, store: Store, config: Config, throttles: Throttles, calls: VerificationService
    ) -> None:
        self.store = store
        self.config = config
        self.throttles = throttles
        self.calls = calls
        self.operators = Operators(store)
        self.lookup = HolderLookup(store)
        self.dashboard = Dashboard(store)
        self._coverage = CoverageCache(self.dashboard, store.clock)

    async def _audit(
        self, by: OperatorSession, action: str, holder_id: int | None, detail: str, ip: str
    ) -> None:
        await self.operators.audit(by.operator.id, action, holder_id, detail, ip)

    async def overview(self) -> Overview:
        return await self.dashboard.overview()

    async def coverage(self) -> Coverage:
        """Holders with a usable number, without one, with one that cannot verify."""
        return await self._coverage.get(self.config.telephony.allowed_kinds)

    def enforced(self) -> bool:
        """Whether today (JST) is on or after the enforcement date."""
        return self.config.site.phone_required(self.store.clock())

    async def to_contact(self, by: OperatorSession, ip: str) -> list[tuple[str, ...]]:
        """(login ID, name, kana, e-mail, phone or "") of the holders without a usable
        number: those to contact before the enforcement date."""
        found = await self.coverage()
        rows = await self.dashboard.holders_with(set(found.unusable_numbers), without=True)
        await self._audit(by, "coverage_csv", None, f"{len(rows)} holders", ip)
        return rows

    async def search(self, by: OperatorSession, query: str, ip: str) -> list[Found]:
        if not query:
            return []
        found = await self.lookup.search(query)
        await self._audit(by, "search", None, f"{query!r}: {len(found)} found", ip)
        return found

    async def viewed(self, by: OperatorSession, holder_id: int, ip: str) -> None:
        await self._audit(by, "view_holder", holder_id, "", ip)

    async def holder_file(self, holder_id: int) -> tuple[HolderFile, LoginState] | None:
        """The holder's page: recent logins, calls, pending changes, and the throttle."""
        file = await self.lookup.holder_file(holder_id)
        if file is None:
            return None
        return file, await self.throttles.state(file.holder.login_id)

    async def unlock(self, by: OperatorSession, holder_id: int, reason: str, ip: str) -> bool:
        """Clear the holder's login throttles; False: no such holder."""
        holder = await self.store.holder(holder_id)
        if holder is None:
            return False
        before = await self.throttles.unlock(holder.login_id)
        detail = (f"{before.consecutive_failures} consecutive failures,"
                  f" {'locked' if before.locked else 'not locked'},"
                  f" {before.throttled_addresses} throttled addresses; reason: {reason}")  # fmt: skip
        await self._audit(by, "unlock", holder_id, detail, ip)
        await self.store.audit(
            holder_id, "login_unlocked", f"by operator {by.operator.login}: {detail}", ip
        )
        return True

    async def cancel_change(
        self, by: OperatorSession, holder_id: int, change_id: int, reason: str, ip: str
    ) -> bool:
        """Cancel the holder's stuck number change; False: it has already ended."""
        changes = self.calls.phone_changes
        change = await changes.get(change_id)
        if change is None or change.holder_id != holder_id or not await changes.cancel(change_id):
            return False
        detail = f"phone change {change_id}; reason: {reason}"
        await self._audit(by, "cancel_change", holder_id, detail, ip)
        await self.store.audit(holder_id, "phone_change_cancelled_by_operator",
                               f"by operator {by.operator.login}: {detail}", ip)  # fmt: skip
        return True

    async def actions(self, limit: int) -> list[OperatorAction]:
        return await self.operators.actions(limit)
