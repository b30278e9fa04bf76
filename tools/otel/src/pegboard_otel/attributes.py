"""The HTTP server span's name and attributes, as the OpenTelemetry semantic conventions say.

Stable HTTP conventions (semconv 1.26 and later): ``http.request.method``
(``_OTHER`` for a method outside RFC 9110 and PATCH, the original in
``http.request.method_original``), ``url.path``, ``url.query``,
``url.scheme``, ``http.route``, ``server.address``/``server.port``,
``client.address``, ``network.peer.address``/``network.peer.port``,
``network.protocol.version``, ``user_agent.original``; at the end
``http.response.status_code`` and, for a 5xx, ``error.type``.
"""

from __future__ import annotations

from typing import Any

import pegboard

__all__ = [
    "KNOWN_METHODS",
    "NO_ROUTE",
    "error_type",
    "request_attributes",
    "route_of",
    "span_name",
    "split_host",
]

#: The methods the conventions know; any other is recorded as ``_OTHER``.
KNOWN_METHODS = frozenset(
    ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")
)
#: ``route_of`` for a request no route matched (a 404, a static file of a section).
NO_ROUTE = ""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_BUILTIN_MODULES = ("builtins", "__main__")


def route_of(req: pegboard.Request) -> str:
    """The matched route template with the application root (``SCRIPT_NAME``), or NO_ROUTE."""
    route = req.route
    if route is None:
        return NO_ROUTE
    template: str = route.template
    root = req.script_name
    return root + template if root else template


def span_name(method: str, route: str) -> str:
    """``{method} {route}``; the method alone without a route (never the raw path)."""
    shown = method if method in KNOWN_METHODS else "HTTP"
    return f"{shown} {route}" if route else shown


def split_host(host: str, scheme: str) -> tuple[str, int | None]:
    """``server.address`` and ``server.port`` from a Host value (``[::1]:8080``, ``a.org``)."""
    name, port_text = host, ""
    if host.startswith("["):
        end = host.find("]")
        if end != -1:
            name, rest = host[1:end], host[end + 1 :]
            port_text = rest[1:] if rest.startswith(":") else ""
    elif host.count(":") == 1:
        name, _, port_text = host.partition(":")
    if port_text.isdigit():
        return name, int(port_text)
    return name, _DEFAULT_PORTS.get(scheme)


def _protocol_version(protocol: str) -> str | None:
    """``1.1`` for ``HTTP/1.1``; ``2`` for ``HTTP/2.0``; None when unknown."""
    name, sep, version = protocol.partition("/")
    if not sep or name.upper() != "HTTP" or not version:
        return None
    return version.removesuffix(".0") if version in ("2.0", "3.0") else version


def _redacted_query(query: str, redact: frozenset[str]) -> str:
    if not redact:
        return query
    parts = []
    for part in query.split("&"):
        key, sep, _ = part.partition("=")
        parts.append(f"{key}=REDACTED" if sep and key in redact else part)
    return "&".join(parts)


def request_attributes(
    req: pegboard.Request,
    route: str,
    redact: frozenset[str],
    request_headers: tuple[tuple[str, str], ...],
) -> dict[str, Any]:
    """The attributes known when the span starts (the sampler sees them)."""
    environ = req.environ
    method = req.method
    scheme = req.scheme
    address, port = split_host(req.host, scheme)
    attributes: dict[str, Any] = {
        "http.request.method": method if method in KNOWN_METHODS else "_OTHER",
        "url.path": req.script_name + req.path,
        "url.scheme": scheme,
        "server.address": address,
        "client.address": req.remote.ip,
    }
    if method not in KNOWN_METHODS:
        attributes["http.request.method_original"] = method
    if port is not None:
        attributes["server.port"] = port
    if route:
        attributes["http.route"] = route
    query = req.query_string
    if query:
        attributes["url.query"] = _redacted_query(query, redact)
    peer = environ.get("REMOTE_ADDR")
    if peer:
        attributes["network.peer.address"] = peer
        peer_port = environ.get("REMOTE_PORT")
        if peer_port and str(peer_port).isdigit():
            attributes["network.peer.port"] = int(peer_port)
    version = _protocol_version(environ.get("SERVER_PROTOCOL", ""))
    if version is not None:
        attributes["network.protocol.version"] = version
    agent = environ.get("HTTP_USER_AGENT")
    if agent:
        attributes["user_agent.original"] = agent
    for key, attribute in request_headers:
        value = environ.get(key)
        if value is not None:
            attributes[attribute] = (value,)
    return attributes


def error_type(exc: BaseException) -> str:
    """An exception's fully qualified class name (``ValueError``, ``myapp.db.Timeout``)."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in _BUILTIN_MODULES else f"{module}.{cls.__qualname__}"
