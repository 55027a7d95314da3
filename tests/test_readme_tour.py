"""The README's tour works as written (issue 10): it calls the number the page shows, and
its one-line script gets that number from /verify/status of a real server."""

from __future__ import annotations

import asyncio
import pathlib
import re
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestServer

from callauth.ivr.config import Config
from callauth.site import create_site, store_of
from tests.conftest import FakeClock
from tests.web_support import seed_holder

README = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
TOUR = README[README.index("## A one-minute tour") : README.index("## Screenshots")]


def test_the_tour_calls_the_number_on_the_page_not_a_fixed_one() -> None:
    calls = re.findall(r"callauth call --from \S+ --to (\S+)", TOUR)
    assert calls and all(to == "<the" for to in calls), calls


async def test_the_tours_one_line_script_prints_the_pages_number(
    tmp_path: pathlib.Path, clock: FakeClock, aiohttp_server: Callable[..., Awaitable[Any]]
) -> None:
    app = create_site(Config(db=str(tmp_path / "c.db")), clock=clock)
    server: TestServer = await aiohttp_server(app)
    await seed_holder(store_of(app), "demo", "demo1234", "+819012345678")
    line = next(x.strip() for x in TOUR.splitlines() if x.strip().startswith("python3 -c"))
    code = shlex.split(line)[2].replace("http://127.0.0.1:8080", str(server.make_url("")))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    number = out.decode().strip()
    assert re.fullmatch(r"0120\d{6}", number), number
