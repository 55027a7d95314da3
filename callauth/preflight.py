"""What `callauth serve` checks before it touches the database: its ports are free.

aiohttp binds the web port only after every cleanup context has run, and the FastAGI
server binds its port after the store is open; a port in use was found only after the
database had been created and migrated. Binding each listener's addresses here first,
as the servers will (SO_REUSEADDR, every address the host resolves to), finds it before.
The port may still be taken between this check and the real bind; the servers then fail
as before, with the same clear message.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Sequence

from callauth.ivr.config import Address, Config


def listeners(config: Config) -> list[tuple[str, Address]]:
    """(name, address) of every port ``serve`` listens on."""
    return [
        ("web", config.web.http),
        ("FastAGI", config.telephony.agi),
        ("admin", config.web.admin),
    ]


def check_ports_free(named: Sequence[tuple[str, Address]]) -> None:
    """Raise :class:`OSError` naming the first listener whose address is in use.

    All the test sockets stay bound until the end, so two listeners given the same
    address are caught too. Port 0 (any free port) is never in use.
    """
    with contextlib.ExitStack() as held:
        for name, address in named:
            if address.port == 0:
                continue
            for family, kind, proto, _, sockaddr in socket.getaddrinfo(
                address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            ):
                sock = held.enter_context(socket.socket(family, kind, proto))
                _bind_as_a_server_would(sock, family, sockaddr, f"{name} {address}")


def _bind_as_a_server_would(
    sock: socket.socket, family: int, sockaddr: tuple[object, ...], label: str
) -> None:
    # asyncio.start_server and aiohttp set SO_REUSEADDR (so a port left in TIME_WAIT is
    # free for them, and must be for us) and bind IPv6 sockets IPv6-only.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind(sockaddr)
        sock.listen(1)  # two SO_REUSEADDR sockets may share a port until one listens
    except OSError as exc:
        raise OSError(exc.errno, f"{label}: {exc.strerror}") from None
