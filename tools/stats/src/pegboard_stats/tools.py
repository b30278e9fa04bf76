"""The three tools: ``stats`` records, ``stats_page`` and ``stats_metrics`` show.

``stats_page`` and ``stats_metrics`` are handler tools switched on for a path
section, as ``staticdir`` is: the section where ``tools.stats_page.on`` is
written is where the page lives (``/stats``: the page; ``/stats/data``: the
JSON; ``/stats/gc``: objects and gc), and the section of
``tools.stats_metrics.on`` is where the Prometheus text is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pegboard
from pegboard import ConfigError, HookDoc, HTTPError, HTTPRedirect, PlanBuilder

from .access import AccessRule
from .gcinspect import GcInspector
from .hub import Hub, set_enabled
from .options import MetricsOptions, PageOptions, StatsOptions
from .page import STYLESHEET, render_gc_page, render_page
from .prometheus import exposition
from .recorder import PlanRecorder
from .report import build_statistics

__all__ = [
    "END_PRIORITY",
    "HANDLER_PRIORITY",
    "START_PRIORITY",
    "StatsMetricsTool",
    "StatsPageTool",
    "StatsTool",
    "hub_of",
]

#: on_start_resource: before every other tool, so that their time counts.
START_PRIORITY = -10
#: on_end_resource: after sessions (10) and caching (20) saved what they keep.
END_PRIORITY = 100
#: before_handler: after auth (1), sessions (10), session_auth (14) and a cache hit (20).
HANDLER_PRIORITY = 30
#: The name of the no-route label (a 404, a static file): one per config section.
NO_ROUTE = "(no route)"
STATE_NAME = "stats"
GC_STATE_NAME = "stats_gc"


def hub_of(app: pegboard.App) -> Hub | None:
    """The app's statistics, or None where ``tools.stats`` is on for no path."""
    hub: Hub | None = app.state.get(STATE_NAME)
    return hub


