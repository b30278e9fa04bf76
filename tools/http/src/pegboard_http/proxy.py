"""The ``proxy`` tool: the client's address and the public URL, as told by trusted proxies.

Forwarding headers are only believed when the connection comes from a
``trusted`` network. ``X-Forwarded-For`` (and RFC 7239 ``Forwarded``) are
read from the right, skipping trusted hops: the first address that is not
a trusted proxy is the client. Entries to its left were written by the
client and are never used.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pegboard
from pegboard.request import Remote

from ._config import Networks, parse_ip, parse_networks, with_defaults
from .qvalues import MalformedHeader, split_header

__all__ = ["ProxyTool", "parse_forwarded"]

#: The loopback networks trusted when ``trusted`` is not configured.
DEFAULT_TRUSTED = ("127.0.0.0/8", "::1/128")
#: environ key holding the outcome, so an internal redirect reuses it.
_DONE_KEY = "pegboard_http.proxy"

_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::[0-9]{1,5})?$")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_OBFUSCATED = re.compile(r"^_[A-Za-z0-9._-]+$")


@dataclass(frozen=True, slots=True)
class _Hop:
    """One element of a Forwarded header."""

    for_: str | None
    host: str | None
    proto: str | None


@functools.lru_cache(maxsize=4096)  # PERF: proxies repeat the same few nodes
def _node(text: str, header: str) -> tuple[str, int | None]:
    """``ip``, ``ip:port``, ``[v6]:port``, ``unknown`` or ``_hidden`` as (ip, port)."""
    text = text.strip()
    if text.lower() == "unknown" or _OBFUSCATED.match(text):
        return text, None
    port_text = ""
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise MalformedHeader(f"{header} has a malformed address {text!r}")
        port_text = rest[1:]
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
    else:
        address = text
    ip = parse_ip(address)
    if ip is None:
        raise MalformedHeader(f"{header} has {text!r}, which is not an IP address")
    port = None
    if port_text and not _OBFUSCATED.match(port_text):
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise MalformedHeader(f"{header} has a malformed port in {text!r}")
        port = int(port_text)
    return str(ip), port


def parse_forwarded(value: str) -> list[_Hop]:
    """The elements of an RFC 7239 ``Forwarded`` header, nearest proxy last."""
    hops = []
    try:
        elements = [split_header(element, ";") for element in split_header(value, ",")]
    except MalformedHeader as exc:
        raise MalformedHeader(f"Forwarded has {exc}") from None
    for element in elements:
        pairs: dict[str, str] = {}
        for pair in element:
            name, eq, raw = pair.partition("=")
            name, raw = name.strip().lower(), raw.strip()
            if not eq or not _TOKEN.match(name) or not raw:
                raise MalformedHeader(f"Forwarded has a malformed pair {pair!r}")
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            elif not _TOKEN.match(raw):
                raise MalformedHeader(f"Forwarded has a value that needs quoting: {raw!r}")
            if name in pairs:
                raise MalformedHeader(f"Forwarded repeats {name!r} in one element")
            pairs[name] = raw
        hops.append(_Hop(pairs.get("for"), pairs.get("host"), pairs.get("proto")))
    return hops


def _proto(value: str, header: str) -> str:
    proto = value.strip().lower()
    if proto == "on" and "ssl" in header.lower():
        return "https"  # X-Forwarded-Ssl: on
    if proto not in ("http", "https"):
        raise MalformedHeader(f"{header} must be http or https, not {value.strip()!r}")
    return proto


def _host(value: str, header: str) -> tuple[str | None, str]:
    """A forwarded host, possibly with a scheme (``Origin``), checked."""
    value = value.strip()
    scheme = None
    if "://" in value:
        scheme, _, value = value.partition("://")
        scheme = _proto(scheme, header)
    if not _HOST.match(value):
        raise MalformedHeader(f"{header} has a malformed host {value!r}")
    return scheme, value


def _pick(values: str | None, hops: int) -> str | None:
    """The value written by the outermost trusted proxy: ``hops`` from the right."""
    if not values:
        return None
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not items:
        return None
    return items[-hops] if len(items) >= hops else items[0]


class ProxyTool(pegboard.Tool):
    """Behind a reverse proxy: set ``req.remote`` and ``req.base`` from its headers.

    Only a peer in ``trusted`` (default: loopback) is believed. ``base``
    fixes the public origin (``https://example.com``, optionally with a
    path, which becomes the SCRIPT_NAME prefix); ``local``, ``remote`` and
    ``scheme`` name the headers for host, client address and scheme (empty
    to ignore one); ``forwarded`` reads RFC 7239 ``Forwarded`` first.
    """

    points = ("on_start_resource",)

    def __init__(self) -> None:
        super().__init__("proxy", point="on_start_resource", priority=5)

    def check(self, options: dict[str, Any], section: str) -> None:
        values = with_defaults(self, options)
        trusted = values["trusted"]
        parse_networks(
            DEFAULT_TRUSTED if trusted is None else trusted, section, "tools.proxy.trusted"
        )
        base = values["base"]
        if base:
            parts = urlsplit(base if "://" in base else "http://" + base)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.query
                or parts.fragment
            ):
                raise pegboard.ConfigError(
                    f"{base!r} is not an origin like 'https://example.com' "
                    "(optionally with a path)",
                    section=section,
                    key="tools.proxy.base",
                )

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: pegboard.PlanBuilder,
        base: str | None = None,
        local: str = "X-Forwarded-Host",
        remote: str = "X-Forwarded-For",
        scheme: str = "X-Forwarded-Proto",
        trusted: list[str] | None = None,
        forwarded: bool = True,
    ) -> None:
        base_scheme = base_host = None
        base_path = ""
        if base:
            # CherryPy allows a bare host; the scheme then comes from the request.
            parts = urlsplit(base if "://" in base else "//" + base)
            base_scheme, base_host = parts.scheme or None, parts.netloc
            base_path = parts.path.rstrip("/")
        plan.add(
            "on_start_resource",
            _proxy,
            self.priority,
            settings=_Settings(
                base_scheme,
                base_host,
                base_path,
                local,
                remote,
                scheme,
                parse_networks(DEFAULT_TRUSTED if trusted is None else trusted, "", ""),
                forwarded,
            ),
        )


@dataclass(frozen=True, slots=True)
class _Settings:
    base_scheme: str | None
    base_host: str | None
    base_path: str
    local: str
    remote: str
    scheme: str
    trusted: Networks
    forwarded: bool


def _proxy(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    environ = req.environ
    done = environ.get(_DONE_KEY)
    if done is not None:  # an internal redirect: the environ already carries the result
        req.remote = Remote(*done)
        return
    try:
        client, host, proto = _resolve(req, settings)
    except MalformedHeader as exc:
        raise pegboard.HTTPError(400, f"{exc}.") from None
    if client is not None:
        req.remote = client
    scheme = proto or settings.base_scheme or req.scheme
    host = host or settings.base_host
    if host is not None or scheme != req.scheme:
        req.base = f"{scheme}://{host or req.host}"
    if settings.base_path:
        environ["SCRIPT_NAME"] = settings.base_path + environ.get("SCRIPT_NAME", "")
    environ[_DONE_KEY] = tuple(req.remote)


def _resolve(req: pegboard.Request, s: _Settings) -> tuple[Remote | None, str | None, str | None]:
    """The client, host and scheme the trusted proxies report (None where they say nothing)."""
    if req.remote.ip not in s.trusted:
        return None, None, None  # the peer is not a proxy we trust: believe no header
    headers = req.headers
    if s.forwarded:
        value = headers.get("Forwarded")
        if value:
            return _from_forwarded(value, s)
    client: Remote | None = None
    hops = 1
    if s.remote:
        value = headers.get(s.remote)
        if value:
            entries = [e for e in (x.strip() for x in value.split(",")) if e]
            for index in range(len(entries) - 1, -1, -1):
                ip, port = _node(entries[index], s.remote)
                if index > 0 and ip in s.trusted:
                    hops += 1
                    continue
                client = Remote(ip, port)
                break
    host = proto = None
    if s.local:
        picked = _pick(headers.get(s.local), hops)
        if picked is not None:
            proto, host = _host(picked, s.local)
    if s.scheme:
        picked = _pick(headers.get(s.scheme), hops)
        if picked is not None:
            proto = _proto(picked, s.scheme)
    return client, host, proto


def _from_forwarded(value: str, s: _Settings) -> tuple[Remote | None, str | None, str | None]:
    hops = parse_forwarded(value)
    for index in range(len(hops) - 1, -1, -1):
        hop = hops[index]
        if hop.for_ is None:
            continue
        ip, port = _node(hop.for_, "Forwarded")
        if index > 0 and ip in s.trusted:
            continue
        host = _host(hop.host, "Forwarded")[1] if hop.host else None
        proto = _proto(hop.proto, "Forwarded") if hop.proto else None
        return Remote(ip, port), host, proto
    return None, None, None
