"""The FastAGI server: owns the accept loop, bounds what a peer may send, tracks calls.

panoramisk 1.4's ``Application.handler`` spins forever (freezing the loop) when a peer
closes before the blank line ending the header block, and has no size or time bound.
This subclass keeps panoramisk's route table and replaces the handler.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping

from panoramisk import fast_agi

from callauth.ivr.agi_channel import AgiChannel
from callauth.ivr.agi_handlers import ROUTES, Route
from callauth.ivr.agi_stats import AgiCollector, AgiStats
from callauth.ivr.config import Telephony
from callauth.ivr.service import VerificationService

logger = logging.getLogger(__name__)

_KEY = re.compile(r"\w+")
#: At most one "over the connection cap" line per this many seconds: a flood must not
#: become a flood of log lines.
REFUSAL_LOG_EVERY = 10.0


class BadHeader(Exception):
    """The peer's header block is not one Asterisk would send; the message says why."""


def parse_header(block: bytes) -> dict[str, str]:
    """The ``agi_*`` variables of a header block ending in a blank line."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadHeader("header block is not UTF-8") from exc
    headers: dict[str, str] = {}
    for line in text.removesuffix("\n\n").split("\n"):
        # str.partition, then a check of the key: half the cost of one regex per line.
        key, sep, value = line.removesuffix("\r").partition(": ")
        if not sep or not _KEY.fullmatch(key):
            raise BadHeader(f"malformed header line {line[:40]!r}")
        headers[key] = value
    return headers


class FastAgiServer(fast_agi.Application):
    def __init__(
        self,
        service: VerificationService,
        config: Telephony,
        routes: Mapping[str, Route] = ROUTES,
    ) -> None:
        super().__init__(default_encoding="utf-8", loop=asyncio.get_running_loop())
        self.service = service
        self.config = config
        for script, route in routes.items():
            self.add_route(script, route)
        self._server: asyncio.Server | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self.stats = AgiStats()
        self._refusals_unlogged = 0
        self._next_refusal_log = 0.0

    async def start(self, host: str, port: int) -> None:
        # The stream limit bounds the header block (and any one reply line).
        self._server = await asyncio.start_server(
            self.handler, host, port, limit=self.config.agi_header_max_bytes
        )

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def running_calls(self) -> int:
        return len(self._calls)

    def collector(self) -> AgiCollector:
        """Its metrics, for ``registry.register``."""
        return AgiCollector(self.stats, lambda: self.running_calls)

    async def close(self) -> None:
        """Stop accepting, cancel the calls in progress and wait for them to end."""
        if self._server is not None:
            self._server.close()
        calls = list(self._calls)
        for task in calls:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if peername else ""
        if len(self._calls) >= self.config.agi_max_connections:
            self._refuse(writer, peer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._calls.add(task)
        # The whole call, header included: no trickle of lines outlasts it.
        bound = asyncio.timeout(self.config.agi_call_deadline)
        try:
            async with bound:
                await self._serve(reader, writer, peer)
        except Exception:
            if bound.expired():
                self.stats.deadline_exceeded += 1
                logger.warning("FastAGI call from %s still running at the %ss deadline; closing",
                               peer, self.config.agi_call_deadline)  # fmt: skip
            else:
                # The one place a traceback is logged: one connection failed, the rest go on.
                logger.exception("FastAGI connection from %s failed", peer)
        finally:
            self._calls.discard(task)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    def _refuse(self, writer: asyncio.StreamWriter, peer: str) -> None:
        self.stats.refused_over_cap += 1
        self._refusals_unlogged += 1
        now = asyncio.get_running_loop().time()
        if now >= self._next_refusal_log:
            logger.warning(
                "FastAGI: %d connections open (agi_max_connections); closed %d new one(s),"
                " the last from %s", len(self._calls), self._refusals_unlogged, peer,
            )  # fmt: skip
            self._refusals_unlogged = 0
            self._next_refusal_log = now + REFUSAL_LOG_EVERY
        writer.transport.abort()  # at once: no lingering close for a flood

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        headers = await self._read_header(reader, peer)
        if headers is None:
            return
        script = headers.get("agi_network_script", "")
        route = self._route.get(script)
        if route is None:
            logger.warning(
                "FastAGI peer %s asked for unknown script %r (call %s); closing",
                peer, script[:40], headers.get("agi_uniqueid", ""),
            )  # fmt: skip
            return
        channel = AgiChannel(
            self, headers, reader, writer,
            peer=peer, command_timeout=self.config.agi_command_timeout,
        )  # fmt: skip
        await route(channel, self.service)

    async def _read_header(self, reader: asyncio.StreamReader, peer: str) -> dict[str, str] | None:
        """The header block, or None (after one log line) for a peer that is not Asterisk."""
        timeout = self.config.agi_header_timeout
        try:
            async with asyncio.timeout(timeout):
                block = await reader.readuntil(b"\n\n")
            return parse_header(block)
        except asyncio.IncompleteReadError as exc:
            reason = f"closed after {len(exc.partial)} bytes, before the header block ended"
        except asyncio.LimitOverrunError:
            reason = f"sent over {self.config.agi_header_max_bytes} bytes without a blank line"
        except TimeoutError:
            reason = f"sent no complete header block within {timeout}s"
        except BadHeader as exc:
            reason = f"sent a bad header block: {exc}"
        except (ConnectionError, OSError) as exc:
            reason = f"connection failed ({exc.__class__.__name__})"
        logger.warning("FastAGI peer %s %s; closing", peer, reason)
        return None


async def start_fastagi(service: VerificationService, config: Telephony) -> FastAgiServer:
    """Listen on ``config.agi`` (port 0 picks a free port: read ``server.port``)."""
    server = FastAgiServer(service, config)
    await server.start(config.agi.host, config.agi.port)
    logger.info("FastAGI listening on %s:%d", config.agi.host, server.port)
    return server
