"""Free loopback ports for the servers tests start as processes."""

from __future__ import annotations

import contextlib
import socket


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports free now. They are bound all at once: two binds of
    port 0 one after the other may be given the same port, and a server told to listen on
    it twice (web and FastAGI) cannot start."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]
