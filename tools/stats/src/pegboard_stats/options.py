"""The options of ``tools.stats``, ``tools.stats_page`` and ``tools.stats_metrics``."""

from __future__ import annotations

import ipaddress

import pegboard
from pegboard import OptionError, option

__all__ = [
    "DEFAULT_AUTH_TOOLS",
    "DEFAULT_BUCKETS",
    "MetricsOptions",
    "PageOptions",
    "StatsOptions",
]

#: Prometheus' default latency buckets (seconds), with 1 and 2.5 ms before them: most
#: pages a pegboard app answers take less than the default's first bound, 5 ms.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
#: The tools that, when on for a page's path, decide who sees it instead of the loopback rule.
DEFAULT_AUTH_TOOLS: tuple[str, ...] = ("auth_basic", "auth_digest", "session_auth")


class StatsOptions(pegboard.ToolOptions):
    """The options of ``tools.stats``; ``buckets``, ``slow_count``, ``directory`` and
    ``flush_interval`` hold for the whole app and must agree wherever they are set."""

    slow_threshold: float = option(
        default=1.0,
        doc="a request that takes longer is kept in the slow requests list (0: keep none)",
        unit="seconds",
    )
    slow_count: int = option(
        default=100, doc="how many slow requests are kept, the newest", unit="requests"
    )
    hook_sample: int = option(
        default=100,
        doc="time each tool's hooks on one request in this many (1: every request; 0: never, "
        "and then the hooks are not wrapped at all)",
        unit="requests",
    )
    buckets: tuple[float, ...] = option(
        default=DEFAULT_BUCKETS,
        doc="the upper bounds of the latency histogram's buckets, increasing",
        unit="seconds",
    )
    directory: str | None = option(
        default=None,
        doc="a folder where worker processes share their figures (clear it before the server "
        "starts); unset: `pegboard serve` sets up a temporary one for its workers",
    )
    flush_interval: float = option(
        default=1.0,
        doc="how often each worker process writes its figures for the others",
        unit="seconds",
    )

    def __post_init__(self) -> None:
        if self.slow_threshold < 0:
            raise OptionError("slow_threshold", f"must not be negative, not {self.slow_threshold}")
        if self.slow_count < 0:
            raise OptionError("slow_count", f"must not be negative, not {self.slow_count}")
        if self.hook_sample < 0:
            raise OptionError("hook_sample", f"must not be negative, not {self.hook_sample}")
        if not self.buckets:
            raise OptionError("buckets", "give at least one upper bound, e.g. [0.1, 1.0]")
        if any(b <= 0 for b in self.buckets) or list(self.buckets) != sorted(set(self.buckets)):
            raise OptionError(
                "buckets", f"must be positive and strictly increasing, not {list(self.buckets)}"
            )
        if not self.flush_interval > 0:
            raise OptionError("flush_interval", f"must be more than 0, not {self.flush_interval}")


def _check_networks(networks: tuple[str, ...]) -> None:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise OptionError(
                "allow", f"{network!r} is not an address or network (e.g. '10.0.0.0/8', '::1')"
            ) from None


class _AccessOptions(pegboard.ToolOptions):
    """Who may see a statistics page: loopback clients, ``allow``, or an auth tool's users."""

    allow: tuple[str, ...] = option(
        default=(),
        doc="addresses or networks (CIDR) that may see the page besides loopback clients; "
        "`0.0.0.0/0` and `::/0` let everyone in",
    )
    auth_tools: tuple[str, ...] = option(
        default=DEFAULT_AUTH_TOOLS,
        doc="where one of these tools is on for the path, whoever it admits sees the page "
        "and the loopback rule steps aside",
    )

    def __post_init__(self) -> None:
        _check_networks(self.allow)


class PageOptions(_AccessOptions):
    """The options of ``tools.stats_page``."""

    gc_top: int = option(
        default=40, doc="how many types the gc page lists, the most numerous", unit="types"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.gc_top < 1:
            raise OptionError("gc_top", f"must be at least 1, not {self.gc_top}")


class MetricsOptions(_AccessOptions):
    """The options of ``tools.stats_metrics``."""

    prefix: str = option(
        default="pegboard",
        doc="the first word of every metric name (`pegboard_requests_total`)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.prefix.isidentifier() or not self.prefix.isascii():
            raise OptionError(
                "prefix", f"{self.prefix!r} is not a metric name (letters, digits and _)"
            )
