"""The statistics as CherryPy's extrapolated ``logging.statistics`` dict.

Four levels, as cpstats defines them: namespace -> name -> a scalar, or a
collection (a dict of records, or a list of records) -> record -> scalar.
Third-party namespaces come from ``logging.statistics`` with their callables
called at report time (``value(scope)``); pegboard's own are computed from
the figures of every worker process.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Mapping
from typing import Any

import pegboard

from .figures import Figures
from .hub import NS_GC, NS_HEALTH, NS_REQUESTS, NS_TOOLS, Hub, statistics
from .recorder import BYTES_READ, BYTES_WRITTEN, ERRORS, FIRST_BUCKET, REQUESTS, SECONDS

__all__ = ["build_statistics", "extrapolate", "quantile"]

#: How deep a third-party namespace is followed; deeper values are shown as text.
MAX_DEPTH = 6


def extrapolate(scope: Mapping[Any, Any], depth: int = 0) -> dict[str, Any]:
    """A copy of ``scope`` with every callable replaced by ``callable(scope)``.

    As cpstats' ``extrapolate_statistics``, but a callable that raises gives
    its error as text instead of breaking the whole report, keys become
    strings (so the result is JSON), and the depth is bounded.
    """
    copy: dict[str, Any] = {}
    for key, value in list(scope.items()):
        if isinstance(value, Mapping):
            value = extrapolate(value, depth + 1) if depth < MAX_DEPTH else repr(value)
        elif isinstance(value, (list, tuple)):
            value = [
                extrapolate(record, depth + 1) if isinstance(record, Mapping) else _plain(record)
                for record in value
            ]
        elif callable(value):
            try:
                value = _plain(value(scope))
            except Exception as exc:
                value = f"error: {exc!r}"
        else:
            value = _plain(value)
        copy[str(key)] = value
    return copy


def _plain(value: Any) -> Any:
    """A JSON value: numbers, text, booleans and None as they are, anything else as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def quantile(q: float, buckets: tuple[float, ...], counts: list[float]) -> float | None:
    """The ``q`` quantile from histogram bucket counts, as Prometheus' histogram_quantile does.

    Linear inside the bucket that holds it; the upper bound of the last finite
    bucket when it falls in +Inf; None without observations.
    """
    total = sum(counts)
    if not total:
        return None
    rank = q * total
    seen = 0.0
    for index, count in enumerate(counts):
        if seen + count >= rank and count:
            if index >= len(buckets):
                return buckets[-1]
            lower = buckets[index - 1] if index else 0.0
            return lower + (buckets[index] - lower) * (rank - seen) / count
        seen += count
    return buckets[-1]


def _per(a: float, b: float) -> float:
    return a / b if b else 0.0


def _requests_namespace(hub: Hub, figures: Figures, now: float) -> dict[str, Any]:
    total = figures.totals()
    uptime = max(now - figures.started, 1e-9)
    requests = total[REQUESTS]
    buckets = figures.buckets
    routes: dict[str, Any] = {}
    in_flight: dict[str, Any] = {}
    for (route, method), item in sorted(figures.series.items()):
        if item.in_flight:
            in_flight[f"{method} {route}"] = {
                "Route": route,
                "Method": method,
                "In Flight": item.in_flight,
            }
        for status_class, counts in sorted(item.classes.items()):
            count = counts[REQUESTS]
            histogram = counts[FIRST_BUCKET:]
            routes[f"{method} {route} {status_class}xx"] = {
                "Route": route,
                "Method": method,
                "Status": f"{status_class}xx",
                "Requests": int(count),
                "Errors": int(counts[ERRORS]),
                "Bytes Read": int(counts[BYTES_READ]),
                "Bytes Written": int(counts[BYTES_WRITTEN]),
                "Total Time": counts[SECONDS],
                "Avg": _per(counts[SECONDS], count),
                "p50": quantile(0.5, buckets, histogram),
                "p90": quantile(0.9, buckets, histogram),
                "p99": quantile(0.99, buckets, histogram),
            }
    return {
        "Enabled": hub.recorder.enabled,
        "Start Time": figures.started,
        "Current Time": now,
        "Uptime": uptime,
        "Workers": figures.workers,
        "Current Requests": figures.in_flight,
        "Total Requests": int(requests),
        "Total Errors": int(total[ERRORS]),
        "Total Bytes Read": int(total[BYTES_READ]),
        "Total Bytes Written": int(total[BYTES_WRITTEN]),
        "Total Time": total[SECONDS],
        "Requests/Second": requests / uptime,
        "Bytes Read/Request": _per(total[BYTES_READ], requests),
        "Bytes Read/Second": total[BYTES_READ] / uptime,
        "Bytes Written/Request": _per(total[BYTES_WRITTEN], requests),
        "Bytes Written/Second": total[BYTES_WRITTEN] / uptime,
        "Latency Buckets": list(buckets),
        "Latency Histogram": [int(c) for c in total[FIRST_BUCKET:]],
        "Routes": routes,
        "Requests In Flight": in_flight,
        "Slow Requests": list(figures.slow),
    }


