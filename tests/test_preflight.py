"""callauth/preflight.py: a listener's address in use is found before anything opens."""

from __future__ import annotations

import socket

import pytest

from callauth.ivr.config import Address
from callauth.preflight import check_ports_free
from tests.ports import free_port


def test_free_ports_pass_and_are_left_free() -> None:
    port = free_port()
    check_ports_free([("web", Address("127.0.0.1", port)), ("FastAGI", Address("127.0.0.1", 0))])
    with socket.socket() as again:  # the check let go of what it bound
        again.bind(("127.0.0.1", port))


def test_a_listening_port_is_named_with_its_listener() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match=f"FastAGI 127.0.0.1:{port}: Address already in use"):
            check_ports_free([("web", Address("127.0.0.1", 0)),
                              ("FastAGI", Address("127.0.0.1", port))])  # fmt: skip


def test_two_listeners_on_one_address_are_refused() -> None:
    port = free_port()
    with pytest.raises(OSError, match=f"FastAGI 127.0.0.1:{port}"):
        check_ports_free([("web", Address("127.0.0.1", port)),
                          ("FastAGI", Address("127.0.0.1", port))])  # fmt: skip


def test_a_host_that_does_not_resolve_is_an_error() -> None:
    with pytest.raises(OSError):
        check_ports_free([("web", Address("no-such-host.invalid", 8080))])
