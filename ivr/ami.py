"""The AMI client: keeps the PBX connection and feeds events to ``ivr.ami_calls``.

Built on panoramisk's ``Manager``, whose 1.4 release has traps this subclass closes:

- it reconnects from ``loop.call_later`` handles nobody keeps, at a fixed pace, so
  ``close()`` cannot stop it and a refused login is retried forever every 2 s;
- ``login()`` runs as a done-callback and raises into the loop's handler when the
  future failed; a login that gets no answer (connection dropped) is never resolved;
- it pings but never notices a peer that stopped answering;
- event callbacks run inside ``data_received``, where one exception drops the connection
  and skips the other callbacks, and coroutine callbacks are fire-and-forget tasks whose
  exceptions vanish.

Kept from panoramisk: the protocol parser, action futures, ``register_event`` patterns and
``dispatch``. Replaced: the connection lifecycle, now one supervised task with back-off.
Verification never waits for AMI: it only adds how each call ended.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Coroutine
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

from callauth.db.store import Store
from callauth.ivr.ami_calls import CallFollower
from callauth.ivr.config import Ami, Config
from callauth.ivr.pbx_state import PbxState

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
LOGIN_TIMEOUT = 5.0
PING_INTERVAL = 10.0


class Session(enum.Enum):
    LOST = "lost"  # was logged in, then the connection ended (e.g. Asterisk restarted)
    UNREACHABLE = "unreachable"  # no TCP connection
    NO_LOGIN = "no_login"  # connected, but no answer to Login
    REFUSED = "refused"  # Login answered with an error: bad credentials or ACL


class _Protocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol, plus a future done once the transport is really closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.gone.done():
            self.gone.set_result(None)


class AmiClient(Manager):  # type: ignore[misc]
    # Attributes panoramisk sets, typed for us.
    authenticated_future: asyncio.Future[Any] | None
    pinger: asyncio.TimerHandle | None

    def __init__(
        self,
        settings: Ami,
        auth_numbers: tuple[str, ...],
        state: PbxState,
        store: Store | None = None,
        *,
        ping_interval: float = PING_INTERVAL,
    ) -> None:
        super().__init__(
            host=settings.address.host, port=settings.address.port,
            username=settings.user, secret=settings.secret,
            events="system,call", protocol_factory=_Protocol,
            loop=asyncio.get_running_loop(), log=logger,
        )  # fmt: skip
        # panoramisk rounds these to whole seconds; keep ours as given.
        self.ping_delay = self.ping_interval = ping_interval
        self.settings = settings  # ``self.config`` is panoramisk's dict
        self.state = state
        self.calls = CallFollower(auth_numbers, state, store)
        state.enabled, state.address = True, str(settings.address)
        self._tasks: set[asyncio.Task[None]] = set()
        self._lost = asyncio.Event()
        self._last_ping: asyncio.Future[Any] | None = None
        self._runner: asyncio.Task[None] | None = None
        # We send no action that would need replaying after a reconnect.
        self.callbacks["FullyBooted"].remove(self.send_awaiting_actions)
        self.register_event("*", self._on_any)
        self.register_event("Newchannel", lambda _, event: self.calls.newchannel(event))
        # A coroutine: dispatch runs it as a tracked task.
        self.register_event("Hangup", lambda _, event: self.calls.hangup(event))

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="callauth-ami")

    async def stop(self) -> None:
        """Stop reconnecting, close the connection, cancel pending call completions."""
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = None

    async def _run(self) -> None:
        delay = self.settings.retry_min
        while True:
            outcome = await self._session()
            if outcome is Session.LOST:
                delay = self.settings.retry_min
            wait = self.settings.login_retry if outcome is Session.REFUSED else delay
            if outcome is not Session.LOST:
                delay = min(delay * 2, self.settings.retry_max)
            self.state.retry_in = wait
            logger.debug("AMI: %s; next attempt in %.2f s", outcome.value, wait)
            await asyncio.sleep(wait)
            self.state.retry_in = None

    async def _session(self) -> Session:
        address = self.settings.address
        try:
            _, protocol = await asyncio.wait_for(
                self.loop.create_connection(_Protocol, address.host, address.port),
                CONNECT_TIMEOUT,
            )
        except (OSError, TimeoutError) as exc:
            self.state.connect_failures += 1
            self._error(f"cannot connect to {address}: {exc!r}")
            return Session.UNREACHABLE
        try:
            return await self._logged_in_session(protocol)
        finally:
            self.state.connected = False
            self.close()  # panoramisk's: cancels its pinger, closes the transport
            await asyncio.wait({protocol.gone}, timeout=1.0)

    async def _logged_in_session(self, protocol: _Protocol) -> Session:
        self._lost.clear()
        self._last_ping = None
        ready = self.loop.create_future()
        ready.set_result((protocol.transport, protocol))
        self.connection_made(ready)  # panoramisk's wiring: protocol fields, Login, pinger
        login, lost = self.authenticated_future, asyncio.ensure_future(self._lost.wait())
        assert login is not None  # set by connection_made, since a username is configured
        try:
            done, _ = await asyncio.wait({login, lost}, timeout=LOGIN_TIMEOUT,
                                         return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        finally:
            lost.cancel()
        if login not in done:
            self._error(f"no answer to Login from {self.settings.address}")
            return Session.NO_LOGIN
        response = login.result()
        if not response.success:
            self.state.login_failures += 1
            self.state.last_error = f"login refused: {response.message or response.response}"
            logger.error(
                "AMI login as %r to %s refused (%s): check the user in manager.conf and "
                "ami_user/ami_secret; next try in %g s",
                self.settings.user, self.settings.address,
                response.message or response.response, self.settings.login_retry,
            )  # fmt: skip
            return Session.REFUSED
        self._logged_in(protocol)
        await self._lost.wait()
        logger.warning("AMI connection to %s lost; reconnecting", self.settings.address)
        return Session.LOST

    def _logged_in(self, protocol: _Protocol) -> None:
        state = self.state
        state.reconnects += 1 if state.logins else 0
        state.logins += 1
        state.connected, state.connected_since = True, time.time()
        state.asterisk_version, state.last_error = protocol.version or "", ""
        logger.info("AMI logged in to %s as %r (Asterisk Call Manager/%s)",
                    self.settings.address, self.settings.user, state.asterisk_version)  # fmt: skip

    def _error(self, message: str) -> None:
        # Log a failure once at WARNING; repeats of the same one only at DEBUG.
        level = logging.WARNING if message != self.state.last_error else logging.DEBUG
        self.state.last_error = message
        logger.log(level, "AMI: %s", message)

    # -- panoramisk hooks --------------------------------------------------------------

    def connection_lost(self, exc: Any) -> None:
        """EOF or a Shutdown event: end the session; ``_run`` decides when to reconnect."""
        self._connected = False
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        self.state.connected = False
        self._lost.set()

    def login(self, future: asyncio.Future[Any]) -> bool:
        if future.cancelled() or future.exception() is not None:
            self.authenticated_future = None
            return False
        return bool(super().login(future))

    def ping(self) -> None:
        if self._last_ping is not None and not self._last_ping.done():
            self.state.last_error = f"no answer to Ping within {self.ping_interval} s"
            logger.warning("AMI: %s; dropping the connection", self.state.last_error)
            self.connection_lost(None)
            return
        self._last_ping = self.protocol.send({"Action": "Ping"})
        self.pinger = self.loop.call_later(self.ping_interval, self.ping)

    def dispatch(self, event: Any) -> list[str]:
        """panoramisk's dispatch, with each callback isolated and coroutines tracked."""
        event.manager = self
        matched = []
        for pattern, regexp in self.patterns:
            if regexp.match(event.event) is None:
                continue
            matched.append(pattern)
            for callback in self.callbacks[pattern]:
                try:
                    result = callback(self, event)
                except Exception:
                    # Raised inside data_received it would drop the connection.
                    logger.exception("AMI: a %s event handler failed", event.event)
                    continue
                if asyncio.iscoroutine(result):
                    self._spawn(result)
        return matched

    # -- events ------------------------------------------------------------------------

    def _on_any(self, manager: Manager, event: Any) -> None:
        self.state.events += 1
        self.state.last_event_at = time.time()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("AMI: event work failed", exc_info=task.exception())


async def start_ami(config: Config, state: PbxState, store: Store | None) -> AmiClient | None:
    """The running AMI client, or None when ``ami_enabled`` is off. Stop it with ``stop()``."""
    if not config.ami.enabled:
        state.enabled = False
        logger.info("AMI client off (ami_enabled = false)")
        return None
    client = AmiClient(config.ami, config.telephony.auth_numbers_e164, state, store)
    client.start()
    return client
