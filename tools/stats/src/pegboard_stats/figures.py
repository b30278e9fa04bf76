"""A recorder's figures as plain data: a snapshot per process, and their sum.

A snapshot is JSON (never pickle: worker processes exchange them through
files), and the reports (the JSON feed, the page, the Prometheus text) read
the sum of the snapshots of every worker process: :class:`Figures`.
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass, field
from typing import Any

from .recorder import FIRST_BUCKET, Recorder, Shard, merge_shard

__all__ = ["Figures", "GenerationFigures", "SeriesFigures", "snapshot", "sum_snapshots"]

SNAPSHOT_VERSION = 1


def snapshot(recorder: Recorder) -> dict[str, Any]:
    """This process's figures, as JSON-ready data."""
    width = len(recorder.buckets) + 1
    total = Shard()
    for shard in recorder.all_shards():
        merge_shard(total, shard, width)
    series = []
    for (route, method), item in sorted(total.series.items()):
        classes = {
            str(index): counts for index, counts in enumerate(item.classes) if counts is not None
        }
        series.append([route, method, item.in_flight, classes])
    with recorder.lock:
        slow = list(recorder.slow)
    return {
        "version": SNAPSHOT_VERSION,
        "pid": os.getpid(),
        "time": time.time(),
        "started": recorder.started,
        "buckets": list(recorder.buckets),
        "series": series,
        "hooks": [[route, tool, f[0], f[1]] for (route, tool), f in sorted(total.hooks.items())],
        "sampled": dict(total.sampled),
        "slow": slow,
        "gc": gc.get_stats(),
        "gc_counts": list(gc.get_count()),
        "garbage": len(gc.garbage),
    }


@dataclass
class SeriesFigures:
    """One (route, method): requests in flight, and per status class (1..5) its figures."""

    in_flight: int = 0
    classes: dict[int, list[float]] = field(default_factory=dict)


@dataclass
class GenerationFigures:
    """One gc generation, summed over the worker processes."""

    collections: int = 0
    collected: int = 0
    uncollectable: int = 0
    pending: int = 0


@dataclass
class Figures:
    """The figures of every worker process, added up."""

    buckets: tuple[float, ...]
    started: float
    workers: int = 0
    series: dict[tuple[str, str], SeriesFigures] = field(default_factory=dict)
    hooks: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    sampled: dict[str, int] = field(default_factory=dict)
    slow: list[dict[str, Any]] = field(default_factory=list)
    generations: list[GenerationFigures] = field(default_factory=list)
    garbage: int = 0

    def totals(self) -> list[float]:
        """Every series and status class added up (requests, errors, bytes, seconds, buckets)."""
        width = FIRST_BUCKET + len(self.buckets) + 1
        total = [0.0] * width
        for item in self.series.values():
            for counts in item.classes.values():
                for position, value in enumerate(counts[:width]):
                    total[position] += value
        return total

    @property
    def in_flight(self) -> int:
        return sum(item.in_flight for item in self.series.values())


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def sum_snapshots(snapshots: list[dict[str, Any]], slow_count: int) -> Figures:
    """The sum of the snapshots of several processes (their buckets must agree).

    Requests in flight count only for processes still alive: a worker that
    died finished nothing more, but every request it did finish still counts.
    """
    if not snapshots:
        raise ValueError("no snapshot to add up")
    buckets = tuple(snapshots[0]["buckets"])
    figures = Figures(buckets=buckets, started=min(s["started"] for s in snapshots))
    width = FIRST_BUCKET + len(buckets) + 1
    slow: list[dict[str, Any]] = []
    for snap in snapshots:
        if tuple(snap.get("buckets", ())) != buckets:
            continue  # written by a process with other settings (a stale file)
        alive = _alive(int(snap["pid"]))
        figures.workers += 1 if alive else 0
        for route, method, in_flight, classes in snap["series"]:
            item = figures.series.setdefault((route, method), SeriesFigures())
            if alive:
                item.in_flight += int(in_flight)
            for index, counts in classes.items():
                mine = item.classes.setdefault(int(index), [0.0] * width)
                for position, value in enumerate(counts[:width]):
                    mine[position] += value
        for route, tool, seconds, calls in snap["hooks"]:
            own = figures.hooks.setdefault((route, tool), [0.0, 0.0])
            own[0] += seconds
            own[1] += calls
        for route, count in snap["sampled"].items():
            figures.sampled[route] = figures.sampled.get(route, 0) + count
        slow.extend(snap["slow"])
        for number, stats in enumerate(snap["gc"]):
            while len(figures.generations) <= number:
                figures.generations.append(GenerationFigures())
            generation = figures.generations[number]
            generation.collections += int(stats.get("collections", 0))
            generation.collected += int(stats.get("collected", 0))
            generation.uncollectable += int(stats.get("uncollectable", 0))
            counts_now = snap.get("gc_counts") or []
            if alive and number < len(counts_now):
                generation.pending += int(counts_now[number])
        figures.garbage += int(snap.get("garbage", 0))
    slow.sort(key=lambda record: record.get("Start Time", 0), reverse=True)
    figures.slow = slow[:slow_count]
    return figures
