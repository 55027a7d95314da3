"""``GET /verify/events``: the waiting page's live feed (Server-Sent Events).

It sends the current status at once, then again whenever the challenge changes or a
refused call leaves a hint, and ends on a final state. Comments every ``HEARTBEAT`` seconds
keep proxies from closing the stream and reveal a browser that has gone away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from callauth.db.clock import Clock
from callauth.db.models import ChallengeEvent
from callauth.db.subscription import Subscription
from callauth.ivr.challenge_watch import ChallengeWatch
from callauth.web.flow import current_challenge
from callauth.web.keys import CLOCK, CONFIG, METRICS, SERVICES, SSE_TASKS
from callauth.web.status import status_payload

logger = logging.getLogger(__name__)

HEARTBEAT = 15.0
#: A stream never outlives its challenge by more than this; the browser reconnects if needed.
OVERTIME = 60.0


async def verify_events(request: web.Request) -> web.StreamResponse:
    challenge_id = await _current_challenge_id(request)
    if challenge_id is None:
        return web.Response(status=204)  # 204 tells EventSource not to reconnect
    return await stream_challenge(request, challenge_id)


async def _current_challenge_id(request: web.Request) -> int | None:
    # Only the id: a stream waits for minutes, thousands at once, and keeps no rows.
    challenge = await current_challenge(request)
    return challenge.id if challenge else None


async def stream_challenge(request: web.Request, challenge_id: int) -> web.StreamResponse:
    """The live feed of one challenge (a login's, or a phone change's) the caller may see."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    task = asyncio.current_task()
    assert task is not None
    request.app[SSE_TASKS].add(task)
    gauge = request.app[METRICS].sse_clients
    gauge.inc()
    try:
        with request.app[SERVICES].watch.subscribe(challenge_id) as queue:
            await _stream(request, response, challenge_id, queue)
    except ConnectionResetError:  # aiohttp's ClientConnectionResetError: the browser left
        logger.debug("event stream closed by the browser")
    finally:
        gauge.dec()
        request.app[SSE_TASKS].discard(task)
    return response


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    challenge_id: int,
    queue: Subscription,
) -> None:
    watch, clock = request.app[SERVICES].watch, request.app[CLOCK]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + request.app[CONFIG].telephony.challenge_ttl + OVERTIME
    await response.write(b"retry: 2000\n\n")
    sent: _Sent | None = None
    while loop.time() < deadline:
        sent, wait = await _update(watch, clock, response, challenge_id, sent)
        if wait is None:
            return
        # Any event (a state change, or a refused call's hint now on the row): re-read.
        await _next_event(response, queue, wait)


#: What the browser was last told: (state, hint message, keypad code).
_Sent = tuple[str, str | None, str | None]


async def _update(
    watch: ChallengeWatch, clock: Clock, response: web.StreamResponse, challenge_id: int,
    sent: _Sent | None,
) -> tuple[_Sent | None, float | None]:  # fmt: skip
    """Send the status if it changed; (what was sent, seconds to wait or None: the end).

    The row and the payload live only here, not across the wait."""
    challenge = await watch.challenge(challenge_id)
    if challenge is None:
        return sent, None
    payload = status_payload(challenge, clock(), challenge.hint)
    if sent != (payload["state"], payload["hint"], payload["code"]):
        sent = (payload["state"], payload["hint"], payload["code"])
        await _send(response, payload)
    if payload["state"] != "pending":
        return sent, None
    return sent, payload["expires_in"] + 1.0


async def _send(response: web.StreamResponse, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, ensure_ascii=False)
    await response.write(f"data: {data}\n\n".encode())


async def _next_event(
    response: web.StreamResponse, queue: Subscription, wait: float
) -> ChallengeEvent | None:
    """The next event, or None after ``wait`` seconds; a heartbeat every ``HEARTBEAT``.

    A heartbeat does not re-read the challenge: only events change it, and its expiry is
    the end of ``wait``. (Re-reading made every stream query the store every 15 s; 5,000
    streams opened together did so in waves, and calls waited behind the wave.)
    """
    loop = asyncio.get_running_loop()
    until = loop.time() + wait
    while (left := until - loop.time()) > 0:
        try:
            async with asyncio.timeout(min(HEARTBEAT, left)):  # not wait_for: no extra task
                return await queue.get()
        except TimeoutError:
            await response.write(b": keep-alive\n\n")
    return None
