"""Demo data for `callauth serve --demo`: a fictional insurer's holders and contracts."""

from __future__ import annotations

from dataclasses import dataclass

from callauth.db.email_confirmations import EmailConfirmations
from callauth.db.models import NewContract, NewHolder
from callauth.db.store import Store
from callauth.ivr.passwords import hash_password


@dataclass(frozen=True)
class DemoHolder:
    login_id: str
    password: str
    name: str
    kana: str
    birth_date: str
    phone: str | None
    email: str | None
    note: str


DEMO_HOLDERS = (
    DemoHolder("demo", "demo1234", "山田 太郎", "ヤマダ タロウ", "1980-04-01",
               "+819012345678", "taro.yamada@example.jp", "携帯電話 090-1234-5678 を登録済み"),
    DemoHolder("sato", "sato1234", "佐藤 花子", "サトウ ハナコ", "1975-11-23",
               "+81312345678", None, "固定電話 03-1234-5678 を登録済み"),
    DemoHolder("suzuki", "suzuki1234", "鈴木 一郎", "スズキ イチロウ", "1990-07-15",
               None, None, "電話番号が未登録"),
    DemoHolder("takahashi", "takahashi1234", "高橋 美咲", "タカハシ ミサキ", "1988-03-09",
               "+815012345678", "misaki@example.jp",
               "IP電話 050-1234-5678 を登録（本人認証に利用できない番号）"),
)  # fmt: skip

_CONTRACTS = {
    "demo": (
        NewContract("SP-2026-000123", "家財保険（お部屋の保険）", "2026-04-01", "2028-04-01",
                    "山田 太郎", "ヤマダ タロウ", "1980-04-01", True, "+819012345678"),
        NewContract("SP-2025-004567", "個人賠償責任保険", "2025-10-01", "2026-10-01",
                    "山田 花子", "ヤマダ ハナコ", "1982-02-14", False, None, False),
    ),
    "sato": (
        NewContract("SP-2026-000456", "家財保険（お部屋の保険）", "2026-01-15", "2028-01-15",
                    "佐藤 花子", "サトウ ハナコ", "1975-11-23", True, "+81312345678"),
        NewContract("SP-2026-000457", "個人賠償責任保険", "2026-01-15", "2027-01-15",
                    "佐藤 健", "サトウ ケン", "2005-05-05", False, None),
    ),
    "suzuki": (
        NewContract("SP-2026-000789", "家財保険（お部屋の保険）", "2026-06-01", "2028-06-01",
                    "鈴木 一郎", "スズキ イチロウ", "1990-07-15", True, None),
    ),
    "takahashi": (
        NewContract("SP-2026-000901", "家財保険（お部屋の保険）", "2026-09-01", "2028-09-01",
                    "高橋 美咲", "タカハシ ミサキ", "1988-03-09", True, "+815012345678"),
    ),
}  # fmt: skip


async def seed(store: Store) -> bool:
    """Add the demo holders if the database is empty; True if it seeded."""
    if await store.count_holders():
        return False
    for demo in DEMO_HOLDERS:
        holder = await store.add_holder(
            NewHolder(
                login_id=demo.login_id,
                password_hash=await hash_password(demo.password),
                name=demo.name,
                kana=demo.kana,
                birth_date=demo.birth_date,
                email=demo.email,
                phone_e164=demo.phone,
            )
        )
        for contract in _CONTRACTS[demo.login_id]:
            await store.add_contract(holder.id, contract)
        if demo.email:  # so that the demo shows the login mail (written to ./demo-mail/)
            await EmailConfirmations(store).mark_confirmed(holder.id, "demo data")
    return True


def credentials() -> str:
    lines = ["デモ用ログイン (login ID / password):"]
    lines += [f"  {d.login_id:<9} / {d.password:<13} {d.note}" for d in DEMO_HOLDERS]
    lines.append("お申込みフォームの電話番号欄（デモ）: /demo/apply")
    return "\n".join(lines)
