"""Prometheus metrics in a registry of the app's own, so several apps in one process (tests)
never collide in the global registry."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from callauth.ivr.dialplan import Outcome

LOGIN_RESULTS = (
    "success", "failure", "throttled", "locked", "busy", "no_phone", "password_only"
)  # fmt: skip


class _CallOutcomes(Collector):
    """Call counts read from the store just before each scrape (the store is the truth,
    and the FastAGI side may run in another process)."""

    def __init__(self) -> None:
        self.counts: Mapping[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "callauth_calls", "Calls decided, by outcome", labels=["outcome"]
        )
        outcomes = {o.value: 0 for o in Outcome} | dict(self.counts)
        for outcome, count in sorted(outcomes.items()):
            family.add_metric([outcome], count)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.logins = Counter(
            "callauth_logins", "Password logins, by result", ["result"], registry=self.registry
        )
        for result in LOGIN_RESULTS:
            self.logins.labels(result)
        self.verifications = Counter(
            "callauth_verifications",
            "Logins completed by a verified call",
            registry=self.registry,
        )
        self.sse_clients = Gauge(
            "callauth_sse_clients", "Browsers waiting on /verify/events", registry=self.registry
        )
        self._calls = _CallOutcomes()
        self.registry.register(self._calls)

    def render(self, call_outcomes: Mapping[str, int]) -> bytes:
        self._calls.counts = call_outcomes
        return generate_latest(self.registry)
