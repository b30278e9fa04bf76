"""Profiling for pegboard: ``tools.profiler`` and the page ``tools.profiler_page``.

``tools.profiler`` profiles one request in ``every``, or any request that
carries the trigger (a header or cookie holding the configured secret), with
pyinstrument (an HTML call tree per request, the newest kept) or cProfile (a
``.pstats`` aggregate across requests, one file per process, like CherryPy's
``ProfileAggregator``). ``tools.profiler_page``, switched on for a path
section, lists them to loopback clients, or to whom the config names.
"""

from __future__ import annotations

import pegboard

from .access import AccessRule
from .options import DEFAULT_AUTH_TOOLS, PageOptions, ProfilerOptions
from .page import ProfilesPage, merged_stats
from .sampling import ID_HEADER, profile_of
from .store import ProfileInfo, ProfileStore, default_folder
from .tools import ProfilerPageTool, ProfilerTool

__all__ = [
    "DEFAULT_AUTH_TOOLS",
    "ID_HEADER",
    "AccessRule",
    "PageOptions",
    "ProfileInfo",
    "ProfileStore",
    "ProfilerOptions",
    "ProfilerPageTool",
    "ProfilerTool",
    "ProfilesPage",
    "default_folder",
    "merged_stats",
    "pegboard_tools",
    "profile_of",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [ProfilerTool(), ProfilerPageTool()]
