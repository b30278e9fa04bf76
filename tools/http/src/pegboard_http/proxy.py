"""The ``proxy`` tool: the client's address and the public URL, as told by trusted proxies.

A forwarding header is only believed when the operator names it (a proxy
that does not overwrite or append to a header passes the client's own
through untouched) and when the connection comes from a ``trusted``
network. The client address is read from the right of the forwarding
header, through at most ``hops`` trusted proxies and no further: what lies
left of that was written by the client and is never used, nor even parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

import pegboard
import pegboard.httputil as httputil
from pegboard.httputil import HeaderError

from ._config import Networks, parse_networks
from .forwarding import (
    parse_forwarded_element,
    parse_host,
    parse_node,
    parse_proto,
    rightmost,
    rightmost_elements,
)

__all__ = ["DEFAULT_TRUSTED", "MAX_HOPS", "ProxyInfo", "ProxyOptions", "ProxyTool", "proxy_info_of"]

#: The loopback networks trusted when ``trusted`` is not configured.
DEFAULT_TRUSTED = ("127.0.0.0/8", "::1/128")
#: The longest chain of proxies ``hops`` may describe.
MAX_HOPS = 20
#: environ key holding the outcome, so an internal redirect reuses it.
_DONE_KEY = "pegboard_http.proxy"


class ProxyInfo(NamedTuple):
    """What the proxy tool found for one request (``proxy_info_of(req)``)."""

    #: the connection's peer, as the WSGI server saw it
    peer: pegboard.Remote
    #: the client: ``req.remote`` after the tool (the peer when no header was believed)
    remote: pegboard.Remote
    #: the host a trusted header named (checked against ``request.allowed_hosts``), else None
    host: str | None
    #: the scheme a trusted header named, else None
    scheme: str | None
    #: whether the peer is in ``trusted`` (only then is any header read)
    trusted: bool


def proxy_info_of(req: pegboard.Request) -> ProxyInfo | None:
    """What the proxy tool found for ``req``, or None when the tool is not on.

    It is kept in the WSGI environ (``pegboard_http.proxy``) rather than in
    ``req.state``, because an internal redirect must reuse it: the new request
    gets a copy of the environ, not the state.
    """
    info: ProxyInfo | None = req.environ.get(_DONE_KEY)
    return info


class ProxyOptions(pegboard.ToolOptions):
    """Options of the ``proxy`` tool: which headers your proxy writes, and who it is."""

    base: str | None = pegboard.option(
        default=None,
        doc="the public origin, like https://example.com (a path becomes the SCRIPT_NAME prefix); "
        "used when no trusted header names the host",
    )
    local: str = pegboard.option(
        default="",
        doc="the header your proxy writes the public host in (X-Forwarded-Host); empty: not read",
    )
    remote: str = pegboard.option(
        default="",
        doc="the header your proxy appends the client address to (X-Forwarded-For); "
        "empty: not read",
    )
    scheme: str = pegboard.option(
        default="",
        doc="the header your proxy writes the public scheme in (X-Forwarded-Proto, or "
        "X-Forwarded-Ssl with on/off); empty: not read",
    )
    trusted: list[str] | None = pegboard.option(
        default=None,
        doc="networks of your proxies, every hop of the chain; unset: loopback only, "
        "[]: none (no header is believed)",
    )
    forwarded: bool = pegboard.option(
        default=False,
        doc="read RFC 7239 Forwarded (client, host and scheme) instead of X-Forwarded-*: "
        "only if your proxy writes it, for nginx and Caddy pass a client's own through",
    )
    hops: int = pegboard.option(
        default=1,
        doc="how many trusted proxies in a row append to the forwarding header; it is read "
        "from the right that far and no further",
        unit="proxies",
    )

    def __post_init__(self) -> None:
        parse_networks(self.networks(), "trusted")
        if self.base:
            _split_base(self.base)
        if not 1 <= self.hops <= MAX_HOPS:
            raise pegboard.OptionError(
                "hops", f"must be the number of proxies in front of the app, 1 to {MAX_HOPS}"
            )
        named = {"local": self.local, "remote": self.remote, "scheme": self.scheme}
        for key, header in named.items():
            if header and not httputil.is_token(header):
                raise pegboard.OptionError(key, f"{header!r} is not a header name")
        if self.forwarded and any(named.values()):
            which = ", ".join(f"{k} = {v!r}" for k, v in named.items() if v)
            raise pegboard.OptionError(
                "forwarded",
                f"read either Forwarded or X-Forwarded-* headers, not both ({which}): "
                "keep the one your proxy writes",
            )
        if not self.forwarded and not any(named.values()) and not self.base:
            raise pegboard.OptionError(
                "on",
                "the proxy tool reads no header: name the ones your proxy writes "
                "(remote = 'X-Forwarded-For', scheme = 'X-Forwarded-Proto'; see "
                "docs/tools/http.md) or set base",
            )

    def networks(self) -> list[str]:
        """The trusted networks as configured, or the loopback default."""
        return list(DEFAULT_TRUSTED) if self.trusted is None else self.trusted


def _split_base(base: str) -> tuple[str | None, str, str]:
    """(scheme or None, host, path) of ``base``; OptionError for anything but an origin."""
    try:
        parts = urlsplit(base if "://" in base else "//" + base)
        port = parts.port  # ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        port, parts = -1, None
    if (
        parts is None
        or port == -1
        or parts.scheme not in ("", "http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise pegboard.OptionError(
            "base", f"{base!r} is not an origin like 'https://example.com' (optionally with a path)"
        )
    # CherryPy allows a bare host; the scheme then comes from the request.
    return parts.scheme or None, parts.netloc, parts.path.rstrip("/")


@dataclass(frozen=True, slots=True)
class _Settings:
    """ProxyOptions prepared for the request path (networks parsed, base split).

    ``host_allowed`` is the app's ``request.allowed_hosts`` check, when the core has one.
    """

    base_scheme: str | None
    base_host: str | None
    base_path: str
    local: str
    remote: str
    scheme: str
    forwarded: bool
    hops: int
    trusted: Networks
    host_allowed: Callable[[str], bool] | None


class ProxyTool(pegboard.Tool[ProxyOptions]):
    """Behind a reverse proxy: set ``req.remote`` and ``req.base`` from its headers.

    Only the headers named in ``remote``, ``scheme`` and ``local`` (or
    ``Forwarded`` with ``forwarded = true``) are read, and only from a peer in
    ``trusted`` (default: loopback). ``base`` fixes the public origin instead
    (optionally with a path, which becomes the SCRIPT_NAME prefix).
    """

    hooks = (
        pegboard.HookDoc(
            "on_start_resource",
            5,
            "sets req.remote and req.base from the headers the trusted proxy writes",
        ),
    )

    def __init__(self) -> None:
        super().__init__("proxy", point="on_start_resource", priority=5)

    def attach(self, plan: pegboard.PlanBuilder, options: ProxyOptions) -> None:
        base_scheme = base_host = None
        base_path = ""
        if options.base:
            base_scheme, base_host, base_path = _split_base(options.base)
        settings = _Settings(
            base_scheme,
            base_host,
            base_path,
            options.local,
            options.remote,
            options.scheme,
            options.forwarded,
            options.hops,
            parse_networks(options.networks(), "trusted"),
            # The core checks Host against request.allowed_hosts before routing;
            # a host read from a forwarding header gets the same check here.
            getattr(plan.app, "host_allowed", None),
        )
        plan.add("on_start_resource", _proxy, self.priority, args=(settings,))


def _proxy(req: pegboard.Request, resp: pegboard.Response, settings: _Settings) -> None:
    environ = req.environ
    done: ProxyInfo | None = environ.get(_DONE_KEY)
    if done is not None:  # an internal redirect: the environ already carries the result
        req.remote = done.remote
        return
    peer = req.remote
    trusted = peer.ip in settings.trusted
    client = host = proto = None
    if trusted:  # from anyone else, no header is believed, whatever it says
        try:
            if settings.forwarded:
                client, host, proto = _from_forwarded(req, settings)
            else:
                client, host, proto = _from_x_forwarded(req, settings)
        except HeaderError as exc:
            raise pegboard.HTTPError(400, f"{exc}.") from None
    if client is not None:
        req.remote = client
    allowed = settings.host_allowed
    if host is not None and allowed is not None and not allowed(host):
        raise pegboard.HTTPError(400, "The forwarded host names a host this site does not serve.")
    scheme = proto or settings.base_scheme or req.scheme
    public_host = host or settings.base_host
    if public_host is not None or scheme != req.scheme:
        req.base = f"{scheme}://{public_host or req.host}"
    if settings.base_path:
        environ["SCRIPT_NAME"] = settings.base_path + environ.get("SCRIPT_NAME", "")
    # PERF: tuple.__new__ is what the NamedTuple's own __new__ calls, without its frame.
    environ[_DONE_KEY] = _new_info(ProxyInfo, (peer, req.remote, host, proto, trusted))


_new_info = tuple.__new__


Found = tuple[pegboard.Remote | None, str | None, str | None]


def _from_x_forwarded(req: pegboard.Request, s: _Settings) -> Found:
    """Client, host and scheme from the X-Forwarded-* headers named in the options."""
    headers = req.headers
    client: pegboard.Remote | None = None
    depth = s.hops  # how far from the right the outermost believed proxy wrote
    if s.remote:
        depth = 1
        value = headers.get(s.remote)
        if value:
            client, depth = _walk(rightmost(value, s.hops), s)
    host = proto = None
    if s.local:
        picked = _at_depth(headers.get(s.local), depth)
        if picked is not None:
            proto, host = parse_host(picked, s.local)
    if s.scheme:
        picked = _at_depth(headers.get(s.scheme), depth)
        if picked is not None:
            proto = parse_proto(picked, s.scheme)
    return client, host, proto


def _walk(members: list[str], s: _Settings) -> tuple[pegboard.Remote | None, int]:
    """The client among the last ``hops`` entries of X-Forwarded-For, and its depth.

    From the right: an entry that is a trusted proxy's address, before the
    ``hops``-th, was written by the proxy after it about its peer, so the
    next one to the left is read; the first other entry is the client. The
    ``hops``-th entry is the client whatever it is, and nothing further left
    is read.
    """
    client: pegboard.Remote | None = None
    depth = 1
    count = len(members)
    for k in range(1, count + 1):
        ip, port = parse_node(members[count - k], s.remote)
        client, depth = pegboard.Remote(ip, port), k
        if k < s.hops and ip in s.trusted:
            continue
        break
    return client, depth


def _at_depth(value: str | None, depth: int) -> str | None:
    """The value the proxy ``depth`` hops away wrote: ``depth``-th from the right.

    A header holding fewer values was overwritten on the way (one value for
    the whole chain): its rightmost value, which a trusted proxy wrote, counts.
    """
    if not value:
        return None
    members = rightmost(value, depth)
    if not members:
        return None
    return members[0] if len(members) == depth else members[-1]


def _from_forwarded(req: pegboard.Request, s: _Settings) -> Found:
    """Client, host and scheme from the Forwarded element the outermost trusted proxy wrote."""
    value = req.headers.get("Forwarded")
    if not value:
        return None, None, None
    elements = rightmost_elements(value, s.hops)
    count = len(elements)
    client: pegboard.Remote | None = None
    host = proto = None
    for k in range(1, count + 1):
        element = parse_forwarded_element(elements[count - k])
        client = None
        if element.for_ is not None:
            client = pegboard.Remote(*parse_node(element.for_, "Forwarded"))
        host, proto = element.host, element.proto
        if k < s.hops and client is not None and client.ip in s.trusted:
            continue
        break
    return (
        client,
        parse_host(host, "Forwarded")[1] if host else None,
        parse_proto(proto, "Forwarded") if proto else None,
    )
