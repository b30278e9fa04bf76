"""What requests are counted by: the client's address, the user, the route, or a function."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from collections.abc import Callable

import pegboard

from .limits import KeyFunction

__all__ = ["MAX_KEY_LENGTH", "key_reader"]

#: A longer key (a user name, a function's result) is stored as its SHA-256, so a
#: client cannot make the store hold large keys.
MAX_KEY_LENGTH = 100

KeyReader = Callable[[pegboard.Request], "str | None"]


@functools.lru_cache(maxsize=4096)
def _ipv6_network(address: str, prefix: int) -> str:
    """The /``prefix`` network of an IPv6 address, as ``2001:db8::/64``."""
    try:
        network = ipaddress.IPv6Network(f"{address}/{prefix}", strict=False)
    except ValueError:
        return address  # not an address after all (a unix socket peer): count it as it is
    return str(network)


def _bounded(value: str) -> str:
    if len(value) <= MAX_KEY_LENGTH:
        return value
    return "#" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def client_address(req: pegboard.Request, ipv6_prefix: int) -> str:
    """``req.remote.ip``, an IPv6 address widened to its /``ipv6_prefix`` network."""
    ip = req.remote.ip
    if ":" in ip and ipv6_prefix < 128:
        return _ipv6_network(ip, ipv6_prefix)
    return ip


def key_reader(key: str | KeyFunction, ipv6_prefix: int) -> KeyReader:
    """A function of the request giving the value requests are counted under (None: not counted).

    ``ip`` is the client's address as the proxy tool resolved it
    (``req.remote.ip``); ``user`` is ``req.login``, and the address (in a
    separate namespace) for a request without one; ``route`` is the route's
    template (one count for every client), and ``-`` for a path no route
    answers.
    """
    if key == "ip":
        if ipv6_prefix >= 128:
            return _remote_ip

        def ip(req: pegboard.Request) -> str:
            # PERF: a closure, not functools.partial(client_address): one call less.
            address = req.remote.ip
            if ":" in address:
                return _ipv6_network(address, ipv6_prefix)
            return address

        return ip
    if key == "user":
        return functools.partial(_user, ipv6_prefix=ipv6_prefix)
    if key == "route":
        return _route
    if isinstance(key, str):
        raise ValueError(f"unknown key {key!r}")
    return functools.partial(_custom, key)


def _remote_ip(req: pegboard.Request) -> str:
    return req.remote.ip


def _user(req: pegboard.Request, ipv6_prefix: int) -> str:
    login = req.login
    if login is None:
        return "a:" + client_address(req, ipv6_prefix)
    return "u:" + _bounded(login)


def _route(req: pegboard.Request) -> str:
    route = req.route
    if route is None:
        return "-"
    template: str = route.template
    return template


def _custom(function: KeyFunction, req: pegboard.Request) -> str | None:
    value = function(req)
    if value is None:
        return None
    return _bounded(value if isinstance(value, str) else str(value))
