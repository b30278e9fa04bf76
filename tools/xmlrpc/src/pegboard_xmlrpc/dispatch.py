"""From a method name to a handler, and from what the handler did to a response or a fault.

The method ``a.b`` called at the endpoint ``/rpc`` runs the handler routed at
``/rpc/a/b`` (CherryPy's convention), with the call's params as positional
arguments after ``(req, resp)``. Only static routes are methods. A method's
route must run the same tools and hooks as the endpoint: a call runs the
endpoint's tools only, so a route that has more (an auth tool on
``/rpc/admin``, say) would be reachable without them; such a route is not a
method, and calling it is a fault that says why.

Faults (the response is still 200, as XML-RPC wants):

| what happened | faultCode |
|---|---|
| no such method | 404 |
| wrong number or names of params | 400 |
| the method's route runs tools the endpoint does not | 403 |
| the handler raised ``pegboard.HTTPError`` | its status (its message as faultString) |
| the handler raised ``xmlrpc.client.Fault`` | that fault, as it is |
| a result XML-RPC cannot carry (None without allow_none, past 32 bits, too deep) | 500 |
| any other exception (logged) | 500 |
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
import traceback
import xmlrpc.client
from collections.abc import Callable, Mapping
from typing import Any

import pegboard
from pegboard import HTTPError, HTTPRedirect

from .wire import fault_body, parse_call, result_body

__all__ = ["INTROSPECTION", "Endpoint", "Fault", "method_of"]

_log = logging.getLogger("pegboard.xmlrpc")

_METHOD_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_MAX_NAME = 200
#: The ``req.state`` name under which a handler finds the method it was called as.
STATE_NAME = "xmlrpc"
#: The methods the endpoint answers itself when ``introspection`` is on.
INTROSPECTION = ("system.listMethods", "system.methodHelp", "system.methodSignature")

Fault = xmlrpc.client.Fault


def method_of(req: pegboard.Request) -> str | None:
    """The XML-RPC method name the handler was called as (None for a plain HTTP request)."""
    method: str | None = req.state.get(STATE_NAME)
    return method


def _guards(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config that decides who gets in and what runs: tools and hooks, xmlrpc's own aside."""
    return {
        key: value
        for key, value in config.items()
        if key.startswith(("tools.", "hooks.")) and not key.startswith("tools.xmlrpc.")
    }


