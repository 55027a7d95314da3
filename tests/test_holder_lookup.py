"""The console's holder search finds and orders login IDs alike on SQLite and on
PostgreSQL: a prefix matches whatever its case, and the list is in code-point order even
in a database whose own collation would sort otherwise."""

from __future__ import annotations

import os

import asyncpg
import pytest

from callauth.db.holder_lookup import HolderLookup
from callauth.db.models import NewHolder
from callauth.db.store import Store
from tests.conftest import FakeClock
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.backends  # the search on SQLite and on PostgreSQL

LOGIN_IDS = ("yamada2", "Yamada.Taro", "YAMADA_3", "yamabuki", "suzuki")
#: Code-point order (SQLite's BINARY): capitals before small letters, "." before "_".
FOUND = ["YAMADA_3", "Yamada.Taro", "yamabuki", "yamada2"]


async def seeded(store: Store) -> HolderLookup:
    for login_id in LOGIN_IDS:
        await store.add_holder(NewHolder(login_id, "hash", "山田 太郎"))
    return HolderLookup(store)


async def test_a_prefix_finds_login_ids_whatever_their_case_in_code_point_order(
    store: Store,
) -> None:
    lookup = await seeded(store)
    for query in ("yama", "YAMA", "Yama"):
        found = await lookup.search(query)
        assert [f.holder.login_id for f in found] == FOUND, query
        assert {f.why for f in found} == {"login_id"}
    assert [f.holder.login_id for f in await lookup.search("yamada_")] == ["YAMADA_3"]
    assert [f.holder.login_id for f in await lookup.search("yamada%")] == []


async def test_order_is_code_point_order_in_a_database_that_collates_by_language(
    pg: Cluster, clock: FakeClock
) -> None:
    name = f"icu_en_{os.getpid()}"
    conn = await asyncpg.connect(pg.url("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8'
                           " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")  # fmt: skip
    finally:
        await conn.close()
    url = pg.url(name)
    try:
        store = await Store.open(url, clock)
        try:
            lookup = await seeded(store)
            assert [f.holder.login_id for f in await lookup.search("yama")] == FOUND
        finally:
            await store.close()
    finally:
        await pg.drop(url)
