"""One app's statistics (``app.state.stats``): the recorder, its sharing, pausing."""

from __future__ import annotations

import logging
from typing import Any

from .figures import Figures, snapshot, sum_snapshots
from .options import StatsOptions
from .recorder import Recorder
from .shared import Exchange, Flusher, resolve_directory

__all__ = ["NS_GC", "NS_HEALTH", "NS_REQUESTS", "NS_TOOLS", "Hub", "statistics"]

#: The namespaces tools.stats reports, beside those third-party code fills.
NS_REQUESTS = "pegboard Requests"
NS_TOOLS = "pegboard Tools"
NS_HEALTH = "pegboard Health"
NS_GC = "Python GC"
#: The namespaces of ours that can be paused.
PAUSABLE = (NS_REQUESTS, NS_TOOLS)


def statistics() -> dict[str, Any]:
    """``logging.statistics``, the dict CherryPy's docs tell libraries to fill (made if missing)."""
    found = getattr(logging, "statistics", None)
    if not isinstance(found, dict):
        found = {}
        logging.statistics = found  # type: ignore[attr-defined]
    return found


class Hub:
    """The figures of one app, shared with its sibling worker processes when there are any."""

    def __init__(self, options: StatsOptions) -> None:
        self.settings = (options.buckets, options.slow_count, options.directory)
        self.flush_interval = options.flush_interval
        self.recorder = Recorder(options.buckets, options.slow_count)
        directory, shared = resolve_directory(options.directory)
        #: the shared folder's reader and writer; None in a single process
        self.exchange: Exchange | None = Exchange(directory) if shared else None
        self.flusher: Flusher | None = None

    def conflict(self, options: StatsOptions) -> str | None:
        """The app-wide option that ``options`` sets otherwise than the first plan did."""
        names = ("buckets", "slow_count", "directory")
        for name, mine, theirs in zip(
            names,
            self.settings,
            (options.buckets, options.slow_count, options.directory),
            strict=True,
        ):
            if mine != theirs:
                return name
        if options.flush_interval != self.flush_interval:
            return "flush_interval"
        return None

    # -- the app's lifecycle ------------------------------------------------------------

    def start(self) -> None:
        if self.exchange is not None and self.flusher is None:
            self.flusher = Flusher(self.flush, self.flush_interval)
            self.flusher.start()

    def stop(self) -> None:
        flusher, self.flusher = self.flusher, None
        if flusher is not None:
            flusher.stop()

    def flush(self) -> None:
        """Write this process's figures for the others; take up their pauses."""
        if self.exchange is None:
            return
        self.exchange.write(snapshot(self.recorder))
        self.apply_control(self.exchange.read_control())

    # -- reading ------------------------------------------------------------------------

    def figures(self) -> Figures:
        """Every worker's figures added up: this one's live, the others' as last written."""
        snaps = [snapshot(self.recorder)]
        if self.exchange is not None:
            snaps.extend(self.exchange.others())
        return sum_snapshots(snaps, self.recorder.slow_count)

    # -- pausing ------------------------------------------------------------------------

    def enabled(self, namespace: str) -> bool:
        if namespace == NS_REQUESTS:
            return self.recorder.enabled
        return self.recorder.hooks_enabled

    def apply_control(self, control: dict[str, Any]) -> None:
        """Take up the pauses and resumptions another worker wrote in ``control.json``."""
        disabled, resumed = control.get("disabled"), control.get("resumed")
        if not isinstance(disabled, list) or not isinstance(resumed, list):
            return
        self.recorder.enabled = NS_REQUESTS not in disabled
        self.recorder.hooks_enabled = NS_TOOLS not in disabled
        # Only the namespaces someone paused or resumed here: a library that turned
        # its own collection off is left alone.
        for name, on in [*((n, False) for n in disabled), *((n, True) for n in resumed)]:
            namespace = statistics().get(name)
            if isinstance(namespace, dict) and name not in PAUSABLE:
                namespace["Enabled"] = on


def set_enabled(hub: Hub | None, namespace: str, on: bool) -> bool:
    """Pause or resume ``namespace`` (here, and in every worker when they share a folder).

    Returns False when there is no such namespace to pause.
    """
    found = False
    if hub is not None and namespace in PAUSABLE:
        found = True
        if namespace == NS_REQUESTS:
            hub.recorder.enabled = on
        else:
            hub.recorder.hooks_enabled = on
    third_party = statistics().get(namespace)
    if isinstance(third_party, dict) and namespace not in PAUSABLE:
        third_party["Enabled"] = on
        found = True
    if found and hub is not None and hub.exchange is not None:
        control = hub.exchange.read_control()
        disabled = set(control.get("disabled") or ())
        resumed = set(control.get("resumed") or ())
        (resumed if on else disabled).add(namespace)
        (disabled if on else resumed).discard(namespace)
        hub.exchange.write_control({"disabled": sorted(disabled), "resumed": sorted(resumed)})
    return found
