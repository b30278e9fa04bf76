"""The ``profiler`` tool (which requests to profile) and ``profiler_page`` (the profiles page)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pegboard

from .access import AccessRule
from .options import PageOptions, ProfilerOptions
from .page import ProfilesPage
from .sampling import END_PRIORITY, START_PRIORITY, Sampler, start_profile
from .store import Stores, default_folder

__all__ = ["PAGE_PRIORITY", "ProfilerPageTool", "ProfilerTool"]

#: before_handler: after the auth tools (1) and sessions (10), like staticdir (30).
PAGE_PRIORITY = 30
#: The ``app.state`` name of the app's profile stores.
STATE_NAME = "profiler"

_log = logging.getLogger("pegboard.profiler")


class ProfilerTool(pegboard.Tool[ProfilerOptions]):
    """Profile one request in N, or a request that carries the trigger; keep the results."""

    hooks = (
        pegboard.HookDoc(
            "on_start_resource",
            START_PRIORITY,
            does="decides (trigger or one in `every`) and starts the profiler",
        ),
        pegboard.HookDoc(
            "on_end_request",
            END_PRIORITY,
            does="stops the profiler once the body was sent and stores the profile "
            "(profiled requests only)",
            failsafe=True,
            per_request=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("profiler", point="on_start_resource", priority=START_PRIORITY)

    def attach(self, plan: pegboard.PlanBuilder, options: ProfilerOptions) -> None:
        assert plan.app is not None
        folder = default_folder() if options.folder is None else Path(options.folder)
        if not folder.is_absolute():
            folder = Path(plan.base_dir or Path.cwd()) / folder
        stores = plan.app.state.setdefault(STATE_NAME, Stores)
        # Not resolve(): a link in place of the folder must be seen (and refused) at start.
        store = stores.for_folder(Path(os.path.abspath(folder)), options.keep)
        plan.add("on_start_resource", start_profile, self.priority, args=(Sampler(options, store),))

    def start(self, app: pegboard.App) -> None:
        stores: Stores | None = app.state.get(STATE_NAME)
        for store in stores.all() if stores is not None else ():
            store.open()


class ProfilerPageTool(pegboard.Tool[PageOptions]):
    """The profiles page: call trees and the aggregate, for loopback clients unless allowed."""

    hooks = (
        pegboard.HookDoc(
            "before_handler",
            PAGE_PRIORITY,
            does="answers the profiles page, after the auth tools; 403 for a client not allowed",
        ),
    )

    def __init__(self) -> None:
        super().__init__("profiler_page", point="before_handler", priority=PAGE_PRIORITY)

    def attach(self, plan: pegboard.PlanBuilder, options: PageOptions) -> None:
        assert plan.app is not None
        stores = plan.app.state.setdefault(STATE_NAME, Stores)
        rule = AccessRule(options.allow, auth=bool(set(options.auth_tools) & plan.tools_on))
        page = ProfilesPage(stores, rule, options.top)
        plan.add("before_handler", page.serve, self.priority)

    def start(self, app: pegboard.App) -> None:
        stores: Stores | None = app.state.get(STATE_NAME)
        if stores is None or not stores.all():
            _log.warning(
                "tools.profiler_page is on, but tools.profiler is on for no path, so the page "
                "will list nothing; turn tools.profiler on where requests should be profiled"
            )
