"""What callauth knows about the PBX through AMI, for /healthz and /metrics.

The AMI client (``ivr.ami``) writes it; the web layer only reads it. It imports no
panoramisk, so the web layer may use it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass
class PbxState:
    """Counters and flags of the AMI connection. Times are UTC epoch seconds (float)."""

    enabled: bool = False
    #: Logged in and receiving events.
    connected: bool = False
    address: str = ""  # host:port of AMI
    asterisk_version: str = ""  # from the banner, e.g. "11.0.0" (the AMI protocol version)
    connected_since: float | None = None
    last_event_at: float | None = None
    #: Successful logins after the first one (Asterisk restarts, dropped connections).
    reconnects: int = 0
    logins: int = 0
    login_failures: int = 0
    connect_failures: int = 0
    events: int = 0
    calls_followed: int = 0  # channels seen on an authentication number
    calls_completed: int = 0  # logged calls completed with their hang-up cause
    last_error: str = ""
    #: Seconds until the next connection attempt, while disconnected.
    retry_in: float | None = None

    def snapshot(self, now: float | None = None) -> dict[str, object]:
        """A JSON-ready view for /healthz (``status``: off | connected | disconnected)."""
        now = time.time() if now is None else now
        status = "off" if not self.enabled else "connected" if self.connected else "disconnected"
        return {
            "status": status,
            "address": self.address,
            "asterisk_version": self.asterisk_version,
            "last_event_age": None if self.last_event_at is None else now - self.last_event_at,
            "reconnects": self.reconnects,
            "login_failures": self.login_failures,
            "connect_failures": self.connect_failures,
            "events": self.events,
            "calls_completed": self.calls_completed,
            "last_error": self.last_error,
            "retry_in": self.retry_in,
        }


class PbxCollector(Collector):
    """Prometheus metrics of a :class:`PbxState`: ``registry.register(PbxCollector(state))``."""

    def __init__(self, state: PbxState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state
        yield GaugeMetricFamily(
            "callauth_ami_connected",
            "1 while logged in to Asterisk AMI",
            value=int(state.connected),
        )
        if state.last_event_at is not None:
            yield GaugeMetricFamily(
                "callauth_ami_last_event_timestamp_seconds",
                "When the last AMI event arrived",
                value=state.last_event_at,
            )
        counters = {
            "callauth_ami_reconnects": ("AMI logins after the first", state.reconnects),
            "callauth_ami_login_failures": ("AMI logins refused", state.login_failures),
            "callauth_ami_connect_failures": ("AMI connections failed", state.connect_failures),
            "callauth_ami_events": ("AMI events received", state.events),
            "callauth_ami_calls_completed": (
                "Logged calls completed with their hang-up cause",
                state.calls_completed,
            ),
        }
        for name, (text, value) in counters.items():
            yield CounterMetricFamily(name, text, value=value)