class StatsTool(pegboard.Tool[StatsOptions]):
    """Record requests per route, method and status class; time each tool's hooks."""

    hooks = (
        HookDoc(
            "on_start_resource",
            START_PRIORITY,
            "notes the start and counts the request in flight; picks one request in "
            "`hook_sample` whose tools' hooks are timed",
        ),
        HookDoc(
            "on_end_resource",
            END_PRIORITY,
            "records the request (a streamed body: when the server closes it)",
            failsafe=True,
        ),
        HookDoc(
            "on_end_request",
            10**6,
            "files the hook times of a sampled request",
            failsafe=True,
            per_request=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("stats", point="on_end_resource", priority=END_PRIORITY)

    def attach(self, plan: PlanBuilder, options: StatsOptions) -> None:
        app = plan.app
        assert app is not None
        hub = app.state.setdefault(STATE_NAME, lambda: Hub(options))
        conflict = hub.conflict(options)
        if conflict is not None:
            raise ConfigError(
                f"tools.stats.{conflict} holds for the whole app: give it the same value "
                'wherever it is set (or set it in the ["/"] section only)',
                section=plan.label,
                key=f"tools.stats.{conflict}",
            )
        unrouted = NO_ROUTE if plan.label == "/" else f"{NO_ROUTE} {plan.label}"
        hooks = PlanRecorder(hub.recorder, unrouted, options.hook_sample, options.slow_threshold)
        plan.add("on_start_resource", hooks.start, START_PRIORITY)
        plan.add("on_end_resource", hooks.finish, self.priority, True)

    def start(self, app: pegboard.App) -> None:
        hub = hub_of(app)
        if hub is not None:
            hub.start()

    def stop(self, app: pegboard.App) -> None:
        hub = hub_of(app)
        if hub is not None:
            hub.stop()


# -- the pages -----------------------------------------------------------------------------


def _section_of(plan: PlanBuilder, tool: str) -> str:
    """The config section whose ``tools.<tool>.on`` put the tool on this plan's path."""
    app = plan.app
    assert app is not None
    path = plan.label.removeprefix("route ")
    config = app.config
    for section in reversed(config.chain(path)):
        if f"tools.{tool}.on" in config.sections.get(section, {}):
            return section
    return path  # switched on by the route's own config


def _access_rule(
    plan: PlanBuilder, tool: str, allow: tuple[str, ...], auth_tools: tuple[str, ...]
) -> AccessRule:
    auth = sorted(set(auth_tools) & plan.tools_on)
    if auth and allow:
        plan.warn(
            f"tools.{auth[0]} is on for this path and decides who sees the page, so "
            "allow changes nothing here; remove it, or the auth tool",
            key=f"tools.{tool}.allow",
        )
    return AccessRule(tool, allow, bool(auth))


def _prefix(section: str) -> str:
    return "" if section == "/" else section.rstrip("/")


def _same_origin(req: pegboard.Request) -> bool:
    """Whether a POST comes from a page of this site (a CSRF guard that needs no token)."""
    site: str | None = req.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin: str | None = req.headers.get("Origin")
    return origin is not None and origin == req.base


def _refuse_cross_site(req: pegboard.Request) -> None:
    if not _same_origin(req):
        raise HTTPError(
            403,
            "This POST must come from the statistics page itself: browsers send "
            "Sec-Fetch-Site: same-origin or a matching Origin; other clients send "
            f"Origin: {req.base}.",
        )


def _answer(req: pegboard.Request, resp: pegboard.Response, body: bytes, content_type: str) -> None:
    resp.status = 200
    resp.headers["Content-Type"] = content_type
    resp.headers["Cache-Control"] = "no-store"
    resp.set_body(body)
    req.handler = None


def _only(req: pegboard.Request, *methods: str) -> None:
    if req.method not in methods:
        allow = ", ".join(methods)
        raise HTTPError(405, f"{req.method} is not allowed here.", headers={"Allow": allow})


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class PageSettings:
    """One stats_page, as compiled for one plan."""

    prefix: str
    rule: AccessRule
    gc_top: int

    def route(self, path: str) -> str | None:
        """The page's part (``""``, ``data``, ``gc``...) that ``path`` asks for, or None."""
        prefix = self.prefix
        if path == prefix or path == prefix + "/":
            return ""
        if not path.startswith(prefix + "/"):
            return None
        part = path[len(prefix) + 1 :].rstrip("/")
        return part if part in _PAGE_PARTS else None


_PAGE_PARTS = frozenset({"data", "gc", "gc/data", "gc/snapshot", "pause", "resume", "stats.css"})


def serve_page(req: pegboard.Request, resp: pegboard.Response, settings: PageSettings) -> None:
    """Answer the statistics page's paths; leave every other path alone."""
    if req.handler is None:  # an earlier handler tool (a cache hit, a login screen) answered
        return
    part = settings.route(req.path)
    if part is None:
        return
    settings.rule.check(req)
    app = req.app
    base = settings.prefix or "/"
    if part in ("pause", "resume", "gc/snapshot"):
        _only(req, "POST")
        _refuse_cross_site(req)
        if part == "gc/snapshot":
            taken = app.state.setdefault(GC_STATE_NAME, GcInspector).snapshot()
            if "json" in req.headers.get("Accept", ""):
                _answer(req, resp, _json(taken), "application/json")
                return
            raise HTTPRedirect(f"{settings.prefix}/gc", 303)
        namespace = req.form.get("namespace")
        if not isinstance(namespace, str) or not namespace:
            raise HTTPError(400, "Name the namespace to pause or resume in the field 'namespace'.")
        if not set_enabled(hub_of(app), namespace, part == "resume"):
            raise HTTPError(404, f"There is no statistics namespace {namespace!r}.")
        raise HTTPRedirect(base, 303)
    _only(req, "GET", "HEAD")
    if part == "stats.css":
        _answer(req, resp, STYLESHEET, "text/css; charset=utf-8")
    elif part in ("gc", "gc/data"):
        report = app.state.setdefault(GC_STATE_NAME, GcInspector).report(settings.gc_top)
        if part == "gc":
            _answer(req, resp, render_gc_page(report, base.rstrip("/")), "text/html; charset=utf-8")
        else:
            _answer(req, resp, _json(report), "application/json")
    else:
        statistics = build_statistics(app, hub_of(app))
        if part == "data":
            _answer(req, resp, _json(statistics), "application/json")
        else:
            page = render_page(statistics, settings.prefix)
            _answer(req, resp, page, "text/html; charset=utf-8")


class StatsPageTool(pegboard.Tool[PageOptions]):
    """Serve the statistics page, its JSON and the gc page at the section where it is on."""

    hooks = (
        HookDoc(
            "before_handler",
            HANDLER_PRIORITY,
            "answers its paths: the page, `/data` (JSON), `/gc`, pause and resume (POST)",
        ),
    )

    def __init__(self) -> None:
        super().__init__("stats_page", point="before_handler", priority=HANDLER_PRIORITY)

    def attach(self, plan: PlanBuilder, options: PageOptions) -> None:
        rule = _access_rule(plan, self.name, options.allow, options.auth_tools)
        settings = PageSettings(_prefix(_section_of(plan, self.name)), rule, options.gc_top)
        plan.add("before_handler", serve_page, self.priority, args=(settings,))


@dataclass(frozen=True)
class MetricsSettings:
    """One stats_metrics, as compiled for one plan."""

    prefix: str
    rule: AccessRule
    metric_prefix: str


def serve_metrics(
    req: pegboard.Request, resp: pegboard.Response, settings: MetricsSettings
) -> None:
    """Answer the Prometheus scrape at the tool's path; leave every other path alone."""
    if req.handler is None:
        return
    path = req.path
    if path != (settings.prefix or "/") and path != settings.prefix + "/":
        return
    settings.rule.check(req)
    _only(req, "GET", "HEAD")
    hub = hub_of(req.app)
    figures = hub.figures() if hub is not None else None
    body, content_type = exposition(
        settings.metric_prefix, figures, req.app, req.headers.get("Accept")
    )
    _answer(req, resp, body, content_type)


class StatsMetricsTool(pegboard.Tool[MetricsOptions]):
    """Serve the figures as Prometheus / OpenMetrics text at the section where it is on."""

    hooks = (
        HookDoc(
            "before_handler",
            HANDLER_PRIORITY,
            "answers a scrape at its path with every worker's figures",
        ),
    )

    def __init__(self) -> None:
        super().__init__("stats_metrics", point="before_handler", priority=HANDLER_PRIORITY)

    def attach(self, plan: PlanBuilder, options: MetricsOptions) -> None:
        rule = _access_rule(plan, self.name, options.allow, options.auth_tools)
        settings = MetricsSettings(_prefix(_section_of(plan, self.name)), rule, options.prefix)
        plan.add("before_handler", serve_metrics, self.priority, args=(settings,))
