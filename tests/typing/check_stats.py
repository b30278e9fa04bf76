"""Type-checked, not run: pegboard-stats' public names are typed for handlers and tools."""

from __future__ import annotations

from typing import Any, assert_type

import pegboard
from pegboard_stats import (
    Figures,
    Hub,
    PageOptions,
    StatsOptions,
    StatsTool,
    build_statistics,
    hub_of,
    quantile,
)


def report(app: pegboard.App) -> dict[str, Any]:
    hub = hub_of(app)
    assert_type(hub, Hub | None)
    if hub is not None:
        figures = hub.figures()
        assert_type(figures, Figures)
        assert_type(figures.in_flight, int)
    return build_statistics(app, hub)


options = StatsOptions(slow_threshold=0.5, buckets=(0.1, 1.0))
assert_type(options.buckets, tuple[float, ...])
assert_type(PageOptions(allow=("10.0.0.0/8",)).allow, tuple[str, ...])
tool: pegboard.Tool[StatsOptions] = StatsTool()
assert_type(quantile(0.5, (0.1, 1.0), [1.0, 2.0, 0.0]), float | None)