class Endpoint:
    """The XML-RPC endpoints of one plan: which paths answer, and how a call is dispatched."""

    def __init__(self, allow_none: bool, introspection: bool) -> None:
        self.allow_none = allow_none
        self.introspection = introspection
        self._lock = threading.Lock()
        self._sections: frozenset[str] | None = None
        self._route_endpoints: dict[int, bool] = {}
        self._exposed: dict[tuple[int, int], str | None] = {}
        self._signatures: dict[Any, inspect.Signature | None] = {}

    # -- which paths are endpoints ------------------------------------------------

    def root_of(self, req: pegboard.Request) -> str | None:
        """The endpoint ``req.path`` addresses (``/rpc`` for ``/rpc``, ``/rpc/``, ``/rpc/RPC2``)."""
        sections = self._sections
        if sections is None:
            sections = self._sections = frozenset(
                section.rstrip("/") or "/"
                for section, keys in req.app.config.sections.items()
                if keys.get("tools.xmlrpc.on")
            )
        path = req.path
        for candidate in (path, path.removesuffix("/RPC2") or "/", path.rstrip("/") or "/"):
            if candidate in sections:
                return candidate
        route = req.route
        if route is not None and route.is_static and self._is_route_endpoint(route):
            return str(route.template.rstrip("/") or "/")
        return None

    def _is_route_endpoint(self, route: Any) -> bool:
        key = id(route)
        found = self._route_endpoints.get(key)
        if found is None:
            found = bool(route.code_config().get("tools.xmlrpc.on"))
            self._route_endpoints[key] = found
        return found

    # -- methods -------------------------------------------------------------------

    def _route_of(self, req: pegboard.Request, root: str, method: str) -> Any:
        if len(method) > _MAX_NAME or not _METHOD_NAME.match(method):
            return None
        base = "" if root == "/" else root
        return req.app.router.static.get(f"{base}/{method.replace('.', '/')}")

    def _refusal(self, req: pegboard.Request, route: Any, root: str) -> str | None:
        """Why ``route`` is not a method of this endpoint (tools of its own), or None."""
        plan = route.compiled.select("POST") if route.compiled is not None else None
        if plan is None:
            return "its route is not compiled"
        key = (id(plan), id(req.plan.config))
        with self._lock:
            if key in self._exposed:
                return self._exposed[key]
        mine, theirs = _guards(req.plan.config), _guards(plan.config)
        why = None
        if mine != theirs:
            differ = sorted(
                {k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)}
            )
            why = (
                f"its route {route.template} is configured differently from the endpoint {root} "
                f"({', '.join(differ[:3])}), and a call runs only the endpoint's tools; give "
                f"{root} the same config or move the route out from under it"
            )
            _log.warning("XML-RPC endpoint %s does not serve %s: %s", root, route.template, why)
        with self._lock:
            self._exposed[key] = why
        return why

    def methods(self, req: pegboard.Request, root: str) -> list[str]:
        """Every method this endpoint serves, sorted."""
        prefix = "/" if root == "/" else root + "/"
        names = []
        for path, route in req.app.router.static.items():
            if not path.startswith(prefix) or path == prefix:
                continue
            name = path[len(prefix) :].replace("/", ".")
            if not _METHOD_NAME.match(name) or name.startswith("system."):
                continue
            if route.handler_for("POST") is None or self._refusal(req, route, root):
                continue
            names.append(name)
        if self.introspection:
            names.extend(INTROSPECTION)
        return sorted(names)

    # -- a call ------------------------------------------------------------------------

    def call_with(
        self, req: pegboard.Request, resp: pegboard.Response, root: str, data: bytes
    ) -> bytes:
        """The response body for the call ``data`` (a result or a fault); 400 for a bad call."""
        method, params = parse_call(data, self.allow_none)
        req.state.xmlrpc = method
        try:
            result = self._dispatch(req, resp, root, method, params)
        except Fault as fault:
            return fault_body(int(fault.faultCode), str(fault.faultString))
        except HTTPError as exc:
            return fault_body(exc.status, exc.message or pegboard.reason(exc.status))
        except HTTPRedirect as exc:
            return fault_body(exc.status, f"The method moved to {', '.join(exc.urls)}.")
        except Exception as exc:
            _log.error("XML-RPC method %s failed", method, exc_info=exc)
            message = "Internal error."
            if req.plan.show_tracebacks:
                message = "".join(traceback.format_exception(exc))
            return fault_body(500, message)
        try:
            return result_body(result, self.allow_none)
        except RecursionError:
            _log.error("the result of XML-RPC method %s is nested too deeply to send", method)
            return fault_body(500, f"The result of {method} is nested too deeply to send.")
        except (TypeError, OverflowError, ValueError) as exc:
            _log.error("the result of XML-RPC method %s cannot be marshalled: %s", method, exc)
            return fault_body(500, f"The result of {method} cannot be sent in XML-RPC: {exc}")

    def _dispatch(
        self,
        req: pegboard.Request,
        resp: pegboard.Response,
        root: str,
        method: str,
        params: tuple[Any, ...],
    ) -> Any:
        if self.introspection and method in INTROSPECTION:
            return self._introspect(req, root, method, params)
        route = self._route_of(req, root, method)
        handler = route.handler_for("POST") if route is not None else None
        if handler is None or method.startswith("system."):
            raise Fault(404, f"No method {method[:_MAX_NAME]!r}.")
        why = self._refusal(req, route, root)
        if why is not None:
            raise Fault(403, f"{method} is not served over XML-RPC: {why}.")
        self._check_arguments(handler, method, req, resp, params)
        return handler(req, resp, *params)

    def _check_arguments(
        self,
        handler: Callable[..., Any],
        method: str,
        req: pegboard.Request,
        resp: pegboard.Response,
        params: tuple[Any, ...],
    ) -> None:
        if handler not in self._signatures:
            try:
                self._signatures[handler] = inspect.signature(handler)
            except (TypeError, ValueError):
                self._signatures[handler] = None
        signature = self._signatures[handler]
        if signature is None:
            return
        try:
            signature.bind(req, resp, *params)
        except TypeError as exc:
            raise Fault(400, f"Wrong params for {method}: {exc}.") from None

    def _introspect(
        self, req: pegboard.Request, root: str, method: str, params: tuple[Any, ...]
    ) -> Any:
        if method == "system.listMethods":
            if params:
                raise Fault(400, "system.listMethods takes no params.")
            return self.methods(req, root)
        if len(params) != 1 or not isinstance(params[0], str):
            raise Fault(400, f"{method} takes one param, a method name.")
        name = params[0]
        if name in INTROSPECTION:
            return _INTROSPECTION_HELP[name] if method == "system.methodHelp" else _NO_SIGNATURES
        route = self._route_of(req, root, name)
        handler = route.handler_for("POST") if route is not None else None
        if handler is None or name.startswith("system.") or self._refusal(req, route, root):
            raise Fault(404, f"No method {name[:_MAX_NAME]!r}.")
        if method == "system.methodHelp":
            return inspect.getdoc(handler) or ""
        return _NO_SIGNATURES


#: What system.methodSignature answers: the convention for "not supported".
_NO_SIGNATURES = "signatures not supported"
_INTROSPECTION_HELP = {
    "system.listMethods": "The names of the methods this endpoint serves.",
    "system.methodHelp": "The documentation of a method (its handler's docstring).",
    "system.methodSignature": "Not supported: answers 'signatures not supported'.",
}
