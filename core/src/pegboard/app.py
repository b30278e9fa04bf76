"""The WSGI application: building an app, its lifecycle, and the request path.

Config validation lives in ``validation.py``, plan compilation in
``compiler.py`` and handing the response to the server in ``responding.py``;
this module keeps the public ``App`` and the per-request path, which is kept
flat and commented because every request runs it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

from .access import is_local_client
from .compiler import PlanCompiler, RoutePlans
from .config import Config, flatten_section, load_config
from .context import _set_current
from .error_pages import apply_http_error, apply_redirect, render_error
from .errors import (
    Answered,
    ConfigError,
    ConfigWarning,
    HTTPError,
    HTTPRedirect,
    NotFound,
    _known_status_line,
    status_line,
)
from .health import Health, HealthProbe
from .hooks import HOOKPOINTS
from .hosts import HostPolicy
from .plans import Plan
from .plugins import PluginInfo, ToolRegistry, build_plugin_manager, disabled_plugins
from .request import Request
from .responding import ResponseBody, finish, handler_result
from .response import Response
from .routing import Route, Router
from .state import State
from .tool import Tool
from .validation import ConfigValidator

__all__ = ["App"]

_log = logging.getLogger("pegboard.error")
_config_log = logging.getLogger("pegboard.config")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
T = TypeVar("T")

# Shared by every request to a route without parameters; handlers get a copy via **.
_NO_PARAMS: dict[str, Any] = {}
_POINT_INDEX = {point: index for index, point in enumerate(HOOKPOINTS)}


_BAD_HOST = b"The Host header names a host this site does not serve.\n"


def _bad_request(
    environ: dict[str, Any], start_response: Callable[..., Any], body: bytes
) -> list[bytes]:
    """A plain 400 for a request refused before routing (no route, plan or hook ran)."""
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response("400 Bad Request", headers)
    return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def _not_found(req: Request, resp: Response, **params: Any) -> None:
    raise NotFound(req.path)


def _options(req: Request, resp: Response, **params: Any) -> None:
    resp.status = 204
    resp.headers["Allow"] = req.route.allow


def _method_not_allowed(req: Request, resp: Response, **params: Any) -> None:
    raise HTTPError(405, f"{req.method} is not allowed here.", headers={"Allow": req.route.allow})


class App:
    """A pegboard application: a PEP 3333 WSGI callable.

    ``config`` is a dict, a path to a TOML or INI file, or None. Plugins are
    discovered from the ``pegboard`` entry-point group when the app starts
    (at ``start()`` or the first request); ``plugins`` adds more from code.
    """

    def __init__(
        self,
        config: Config | Mapping[str, Any] | str | Path | None = None,
        *,
        plugins: Iterable[Any] = (),
        discover: bool = True,
    ) -> None:
        self.config = load_config(config)
        self.router = Router()
        #: app-wide data of tools and application code (pools, registries, counters)
        self.state = State()
        self._mounts: list[tuple[str, str, WSGIApp]] = []
        self._plugins = list(plugins)
        self._app_tools: list[Tool] = []
        self._discover = discover
        self._started = False
        self._lock = threading.RLock()
        self.plugin_manager: Any = None
        self.tools: ToolRegistry = ToolRegistry()
        self.plugin_infos: list[PluginInfo] = []
        self._compiler: PlanCompiler | None = None
        self._started_tools: list[Tool] = []
        # PERF: read by every unrouted request; copies of the compiler's results.
        self._section_plans: dict[str, Plan] = {}
        self._root_plan: Plan | None = None
        self._hosts: HostPolicy | None = None
        self._health_probes: dict[str, HealthProbe] = {}
        #: development mode (``pegboard serve --debug``): tracebacks of unexpected
        #: errors go to loopback clients that came through no proxy
        self.debug = False
        # PERF: bound once (finish() gets it with every request); reading a method off
        # the instance would build a new bound method each time.
        self._report_unexpected = self._unexpected

    # -- building the app ------------------------------------------------------

    @overload
    def route(
        self,
        template: str,
        target: None = None,
        *,
        methods: Iterable[str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Callable[[T], T]: ...

    @overload
    def route(
        self,
        template: str,
        target: T,
        *,
        methods: Iterable[str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> T: ...

    def route(
        self,
        template: str,
        target: Any = None,
        *,
        methods: Iterable[str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Any:
        """Route ``template`` to a function ``(req, resp, **params)`` or a resource.

        Used as ``@app.route("/x")`` or ``app.route("/x", Resource())``; either
        way the target is returned unchanged, with its type. A function answers
        every method unless ``methods`` limits it; a resource answers the
        methods it has ``on_<method>`` responders for.
        """

        def register(target: Any) -> Any:
            flat = flatten_section(config or {}, template)
            route = Route(
                template, target, list(methods) if methods else None, flat, self.router.converters
            )
            self._add_route(route)
            return target

        if target is None:
            return register
        return register(target)

    def _add_route(self, route: Route) -> None:
        with self._lock:
            self.router.add(route)
            if self._compiler is not None:
                try:
                    self._prepare_route(route)
                    if self._started:
                        self._start_new_tools()
                except BaseException:
                    self.router.remove(route)  # a route with bad config is never served
                    raise
                self.router.compile()

    def mount(self, prefix: str, app: WSGIApp, *, tools: bool = False) -> None:
        """Serve ``prefix`` and everything below it with another WSGI app (or App).

        With ``tools=True`` the tools configured for those paths run around the
        mounted app as around a handler (see :func:`pegboard.wrap`), and routes
        of this app under ``prefix`` answer before it. Without, the mounted app
        gets its requests untouched, before any route.
        """
        if not prefix.startswith("/") or prefix == "/" or prefix.endswith("/"):
            raise ValueError(f"a mount prefix looks like '/legacy', not {prefix!r}")
        if tools:
            from .wsgi_handler import route_to_wsgi_app

            route_to_wsgi_app(self, app, prefix)
            return
        raw = prefix.encode("utf-8").decode("latin-1")
        self._mounts.append((prefix, raw, app))
        self._mounts.sort(key=lambda m: len(m[0]), reverse=True)

    def add_tool(self, tool: Tool) -> Tool:
        """Make a tool defined in application code available to config."""
        self._app_tools.append(tool)
        if self._compiler is not None:
            self.tools.add(tool)
        return tool

    def register_plugin(self, plugin: Any) -> None:
        """Register a pluggy plugin object from code (before the app starts)."""
        if self._compiler is not None:
            raise RuntimeError("register plugins before the app starts")
        self._plugins.append(plugin)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Compile (if not yet done), start the tools in use, then the plugins; idempotent.

        Each tool that is on for some path gets ``Tool.start(app)``, then every
        plugin's ``pegboard_app_start(app)`` runs. If one of them raises, what
        was already started is stopped again and the error propagates.
        """
        with self._lock:
            if self._started:
                return
            if self._compiler is None:
                self.compile()
            for warning in self.config_warnings:
                _config_log.warning("%s", warning.line())
            try:
                self._start_new_tools()
                self.plugin_manager.hook.pegboard_app_start(app=self)
            except BaseException:
                self._stop_tools()
                raise
            self._started = True

    def _start_new_tools(self) -> None:
        assert self._compiler is not None
        for tool in list(self._compiler.active_tools.values()):
            if tool not in self._started_tools:
                tool.start(self)
                self._started_tools.append(tool)

    def _stop_tools(self) -> None:
        while self._started_tools:
            tool = self._started_tools.pop()
            try:
                tool.stop(self)
            except Exception:
                _log.exception("stopping the tool %r failed", tool.name)

    def compile(self) -> None:
        """Discover plugins, validate all config and compile every plan.

        ``start()`` calls this; ``pegboard check`` and ``pegboard routes`` call
        it alone, so that nothing (pools, threads) is opened.
        """
        with self._lock:
            disable = self.config.globals.get("plugins", {}).get("disable", [])
            pm, registry, infos = build_plugin_manager(
                self._plugins, disabled_plugins(disable), self._discover
            )
            for tool in self._app_tools:
                registry.add(tool)
            # Tools read plan.app.plugin_manager in attach() (their own hookspecs), so the
            # app holds this compile's plugin manager before any plan is compiled.
            self.plugin_manager = pm
            namespaces: dict[str, Any] = {}
            for result in pm.hook.pegboard_config_namespaces():
                namespaces.update(result or {})
            validator = ConfigValidator(registry, namespaces, self.config)
            compiler = PlanCompiler(self, self.config, registry, validator)
            compiler.compile_sections()
            self.router.compile()
            for route in self.router.routes():
                route.compiled = compiler.compile_route(route)
            if compiler.errors:
                raise ConfigError.gather(compiler.errors)
            compiler.warn_unused_options()
            self.tools, self.plugin_infos = registry, infos
            self._compiler = compiler
            self._section_plans = compiler.section_plans
            self._root_plan = compiler.section_plans["/"]
            allowed = self.config.globals.get("request", {}).get("allowed_hosts")
            self._hosts = HostPolicy(allowed) if allowed is not None else None

    def stop(self) -> None:
        """Run the plugins' stop hooks, then stop the tools; the next request starts again."""
        with self._lock:
            if not self._started:
                return
            self._started = False
            try:
                self.plugin_manager.hook.pegboard_app_stop(app=self)
            finally:
                self._stop_tools()

    def __enter__(self) -> App:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def plans(self) -> list[Plan]:
        """Every compiled plan of this app (routes, methods, config sections), once each.

        Tools use it at start-up to open what their configured options need
        (a store per distinct backend URL, say).
        """
        if self._compiler is None:
            self.compile()
        seen: dict[int, Plan] = {}
        candidates: list[Plan] = list(self._section_plans.values())
        for route in self.router.routes():
            if route.compiled is not None:
                candidates.extend(route.compiled)
        for plan in candidates:
            seen.setdefault(id(plan), plan)
        return list(seen.values())

    def section_plans(self) -> dict[str, Plan]:
        """The compiled plan of each config section, for paths that no route matches."""
        if self._compiler is None:
            self.compile()
        return dict(self._section_plans)

    @property
    def config_warnings(self) -> list[ConfigWarning]:
        """Settings that are legal but probably not what was meant (found when compiling)."""
        if self._compiler is None:
            self.compile()
        assert self._compiler is not None
        return list(self._compiler.warnings.values())

    def add_health_probe(self, name: str, probe: HealthProbe) -> None:
        """Report the health of a backend under ``name`` (a tool calls it in ``start``)."""
        self._health_probes[name] = probe

    def remove_health_probe(self, name: str) -> None:
        """Stop reporting ``name`` (in the tool's ``stop``)."""
        self._health_probes.pop(name, None)

    def health(self) -> list[Health]:
        """The health of every backend the app's tools reported, by name.

        A probe that raises is reported as down with its error.
        """
        found = []
        for name, probe in sorted(self._health_probes.items()):
            try:
                found.append(probe())
            except Exception as exc:
                found.append(Health(name, False, f"the probe failed: {exc!r}"))
        return found

    def host_allowed(self, host: str | None) -> bool:
        """Whether ``request.allowed_hosts`` admits ``host`` (a Host value; True when unset).

        The core checks the Host header before routing; a tool that takes the
        host from elsewhere (a trusted proxy's header) checks it here too.
        """
        hosts = self._hosts
        return hosts is None or hosts.allows(host)

    def _prepare_route(self, route: Route) -> None:
        compiler = self._compiler
        assert compiler is not None
        compiler.errors.clear()
        compiled = compiler.compile_route(route)
        if compiler.errors:
            raise ConfigError.gather(compiler.errors)
        route.compiled = compiled

    # -- the request path ----------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not self._started:
            self.start()
        hosts = self._hosts
        if hosts is not None and not hosts.allows(environ.get("HTTP_HOST")):
            return _bad_request(environ, start_response, _BAD_HOST)
        path: str = environ.get("PATH_INFO") or "/"
        if not path.isascii():
            try:
                path = path.encode("latin-1").decode("utf-8")
            except UnicodeError:
                return _bad_request(
                    environ, start_response, b"The request path is not valid UTF-8.\n"
                )
        if self._mounts:
            for prefix, raw, app in self._mounts:
                if path == prefix or (path.startswith(prefix) and path[len(prefix)] == "/"):
                    return self._call_mounted(raw, app, environ, start_response)
        method: str = environ["REQUEST_METHOD"]
        # PERF: static routes are one dict lookup; templates one regex match.
        router = self.router
        route = router.static.get(path)
        params: dict[str, Any] = _NO_PARAMS
        if route is None and router.dynamic:
            # PERF: pegboard.wrap's catch-all route takes every other path: no matching.
            route = router.catch_all
            if route is None:
                try:
                    route, params = router.match_template(path)
                except HTTPError:
                    route = None
        if route is None:
            plan = (
                self._section_plans[self.config.deepest(path)]
                if len(self._section_plans) > 1
                else self._root_plan
            )
            handler: Any = _not_found
        else:
            compiled: RoutePlans = route.compiled  # type: ignore[assignment]
            if compiled.by_section:
                plan = compiled.select(method, self.config.deepest(path))
            else:
                plan = compiled.by_method.get(method) or compiled.default
            handler = route.any_method or route.handlers.get(method)
            if handler is None:
                handler = (
                    _options if method == "OPTIONS" and route.handlers else _method_not_allowed
                )
            elif plan.quick_answer is not None and not environ.get("CONTENT_LENGTH"):
                # PERF: the plan's only tool answers from the environ (a cache hit):
                # no Request, no Response, no hooks; see PlanBuilder.offer_quick_answer.
                try:
                    answer = plan.quick_answer(environ)
                except Exception:
                    _log.exception("the quick answer of %s failed; running the request", path)
                    answer = None
                if answer is not None:
                    status, header_list, body = answer
                    start_response(_known_status_line(status) or status_line(status), header_list)
                    return [b""] if method == "HEAD" else [body]
        assert plan is not None
        req = Request(environ, self, method, path, plan, handler, params, route)
        resp = Response()
        _set_current((req, resp))
        self._process(req, resp)
        result = finish(req, resp, environ, start_response, self._report_unexpected)
        if type(result) is not ResponseBody:
            _set_current(None)  # a body we iterate keeps the context until its close()
        return result

    def _call_mounted(
        self,
        raw_prefix: str,
        app: WSGIApp,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        env = dict(environ)
        env["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + raw_prefix
        env["PATH_INFO"] = environ.get("PATH_INFO", "")[len(raw_prefix) :]
        return app(env, start_response)

    @staticmethod
    def _run(req: Request, resp: Response, point: str) -> None:
        runner = req.plan.runners[_POINT_INDEX[point]]
        if runner is not None:
            runner(req, resp)

    def _process(self, req: Request, resp: Response) -> None:
        """Run the hookpoints and the handler; every error becomes a response.

        PERF: each hookpoint is one precompiled runner (None when nothing is
        attached), so a route with no tools pays no call per hookpoint and a
        lone hook is called directly. ``req.plan`` is read again only after
        code that may have attached a one-request hook.
        """
        plan = req.plan
        try:
            if plan.response_headers:
                for name, value in plan.response_headers:
                    resp.headers[name] = value
            try:
                runner = plan.runners[0]  # on_start_resource
                if runner is not None:
                    runner(req, resp)
                    plan = req.plan
                runner = plan.runners[1]  # before_request_body
                if runner is not None:
                    runner(req, resp)
                    plan = req.plan
                if "CONTENT_LENGTH" in req.environ and req.process_request_body:
                    req.body  # noqa: B018  # checks Content-Length against the limit: 400/413
                runner = plan.runners[2]  # before_handler
                if runner is not None:
                    runner(req, resp)
                handler = req.handler
                if handler is not None:
                    params = req.path_params
                    # PERF: a route without parameters skips the keyword unpacking.
                    result = handler(req, resp, **params) if params else handler(req, resp)
                    if result is not None:
                        if type(result) is not str and type(result) is not bytes:
                            result = handler_result(req, result, resp)
                        resp.set_body(result)
            except HTTPError as exc:
                apply_http_error(req, resp, exc)
            except HTTPRedirect as exc:
                apply_redirect(req, resp, exc)
            except Answered:
                pass  # a hook completed the response: skip the rest of the handling
            runner = req.plan.runners[3]  # before_finalize
            if runner is not None:
                try:
                    runner(req, resp)
                except HTTPError as exc:
                    apply_http_error(req, resp, exc)
                except HTTPRedirect as exc:
                    apply_redirect(req, resp, exc)
        except Exception as exc:
            self._unexpected(req, resp, exc)
        runner = req.plan.runners[4]  # on_end_resource
        if runner is not None:
            try:
                runner(req, resp)
            except Exception as exc:
                self._unexpected(req, resp, exc)

    def _unexpected(self, req: Request, resp: Response, exc: BaseException) -> None:
        """A 500 through the error hookpoints; the traceback only if configured."""
        _log.error("unexpected error in %s %s", req.method, req.path, exc_info=exc)
        req.error = exc
        try:
            self._run(req, resp, "before_error_response")
        except Exception:
            _log.exception("before_error_response hook failed")
        show = req.plan.show_tracebacks or (self.debug and is_local_client(req))
        tb = "".join(traceback.format_exception(exc)) if show else None
        resp.reset(keep_cookies=True)
        render_error(req, resp, 500, None, tb)
        try:
            self._run(req, resp, "after_error_response")
        except Exception:
            _log.exception("after_error_response hook failed")
