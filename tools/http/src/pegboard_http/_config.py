"""Start-up helpers shared by the tools: networks and log levels."""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Iterable

import pegboard

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Networks:
    """IP networks to test addresses against: ``"10.1.2.3" in networks``.

    PERF: the same few peer and proxy addresses come back on every request,
    so answers are cached per instance; the cache is bounded, so varied
    input only evicts entries.
    """

    __slots__ = ("_lookup", "networks")

    def __init__(self, networks: tuple[Network, ...]) -> None:
        self.networks = networks
        self._lookup = functools.lru_cache(maxsize=4096)(self._contains)

    def _contains(self, text: str) -> bool:
        address = parse_ip(text)
        if address is None:
            return False
        return any(address in net for net in self.networks if net.version == address.version)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self._lookup(text)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __repr__(self) -> str:
        return f"Networks({[str(n) for n in self.networks]})"


def parse_networks(values: Iterable[str], key: str) -> Networks:
    """``["10.0.0.0/8", "::1"]`` as Networks; a bad entry is an OptionError naming ``key``."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise pegboard.OptionError(
                key, f"{value!r} is not an IP address or network (like '10.0.0.0/8' or '::1')"
            ) from None
    return Networks(tuple(networks))


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from its text, IPv4-mapped IPv6 folded to IPv4; None if not an address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def log_level(value: int | str, key: str = "severity") -> int:
    """A logging level from ``20`` or ``"INFO"``; anything else is an OptionError."""
    if isinstance(value, int):
        return value
    level = logging.getLevelName(value.upper())
    if not isinstance(level, int):
        raise pegboard.OptionError(
            key, f"{value!r} is not a logging level (DEBUG, INFO, WARNING, ERROR, CRITICAL)"
        )
    return level
