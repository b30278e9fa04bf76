"""Statistics for pegboard: what the site is doing while it runs, the successor of cpstats.

- ``tools.stats`` records, per route template, method and status class:
  requests, in flight, errors, a latency histogram, bytes read and written,
  the slowest requests, and (on one request in ``hook_sample``) the time each
  tool's hooks take.
- ``tools.stats_page``, on for a path section (``/stats``), serves the figures
  as an HTML page (a table per namespace, a latency chart in SVG), as JSON in
  the shape of CherryPy's ``logging.statistics`` (``/stats/data``), and the gc
  and leak inspector (``/stats/gc``); third-party ``logging.statistics``
  namespaces appear there too.
- ``tools.stats_metrics``, on for another (``/metrics``), serves Prometheus /
  OpenMetrics text, summed over the worker processes of ``pegboard serve``.
- ``pegboard leaks URL`` runs requests against a live site and shows which
  types of objects grew.

The pages are shown only to loopback clients unless ``allow`` names more
networks or an auth tool is on for their path.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .figures import Figures, snapshot, sum_snapshots
from .gcinspect import GcInspector, Growth, count_objects, growth
from .hub import NS_GC, NS_HEALTH, NS_REQUESTS, NS_TOOLS, Hub, statistics
from .leaks import add_command
from .options import DEFAULT_AUTH_TOOLS, DEFAULT_BUCKETS, MetricsOptions, PageOptions, StatsOptions
from .report import build_statistics, extrapolate, quantile
from .tools import StatsMetricsTool, StatsPageTool, StatsTool, hub_of

__all__ = [
    "DEFAULT_AUTH_TOOLS",
    "DEFAULT_BUCKETS",
    "NS_GC",
    "NS_HEALTH",
    "NS_REQUESTS",
    "NS_TOOLS",
    "Figures",
    "GcInspector",
    "Growth",
    "Hub",
    "MetricsOptions",
    "PageOptions",
    "StatsMetricsTool",
    "StatsOptions",
    "StatsPageTool",
    "StatsTool",
    "build_statistics",
    "count_objects",
    "extrapolate",
    "growth",
    "hub_of",
    "pegboard_cli_commands",
    "pegboard_tools",
    "quantile",
    "snapshot",
    "statistics",
    "sum_snapshots",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [StatsTool(), StatsPageTool(), StatsMetricsTool()]


@pegboard.hookimpl
def pegboard_cli_commands(subparsers: Any) -> None:  # argparse sub-parsers
    add_command(subparsers)
