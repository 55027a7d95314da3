"""What My Page (契約者さま専用ページ) shows a logged-in holder: the holder, ご契約一覧, whether
the registered number can verify, and a number change waiting for its call."""

from __future__ import annotations

from dataclasses import dataclass

from callauth.db.models import Contract, Holder, PhoneChange
from callauth.db.store import Store
from callauth.ivr.login_flow import LoginFlow
from callauth.ivr.service import VerificationService


@dataclass(frozen=True)
class MyPage:
    holder: Holder
    contracts: list[Contract]
    phone_usable: bool
    awaiting: PhoneChange | None  # a number change waiting for the call from its new number


class HolderPages:
    def __init__(self, store: Store, login: LoginFlow, calls: VerificationService) -> None:
        self.store = store
        self.login = login
        self.calls = calls

    async def holder(self, holder_id: int) -> Holder | None:
        return await self.store.holder(holder_id)

    async def my_page(self, holder_id: int) -> MyPage | None:
        """None: the holder was deleted since the login."""
        holder = await self.store.holder(holder_id)
        if holder is None:
            return None
        return MyPage(
            holder,
            await self.store.contracts_of(holder_id),
            self.login.phone_usable(holder),
            await self.calls.phone_changes.awaiting_of(holder_id),
        )

    async def contract(self, holder: Holder, contract_id: int) -> Contract | None:
        """The holder's contract of that id; another holder's is simply not found."""
        for contract in await self.store.contracts_of(holder.id):
            if contract.id == contract_id:
                return contract
        return None
