"""Waiting browsers: log in N holders over HTTP, hold N ``/verify/events`` streams open,
then verify them by calls at a steady rate and time call → event at the browser.

    python -m bench.browsers --http H:P --agi H:P --plan plan.json --browsers 5000 \
        --rate 100 --server-pid PID

Runs in its own process; calls and streams share one clock. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.seed import PASSWORD, Plan, domestic, phone_of
from bench.stats import summary
from callauth.ivr.simulator import call_spec, run_call

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE = "callauth_session"


@dataclass
class Browser:
    login_id: str
    cookie: str = ""
    auth_number: str = ""
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    verified_at: float | None = None


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def log_in(http: aiohttp.ClientSession, base: str, browser: Browser) -> None:
    async with http.get(f"{base}/login") as page:
        # Whatever the form's CSRF protection set (the login form keeps no session row).
        cookies = "; ".join(f"{name}={c.value}" for name, c in page.cookies.items())
        token = _CSRF.search(await page.text())
    assert token, "login page without csrf_token"
    form = {"login_id": browser.login_id, "password": PASSWORD, "csrf_token": token.group(1)}
    async with http.post(
        f"{base}/login", data=form, headers={"Cookie": cookies}, allow_redirects=False
    ) as response:
        assert response.status == 302, response.status
        browser.cookie = response.cookies[COOKIE].value
    async with http.get(f"{base}/verify/status", headers=_cookie(browser)) as status:
        browser.auth_number = (await status.json())["auth_number"]


def _cookie(browser: Browser) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={browser.cookie}"}


async def wait_for_verification(http: aiohttp.ClientSession, base: str, browser: Browser) -> None:
    async with http.get(
        f"{base}/verify/events", headers=_cookie(browser), timeout=aiohttp.ClientTimeout(total=None)
    ) as stream:
        async for line in stream.content:
            if not line.startswith(b"data: "):
                continue
            state = json.loads(line[6:])["state"]
            if state == "pending":
                browser.connected.set()
            elif state == "verified":
                browser.verified_at = time.perf_counter()
                return
            else:
                return


async def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan.load(args.plan)
    base = f"http://{args.http}"
    host, _, port = args.agi.rpartition(":")
    browsers = [Browser(login) for login in plan.idle_logins[: args.browsers]]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar()
    ) as http:
        rss_before = rss_kib(args.server_pid)
        await _bounded(args.login_concurrency, [log_in(http, base, b) for b in browsers])
        streams = [asyncio.create_task(wait_for_verification(http, base, b)) for b in browsers]
        await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in browsers)), 120)
        await asyncio.sleep(1)  # let the server settle before reading its memory
        rss_after = rss_kib(args.server_pid)
        latencies = await _call_at_rate(host, int(port), browsers[: args.calls], args.rate)
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return {
        "browsers": len(browsers),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "kib_per_browser": (rss_after - rss_before) / len(browsers),
        "call_to_event_ms": summary(latencies),
        "missed": sum(1 for b in browsers[: args.calls] if b.verified_at is None),
    }


async def _bounded(limit: int, coroutines: list[Any]) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Any) -> None:
        async with semaphore:
            await coroutine

    await asyncio.gather(*(one(c) for c in coroutines))


async def _call_at_rate(host: str, port: int, browsers: list[Browser], rate: float) -> list[float]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    placed: list[tuple[Browser, float]] = []
    calls = []
    for i, browser in enumerate(browsers):
        delay = started + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        caller = domestic(phone_of(int(browser.login_id[1:])))
        spec = call_spec(caller, browser.auth_number)
        placed.append((browser, time.perf_counter()))
        calls.append(asyncio.create_task(run_call(host, port, spec)))
    await asyncio.gather(*calls)
    await asyncio.sleep(1)  # the last events are in flight
    return [(b.verified_at - t) * 1000 for b, t in placed if b.verified_at is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", required=True)
    parser.add_argument("--agi", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--browsers", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=2000, help="how many browsers to verify")
    parser.add_argument("--rate", type=float, default=100.0, help="verifying calls per second")
    # Within what the password pool takes at once (password_workers + password_queue):
    # beyond it the site answers 503 by design.
    parser.add_argument("--login-concurrency", type=int, default=12)
    parser.add_argument("--server-pid", type=int, required=True)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
