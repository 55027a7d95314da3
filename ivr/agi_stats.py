"""What the FastAGI server counts about its connections, for /metrics.

The server (``ivr.agi_server``) writes it; the composition root registers the collector in
the site's registry. Like ``ivr.pbx_state`` it imports no panoramisk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass
class AgiStats:
    #: Connections refused at once because ``agi_max_connections`` were open.
    refused_over_cap: int = 0
    #: Calls cut off at ``agi_call_deadline``, however the peer kept sending.
    deadline_exceeded: int = 0


class AgiCollector(Collector):
    """Prometheus metrics of one FastAGI server: open connections and the two counters."""

    def __init__(self, stats: AgiStats, open_connections: Callable[[], int]) -> None:
        self.stats = stats
        self.open_connections = open_connections

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "callauth_fastagi_connections",
            "FastAGI connections open now",
            value=self.open_connections(),
        )
        yield CounterMetricFamily(
            "callauth_fastagi_refused",
            "FastAGI connections closed at once: agi_max_connections were open",
            value=self.stats.refused_over_cap,
        )
        yield CounterMetricFamily(
            "callauth_fastagi_deadline_exceeded",
            "FastAGI calls cut off at agi_call_deadline",
            value=self.stats.deadline_exceeded,
        )
