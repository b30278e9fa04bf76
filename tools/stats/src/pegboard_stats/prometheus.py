"""The figures as Prometheus / OpenMetrics text, through ``prometheus_client``.

The hot path keeps plain numbers (a ``prometheus_client`` counter costs a
lock per increment, and in its multiprocess mode a write to a memory-mapped
file: more than this tool's whole budget per request, see the README); at
scrape time a collector turns the sum of every worker's figures into metric
families, and ``prometheus_client`` writes the exposition format the scraper
asked for (``Accept: application/openmetrics-text`` or the classic text).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry

import pegboard

from .figures import Figures
from .recorder import BYTES_READ, BYTES_WRITTEN, ERRORS, FIRST_BUCKET, REQUESTS, SECONDS

__all__ = ["StatsCollector", "exposition"]


def _bound(value: float) -> str:
    return repr(float(value))


class StatsCollector(Collector):
    """Metric families from one report's figures (and the app's backend health)."""

    def __init__(self, prefix: str, figures: Figures | None, app: pegboard.App) -> None:
        self.prefix = prefix
        self.figures = figures
        self.app = app

    def collect(self) -> Iterator[Metric]:
        p = self.prefix
        figures = self.figures
        if figures is not None:
            yield from self._requests(p, figures)
            yield from self._tools(p, figures)
            yield from self._gc(p, figures)
        up = GaugeMetricFamily(
            f"{p}_backend_up",
            "Whether a tool's backend (session store, cache server) was up when last used.",
            labels=["backend"],
        )
        for health in self.app.health():
            up.add_metric([health.name], 1.0 if health.up else 0.0)
        yield up

    def _requests(self, p: str, figures: Figures) -> Iterator[Metric]:
        labels = ["route", "method", "status"]
        requests = CounterMetricFamily(f"{p}_requests", "Requests answered.", labels=labels)
        errors = CounterMetricFamily(
            f"{p}_request_errors",
            "Requests that ended in an unexpected exception (a 500 nobody chose).",
            labels=labels,
        )
        read = CounterMetricFamily(
            f"{p}_request_body_bytes", "Request body bytes (Content-Length).", labels=labels
        )
        written = CounterMetricFamily(
            f"{p}_response_body_bytes", "Response body bytes sent.", labels=labels
        )
        duration = HistogramMetricFamily(
            f"{p}_request_duration_seconds",
            "Time from the first hook to the response being ready (streams: to their end).",
            labels=labels,
        )
        in_flight = GaugeMetricFamily(
            f"{p}_requests_in_flight", "Requests being answered now.", labels=["route", "method"]
        )
        bounds = [_bound(b) for b in figures.buckets] + ["+Inf"]
        for (route, method), item in sorted(figures.series.items()):
            in_flight.add_metric([route, method], item.in_flight)
            for status_class, counts in sorted(item.classes.items()):
                values = [route, method, f"{status_class}xx"]
                requests.add_metric(values, counts[REQUESTS])
                errors.add_metric(values, counts[ERRORS])
                read.add_metric(values, counts[BYTES_READ])
                written.add_metric(values, counts[BYTES_WRITTEN])
                cumulative, running = [], 0.0
                for bound, count in zip(bounds, counts[FIRST_BUCKET:], strict=False):
                    running += count
                    cumulative.append((bound, running))
                duration.add_metric(values, cumulative, sum_value=counts[SECONDS])
        yield from (requests, errors, read, written, duration, in_flight)
        workers = GaugeMetricFamily(
            f"{p}_stats_workers", "Worker processes whose figures these are."
        )
        workers.add_metric([], figures.workers)
        yield workers
        slow = GaugeMetricFamily(
            f"{p}_slow_requests_kept", "Slow requests in the list the stats page shows."
        )
        slow.add_metric([], len(figures.slow))
        yield slow

    def _tools(self, p: str, figures: Figures) -> Iterator[Metric]:
        seconds = CounterMetricFamily(
            f"{p}_tool_hook_seconds",
            "Time spent in each tool's hooks, on sampled requests only.",
            labels=["route", "tool"],
        )
        for (route, tool), (total, _calls) in sorted(figures.hooks.items()):
            seconds.add_metric([route, tool], total)
        sampled = CounterMetricFamily(
            f"{p}_tool_sampled_requests",
            "Requests whose tools' hooks were timed (divide the hook seconds by these).",
            labels=["route"],
        )
        for route, count in sorted(figures.sampled.items()):
            sampled.add_metric([route], count)
        yield from (seconds, sampled)

    def _gc(self, p: str, figures: Figures) -> Iterator[Metric]:
        labels = ["generation"]
        collections = CounterMetricFamily(
            f"{p}_python_gc_collections", "Garbage collections, every worker's.", labels=labels
        )
        collected = CounterMetricFamily(
            f"{p}_python_gc_objects_collected", "Objects the collector freed.", labels=labels
        )
        uncollectable = CounterMetricFamily(
            f"{p}_python_gc_objects_uncollectable",
            "Objects the collector found but could not free.",
            labels=labels,
        )
        for number, generation in enumerate(figures.generations):
            collections.add_metric([str(number)], generation.collections)
            collected.add_metric([str(number)], generation.collected)
            uncollectable.add_metric([str(number)], generation.uncollectable)
        yield from (collections, collected, uncollectable)


def exposition(
    prefix: str, figures: Figures | None, app: pegboard.App, accept: str | None
) -> tuple[bytes, str]:
    """The exposition text the ``Accept`` header asks for, and its media type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(prefix, figures, app))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
