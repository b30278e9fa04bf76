"""The WSGI application: routing, compiled plans and the request lifecycle."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .config import Config, flatten_section, load_config, path_depth
from .context import current
from .error_pages import apply_http_error, apply_redirect, render_error
from .errors import _STATUS_LINES, ConfigError, HTTPError, HTTPRedirect, NotFound, status_line
from .hooks import HOOKPOINTS, Hook, run_hooks
from .namespaces import CORE_NAMESPACES, GLOBAL_OPTIONS, REQUEST_OPTIONS, RESPONSE_OPTIONS
from .options import coerce
from .plans import DEFAULT_MAX_BODY_SIZE, Plan, PlanBuilder
from .plugins import ToolRegistry, build_plugin_manager, disabled_plugins
from .request import Request
from .response import Response
from .routing import Route, Router
from .tool import Tool, suggest

__all__ = ["App"]

_log = logging.getLogger("pegboard.error")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Shared by every request to a route without parameters; handlers get a copy via **.
_NO_PARAMS: dict[str, Any] = {}
# Statuses whose responses never carry a body.
_NO_BODY = frozenset({204, 304, *range(100, 200)})
_POINT_INDEX = {point: index for index, point in enumerate(HOOKPOINTS)}


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
        self._mounts: list[tuple[str, str, WSGIApp]] = []
        self._plugins = list(plugins)
        self._app_tools: list[Tool] = []
        self._discover = discover
        self._started = False
        self._compiled = False
        self._lock = threading.RLock()
        self.plugin_manager: Any = None
        self.tools: ToolRegistry = ToolRegistry()
        self.plugin_infos: list[Any] = []
        self._namespaces: dict[str, Callable[[str, Any], Any] | None] = {}
        self._clean_sections: dict[str, dict[str, Any]] = {}
        self._section_plans: dict[str, Plan] = {}
        self._root_plan: Plan | None = None

    # -- building the app ------------------------------------------------------

    def route(
        self,
        template: str,
        target: Any = None,
        *,
        methods: Iterable[str] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Any:
        """Route ``template`` to a function ``(req, resp, **params)`` or a resource.

        Used as ``@app.route("/x")`` or ``app.route("/x", Resource())``. A
        function answers every method unless ``methods`` limits it; a
        resource answers the methods it has ``on_<method>`` responders for.
        """

        def register(target: Any) -> Any:
            flat = flatten_section(config or {}, template)
            route = Route(
                template, target, list(methods) if methods else None, flat, self.router.converters
            )
            with self._lock:
                self.router.add(route)
                if self._compiled:
                    try:
                        self._prepare_route(route)
                    except BaseException:
                        self.router.remove(route)  # a route with bad config is never served
                        raise
                    self.router.compile()
            return target

        if target is None:
            return register
        return register(target)

    def mount(self, prefix: str, app: WSGIApp) -> None:
        """Serve ``prefix`` and everything below it with another WSGI app (or App)."""
        if not prefix.startswith("/") or prefix == "/" or prefix.endswith("/"):
            raise ValueError(f"a mount prefix looks like '/legacy', not {prefix!r}")
        raw = prefix.encode("utf-8").decode("latin-1")
        self._mounts.append((prefix, raw, app))
        self._mounts.sort(key=lambda m: len(m[0]), reverse=True)

    def add_tool(self, tool: Tool) -> Tool:
        """Make a tool defined in application code available to config."""
        self._app_tools.append(tool)
        if self._compiled:
            self.tools.add(tool)
        return tool

    def register_plugin(self, plugin: Any) -> None:
        """Register a pluggy plugin object from code (before the app starts)."""
        if self._compiled:
            raise RuntimeError("register plugins before the app starts")
        self._plugins.append(plugin)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Compile (if not yet done) and run the plugins' start hooks; idempotent."""
        with self._lock:
            if self._started:
                return
            if not self._compiled:
                self.compile()
            self.plugin_manager.hook.pegboard_app_start(app=self)
            self._started = True

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
            self.plugin_manager, self.tools, self.plugin_infos = pm, registry, infos
            self._namespaces = {}
            for result in pm.hook.pegboard_config_namespaces():
                self._namespaces.update(result or {})
            self._validate_globals()
            self._clean_sections = {
                path: self._clean(flat, path) for path, flat in self.config.sections.items()
            }
            self._section_plans = {
                path: self._compile(self._merged(path), path)
                for path in {"/", *self._clean_sections}
            }
            self._root_plan = self._section_plans["/"]
            self.router.compile()
            for route in self.router.routes():
                self._prepare_route(route)
            self._compiled = True

    def stop(self) -> None:
        """Run the plugins' stop hooks; the next request starts the app again."""
        with self._lock:
            if not self._started:
                return
            self._started = False
            self.plugin_manager.hook.pegboard_app_stop(app=self)

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
        if not self._compiled:
            self.compile()
        seen: dict[int, Plan] = {}
        candidates: list[Plan] = list(self._section_plans.values())
        for route in self.router.routes():
            candidates.append(route.default_plan)
            candidates.extend(route.plans.values())
            for default, per_method in route.section_plans.values():
                candidates.append(default)
                candidates.extend(per_method.values())
        for plan in candidates:
            seen.setdefault(id(plan), plan)
        return list(seen.values())

    # -- config validation and plan compilation (start-up only) ----------------

    def _validate_globals(self) -> None:
        for ns, keys in self.config.globals.items():
            known = GLOBAL_OPTIONS.get(ns)
            if known is None:
                if ns in self._namespaces:
                    validator = self._namespaces[ns]
                    for key, value in keys.items():
                        self._check_plugin_key(ns, key, value, validator, "global")
                    continue
                hint = suggest(ns, [*GLOBAL_OPTIONS, *self._namespaces])
                raise ConfigError(f"unknown namespace {ns!r}{hint}", section="global", key=ns)
            for key, value in keys.items():
                if key not in known:
                    raise ConfigError(
                        f"unknown key{suggest(key, known)}", section=ns, key=f"{ns}.{key}"
                    )
                try:
                    keys[key] = coerce(value, known[key])
                except TypeError as exc:
                    raise ConfigError(str(exc), section=ns, key=f"{ns}.{key}") from None

    def _check_plugin_key(self, ns: str, key: str, value: Any, validator: Any, section: str) -> Any:
        if validator is None:
            return value
        try:
            return validator(key, value)
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(str(exc), section=section, key=f"{ns}.{key}") from None

    def _clean(self, flat: Mapping[str, Any], section: str) -> dict[str, Any]:
        """Validate one section's keys; return them with import strings resolved."""
        clean: dict[str, Any] = {}
        tool_options: dict[str, dict[str, Any]] = {}
        for key, value in flat.items():
            ns, _, rest = key.partition(".")
            if ns == "tools":
                name, _, option = rest.partition(".")
                self.tools.require(name, section, key)
                tool_options.setdefault(name, {})[option] = value
            elif ns == "hooks":
                if rest not in HOOKPOINTS:
                    raise ConfigError(
                        f"unknown hookpoint{suggest(rest, HOOKPOINTS)}", section=section, key=key
                    )
                clean[key] = self._hooks_value(value, section, key)
            elif ns == "request" or ns == "response":
                known = REQUEST_OPTIONS if ns == "request" else RESPONSE_OPTIONS
                if rest not in known:
                    raise ConfigError(
                        f"unknown option{suggest(rest, known)}", section=section, key=key
                    )
                try:
                    clean[key] = coerce(value, known[rest])
                except TypeError as exc:
                    raise ConfigError(str(exc), section=section, key=key) from None
            elif ns == "error_page":
                clean[key] = self._error_page_value(rest, value, section, key)
            elif ns in self._namespaces:
                clean[key] = self._check_plugin_key(ns, rest, value, self._namespaces[ns], section)
            else:
                hint = suggest(ns, [*CORE_NAMESPACES, *self._namespaces])
                raise ConfigError(f"unknown namespace {ns!r}{hint}", section=section, key=key)
        for name, options in tool_options.items():
            tool = self.tools.get(name)
            assert tool is not None
            for option, value in tool.validate(options, section, complete=False).items():
                clean[f"tools.{name}.{option}"] = value
        return clean

    def _hooks_value(self, value: Any, section: str, key: str) -> list[Hook]:
        items = value if isinstance(value, (list, tuple)) else [value]
        hooks = []
        for item in items:
            try:
                hooks.append(
                    Hook.coerce(coerce(item, Callable[..., Any]) if isinstance(item, str) else item)
                )
            except TypeError as exc:
                raise ConfigError(str(exc), section=section, key=key) from None
        return hooks

    def _error_page_value(self, code: str, value: Any, section: str, key: str) -> Any:
        if code != "default" and not (code.isdigit() and 400 <= int(code) <= 599):
            raise ConfigError(
                "error_page keys are 4xx/5xx codes or 'default'", section=section, key=key
            )
        if callable(value):
            return value
        if not isinstance(value, str):
            raise ConfigError(
                "expected a callable, an import string or a file path", section=section, key=key
            )
        if ":" in value and not Path(value).exists():
            try:
                return coerce(value, Callable[..., Any])
            except TypeError as exc:
                raise ConfigError(str(exc), section=section, key=key) from None
        path = Path(value)
        if not path.is_absolute() and self.config.base_dir is not None:
            path = self.config.base_dir / path
        if not path.is_file():
            raise ConfigError(
                f"error page file {str(path)!r} does not exist", section=section, key=key
            )
        return str(path)

    def _merged(
        self, path: str, code: Mapping[str, Any] | None = None, depth: int = 0
    ) -> dict[str, Any]:
        # Same merge order as Config.merged, over the validated sections.
        config = Config(self._clean_sections)
        return config.merged(path, code, depth)

    def _compile(self, merged: Mapping[str, Any], label: str) -> Plan:
        """Turn merged config into a Plan: tools attached, hooks sorted, settings read."""
        builder = PlanBuilder(label, self.config.base_dir)
        tool_options: dict[str, dict[str, Any]] = {}
        for key, value in merged.items():
            if key.startswith("tools."):
                _, name, option = key.split(".", 2)
                tool_options.setdefault(name, {})[option] = value
        active = []
        for name, options in tool_options.items():
            if not options.get("on"):
                continue
            tool = self.tools.get(name)
            assert tool is not None
            options = tool.validate(options, label, complete=True)
            options.pop("on")
            priority = options.pop("priority", None)
            builder._enter_tool(name, tool.point, priority)
            tool.attach(builder, **options)
            active.append(name)
        builder._enter_tool(None, None, None)
        for point in HOOKPOINTS:
            for hook in merged.get(f"hooks.{point}", ()):
                builder.add_hook(point, hook)
        error_pages = {
            k[len("error_page.") :]: v for k, v in merged.items() if k.startswith("error_page.")
        }
        plan = builder.build(
            config=merged,
            tools=tuple(active),
            label=label,
            max_body_size=merged.get("request.max_body_size", DEFAULT_MAX_BODY_SIZE),
            show_tracebacks=merged.get("request.show_tracebacks", False),
            process_request_body=merged.get("request.process_request_body", True),
            error_pages=error_pages,
            response_headers=tuple(merged.get("response.headers", {}).items()),
        )
        for name in active:
            tool = self.tools.get(name)
            assert tool is not None
            tool.check_plan(plan)
        return plan

    def _prepare_route(self, route: Route) -> None:
        """Compile a route's plans: one per method with its own config, one default."""
        label = f"route {route.template}"
        code = self._clean(route.code_config(), label)
        base = route.static_prefix.rstrip("/") or "/"
        if not route.is_static and "/" in route.static_prefix:
            base = route.static_prefix[: route.static_prefix.rfind("/")] or "/"

        def plans_for(section_path: str) -> tuple[Plan, dict[str, Plan]]:
            default = self._compile(self._merged(section_path, code, route.depth), label)
            per_method = {}
            for method, extra in route.method_config.items():
                merged_code = {**code, **self._clean(extra, f"{label} {method}")}
                per_method[method] = self._compile(
                    self._merged(section_path, merged_code, route.depth), label
                )
            return default, per_method

        route.default_plan, route.plans = plans_for(route.template if route.is_static else base)
        route.section_plans = {}
        route.section_dependent = False
        if not route.is_static:
            inner = base.rstrip("/") + "/"
            for section in self._clean_sections:
                if section.startswith(inner) and path_depth(section) > path_depth(base):
                    route.section_dependent = True
                    route.section_plans[section] = plans_for(section)

    # -- the request path ----------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not self._started:
            self.start()
        path: str = environ.get("PATH_INFO") or "/"
        if not path.isascii():
            try:
                path = path.encode("latin-1").decode("utf-8")
            except UnicodeError:
                body = b"The request path is not valid UTF-8.\n"
                start_response(
                    "400 Bad Request",
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(body))),
                    ],
                )
                return [body]
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
            try:
                route, params = router.match_template(path)
            except HTTPError:
                route = None
        if route is None:
            plan = (
                self._section_plans[self.config.deepest(path)]
                if self._clean_sections
                else self._root_plan
            )
            handler: Any = _not_found
        else:
            if route.section_dependent:
                found = route.section_plans.get(self.config.deepest(path))
                default, per_method = found if found else (route.default_plan, route.plans)
                plan = per_method.get(method) or default
            else:
                plan = route.plans.get(method) or route.default_plan
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
                    start_response(_STATUS_LINES.get(status) or status_line(status), header_list)
                    return [b""] if method == "HEAD" else [body]
        assert plan is not None
        req = Request(environ, self, method, path, plan, handler, params, route)
        resp = Response()
        current.set((req, resp))
        self._process(req, resp)
        result = self._finish(req, resp, environ, start_response)
        if type(result) is not _ResponseBody:
            current.set(None)  # a body we iterate keeps the context until its close()
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
                    result = handler(req, resp, **req.path_params)
                    if result is not None:
                        resp.set_body(result)
            except HTTPError as exc:
                apply_http_error(req, resp, exc)
            except HTTPRedirect as exc:
                apply_redirect(req, resp, exc)
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
        tb = "".join(traceback.format_exception(exc)) if req.plan.show_tracebacks else None
        resp.reset(keep_cookies=True)
        render_error(req, resp, 500, None, tb)
        try:
            self._run(req, resp, "after_error_response")
        except Exception:
            _log.exception("after_error_response hook failed")

    def _finish(
        self,
        req: Request,
        resp: Response,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        """Call start_response and hand the body to the server."""
        status = resp._status
        headers = resp.headers
        stream = resp.stream
        head = req.method == "HEAD"
        unknown_length = False
        if stream is not None:
            if status in _NO_BODY or head:
                resp.set_body(None)  # closes the stream
                stream = None
                unknown_length = "content-length" not in headers._items
            else:
                wrapper = environ.get("wsgi.file_wrapper")
                end_hooks = req.plan.on_end_request
                if not end_hooks and isinstance(wrapper, type) and isinstance(stream, wrapper):
                    # PERF: hand the server's own file wrapper back untouched (sendfile).
                    self._set_default_type(headers)
                    start_response(status_line(status), resp.header_list())
                    return stream
                return self._start_stream(req, resp, iter(stream), stream, start_response)
        body = resp._body
        items = headers._items  # PERF: lower-cased keys, read directly
        if status in _NO_BODY:
            body = b""
            if status == 204 or status == 304:
                items.pop("content-type", None)
                if status == 204:
                    items.pop("content-length", None)
        else:
            if "content-length" not in items and not unknown_length:
                headers._set_trusted("content-length", "Content-Length", str(len(body)))
            if "content-type" not in items:
                headers._set_trusted("content-type", "Content-Type", "text/html; charset=utf-8")
        if head:
            body = b""
        # PERF: header_list() inlined for the common no-cookie case.
        header_list = [pair for values in items.values() for pair in values]
        if resp.cookies:
            header_list.extend(("Set-Cookie", c.header_value()) for c in resp.cookies.values())
        start_response(_STATUS_LINES.get(status) or status_line(status), header_list)
        if req.plan.on_end_request:
            return _ResponseBody(body, iter(()), None, req, resp)
        return [body]

    @staticmethod
    def _set_default_type(headers: Any) -> None:
        if "content-type" not in headers._items:
            headers._set_trusted("content-type", "Content-Type", "text/html; charset=utf-8")

    def _start_stream(
        self,
        req: Request,
        resp: Response,
        iterator: Iterator[Any],
        stream: Any,
        start_response: Callable[..., Any],
    ) -> Iterable[bytes]:
        # Pull the first chunk before the headers go out, so that an error raised
        # at the start of a generator still becomes a proper error response.
        try:
            first = _to_bytes(next(iterator, b""))
        except (HTTPError, HTTPRedirect, Exception) as exc:
            _close(stream)
            resp.stream = None
            if isinstance(exc, HTTPError):
                apply_http_error(req, resp, exc)
            elif isinstance(exc, HTTPRedirect):
                apply_redirect(req, resp, exc)
            else:
                self._unexpected(req, resp, exc)
            return self._finish(req, resp, req.environ, start_response)
        self._set_default_type(resp.headers)
        start_response(status_line(resp._status), resp.header_list())
        return _ResponseBody(first, iterator, stream, req, resp)


def _to_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    return bytes(chunk)


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            _log.exception("closing the response stream failed")


class _ResponseBody:
    """The iterable handed to the server when hooks must run after the body is sent.

    It re-binds ``pegboard.request``/``response`` while iterating, logs an
    error that happens after the headers went out (the client sees a
    truncated response, the log says why), and runs ``on_end_request``
    exactly once from ``close()``.
    """

    __slots__ = ("_closed", "_first", "_iterator", "_req", "_resp", "_stream")

    def __init__(
        self,
        first: bytes | None,
        iterator: Iterator[Any],
        stream: Any,
        req: Request,
        resp: Response,
    ) -> None:
        self._first = first
        self._iterator = iterator
        self._stream = stream
        self._req = req
        self._resp = resp
        self._closed = False

    def __iter__(self) -> _ResponseBody:
        return self

    def __next__(self) -> bytes:
        current.set((self._req, self._resp))
        first = self._first
        if first is not None:
            self._first = None
            return first
        try:
            return _to_bytes(next(self._iterator))
        except StopIteration:
            raise
        except Exception:
            _log.exception(
                "the response body of %s %s failed after the headers were sent; "
                "the client received a truncated response",
                self._req.method,
                self._req.path,
            )
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        current.set((self._req, self._resp))
        if self._stream is not None:
            _close(self._stream)
        plan = self._req.plan
        if plan.on_end_request:
            try:
                run_hooks(
                    plan.on_end_request, plan.failsafe("on_end_request"), self._req, self._resp
                )
            except Exception:
                _log.exception(
                    "on_end_request hook failed for %s %s", self._req.method, self._req.path
                )
        current.set(None)
