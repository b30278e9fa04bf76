"""Limits grouped by the key that counts them, with their RateLimit header items made once.

The header fields follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026):
``RateLimit-Policy`` lists each limit as a quota policy (``"name";q=COUNT;w=SECONDS``)
and ``RateLimit`` the service limit of each (``"name";r=REMAINING;t=SECONDS``),
both Structured Field lists (RFC 9651) of strings with parameters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from .gcra import Rates
from .keys import KeyReader, key_reader
from .limits import KeyFunction, Limit, key_label

__all__ = ["Group", "group_limits", "sf_string"]

_MICROS = 1_000_000


def sf_string(text: str) -> str:
    """``text`` as a Structured Field string (RFC 9651 §3.3.3): quoted, ``"`` and ``\\`` escaped."""
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"{text!r} cannot be a structured field string (printable ASCII only)")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Group:
    """The limits counted under one key, and what the request path needs of them."""

    key: str | KeyFunction
    limits: tuple[Limit, ...]
    #: the value requests are counted under (None: this request is not counted)
    read: KeyReader
    #: the store key is ``prefix + value``
    prefix: str
    rates: Rates
    #: the policy names, as shown in the headers
    names: tuple[str, ...]
    #: ``"name"`` of each limit, quoted (PERF: made once)
    quoted: tuple[str, ...]
    #: the RateLimit-Policy item of each limit
    policy_items: tuple[str, ...]
    #: the RateLimit-Policy field of these limits alone
    policy_field: str
    #: the RateLimit field with ``%d`` for each limit's remaining and seconds (PERF: made once)
    service_format: str

    def service_field(self, results: Sequence[tuple[int, int]]) -> str:
        """The RateLimit field of these limits, from each one's (remaining, wait in µs)."""
        values: list[int] = []
        for remaining, wait in results:
            values.append(remaining)
            values.append(-(-wait // _MICROS))  # whole seconds, rounded up
        return self.service_format % tuple(values)


def _function_id(key: str | KeyFunction) -> str:
    if isinstance(key, str):
        return key
    module = getattr(key, "__module__", "") or ""
    name = getattr(key, "__qualname__", "") or key_label(key)
    return f"{module}:{name}"


def group_limits(
    limits: Sequence[Limit], *, scope: str, key_prefix: str, ipv6_prefix: int
) -> tuple[Group, ...]:
    """The limits grouped by key, in the order their keys first appear."""
    keys: list[str | KeyFunction] = []
    for limit in limits:
        if limit.key not in keys:
            keys.append(limit.key)
    groups = []
    for key in keys:
        mine = tuple(limit for limit in limits if limit.key == key)
        # Counters are shared by every path whose scope, key and limits are the same;
        # changing the limits starts new counters (an old key expires on its own).
        identity = "|".join([scope, _function_id(key), *(f"{x.count}/{x.seconds}" for x in mine)])
        digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
        names = tuple(f"{scope} {limit.text}" if scope else limit.text for limit in mine)
        quoted = tuple(sf_string(name) for name in names)
        policy_items = tuple(
            f"{q};q={limit.count};w={limit.seconds}" for q, limit in zip(quoted, mine, strict=True)
        )
        groups.append(
            Group(
                key=key,
                limits=mine,
                read=key_reader(key, ipv6_prefix),
                prefix=f"{key_prefix}{digest}:",
                rates=tuple((limit.interval, limit.capacity) for limit in mine),
                names=names,
                quoted=quoted,
                policy_items=policy_items,
                policy_field=", ".join(policy_items),
                service_format=", ".join(q.replace("%", "%%") + ";r=%d;t=%d" for q in quoted),
            )
        )
    return tuple(groups)