def _tools_namespace(hub: Hub, figures: Figures) -> dict[str, Any]:
    hooks: dict[str, Any] = {}
    for (route, tool), (seconds, calls) in sorted(figures.hooks.items()):
        sampled = figures.sampled.get(route, 0)
        hooks[f"{route} {tool}"] = {
            "Route": route,
            "Tool": tool,
            "Sampled Requests": sampled,
            "Hook Calls": int(calls),
            "Total Time": seconds,
            "Time/Request": _per(seconds, sampled),
        }
    return {
        "Enabled": hub.recorder.hooks_enabled,
        "Sampled Requests": sum(figures.sampled.values()),
        "Hook Time": hooks,
    }


def health_namespace(app: pegboard.App) -> dict[str, Any]:
    """The health each tool reports for its backends (``app.health()``)."""
    backends = {
        health.name: {
            "Up": health.up,
            "Detail": health.detail,
            "Since": health.since,
            "Checked": health.checked,
        }
        for health in app.health()
    }
    return {
        "Backends Up": sum(1 for b in backends.values() if b["Up"]),
        "Backends Down": sum(1 for b in backends.values() if not b["Up"]),
        "Backends": backends,
    }


def gc_namespace(figures: Figures | None) -> dict[str, Any]:
    """Collections per generation (every worker's, added up), pending counts, thresholds."""
    if figures is not None and figures.generations:
        generations = {
            str(number): {
                "Collections": g.collections,
                "Collected": g.collected,
                "Uncollectable": g.uncollectable,
                "Pending": g.pending,
            }
            for number, g in enumerate(figures.generations)
        }
        garbage = figures.garbage
    else:
        counts = gc.get_count()
        generations = {
            str(number): {
                "Collections": s["collections"],
                "Collected": s["collected"],
                "Uncollectable": s["uncollectable"],
                "Pending": counts[number] if number < len(counts) else 0,
            }
            for number, s in enumerate(gc.get_stats())
        }
        garbage = len(gc.garbage)
    return {
        "Automatic Collection": gc.isenabled(),
        "Thresholds": " ".join(str(t) for t in gc.get_threshold()),
        "Collections": sum(g["Collections"] for g in generations.values()),
        "Uncollectable": sum(g["Uncollectable"] for g in generations.values()),
        "Garbage": garbage,
        "Generations": generations,
    }


def build_statistics(app: pegboard.App, hub: Hub | None) -> dict[str, Any]:
    """Every namespace, extrapolated: third-party ones, then pegboard's."""
    report = extrapolate(statistics())
    figures = hub.figures() if hub is not None else None
    now = time.time()
    if hub is not None and figures is not None:
        report[NS_REQUESTS] = _requests_namespace(hub, figures, now)
        report[NS_TOOLS] = _tools_namespace(hub, figures)
    report[NS_HEALTH] = health_namespace(app)
    report[NS_GC] = gc_namespace(figures)
    return report
