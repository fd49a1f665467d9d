"""Prometheus metrics of one ``govcloud serve`` replica (``prometheus-client``).

Job durations and outcomes, provisions by outcome, whether this replica leads, the time
of the last successful sync per provider, provider health from the latest probe, and —
read from the database at each scrape — the depth of the work queue (requests due to
be provisioned, firings due to run). Each replica has its own registry, exposed at
``/metrics`` by the API server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "ServeMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _QueueDepth(Collector):
    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "govcloud_queue_depth", "Work due now and not taken", labels=["queue"]
        )
        try:
            depth = self._read()
        except Exception:  # a scrape never fails because the database blinked
            depth = {}
        for queue, value in sorted(depth.items()):
            family.add_metric([queue], value)
        yield family


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.job_seconds = Histogram(
            "govcloud_job_duration_seconds", "Duration of job runs", ["job"], registry=r
        )
        self.job_runs = Counter(
            "govcloud_job_runs", "Job runs by outcome", ["job", "outcome"], registry=r
        )
        self.provisions = Counter(
            "govcloud_provisions", "Reconciler provisions by end state", ["outcome"], registry=r
        )
        self.provision_seconds = Histogram(
            "govcloud_provision_duration_seconds", "Duration of one provision", registry=r
        )
        self.leader = Gauge("govcloud_leader", "1 while this replica schedules", registry=r)
        self.last_sync = Gauge(
            "govcloud_last_successful_sync_timestamp_seconds",
            "When each provider's last successful sync ended (age = time() - this)",
            ["provider"],
            registry=r,
        )
        self.provider_up = Gauge(
            "govcloud_provider_up", "1 when the latest probe reached and authenticated",
            ["provider"], registry=r,
        )  # fmt: skip

    def watch_queue(self, read: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_QueueDepth(read))

    def render(self) -> bytes:
        return generate_latest(self.registry)
