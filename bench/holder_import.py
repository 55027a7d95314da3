"""How long `callauth holders import` takes for a core-system file of new holders.

The file is what the core system writes: Shift_JIS (CP932), the default Japanese header,
one contract per holder, every number a valid mobile one; the run is the real command in
a process of its own on an empty (migrated) database, initial-password letters included.
A second run of the same file measures the re-import (every row compared, none changed).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from callauth.db.store import Store
from callauth.ivr.holder_layout import COLUMNS


def write_file(path: str, holders: int) -> None:
    lines = [",".join(japanese for _, japanese in COLUMNS)]
    for i in range(holders):
        phone = f"090-{1000 + i // 10000:04d}-{i % 10000:04d}"
        lines.append(
            f"c{i:07d},契約者 {i},ケイヤクシャ,1980/04/01,c{i}@example.jp,{phone},"
            f"SP-{i:08d},家財保険（お部屋の保険）,2026/04/01,2028/03/31,契約者 {i},,1,1"
        )
    with open(path, "wb") as file:
        file.write(("\r\n".join(lines) + "\r\n").encode("cp932"))


def _import(db: str, path: str, letters: str | None) -> float:
    command = [sys.executable, "-m", "callauth", "holders", "import", path, "--db", db]
    if letters:
        command += ["--letters", letters]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {done.stderr[-2000:]}")
    return elapsed


def measure(folder: str, holders: int) -> dict[str, float]:
    db, path = os.path.join(folder, "import.db"), os.path.join(folder, "holders.csv")
    letters = os.path.join(folder, "letters.csv")
    for stale in (db, db + "-wal", db + "-shm", letters):
        if os.path.exists(stale):
            os.remove(stale)
    write_file(path, holders)

    async def create() -> None:
        await (await Store.open(db)).close()

    asyncio.run(create())
    first = _import(db, path, letters)
    again = _import(db, path, None)
    return {"holders": holders, "import_s": first, "reimport_s": again}
