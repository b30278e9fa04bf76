"""The ``auth_digest`` tool: its options, start-up checks, and the hooks it attaches."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from typing import Any, Literal, NoReturn

import pegboard

from .algorithms import ALGORITHMS, Algorithm, find_algorithm
from .authenticator import DigestAuthenticator
from .nc_store import MemoryCounts, NonceCounts, RedisCounts
from .nonces import NonceSigner
from .sources import (
    CallableSource,
    HA1Source,
    HtdigestError,
    HtdigestFile,
    PasswordTable,
    takes_algorithm,
)

__all__ = ["CHALLENGE_PRIORITY", "MIN_KEY_LENGTH", "PRIORITY", "DigestAuthTool"]

#: before_handler: ahead of every other tool there (sessions, caching, json_in...).
PRIORITY = 1
#: before_finalize: Digest challenges come before auth_basic's (2).
CHALLENGE_PRIORITY = 1
#: The shortest nonce key accepted (characters).
MIN_KEY_LENGTH = 16

_REALM_OK = re.compile(r"[\x20-\x7e]*").fullmatch
_SOURCES = ("get_ha1", "users", "htdigest")
_QOPS = ("auth", "auth-int")
_DEFAULT_ALGORITHMS = ("SHA-256", "MD5")


def _names(value: tuple[str, ...] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def resolve_algorithms(names: tuple[str, ...] | str) -> list[Algorithm]:
    """The algorithms named, strongest first, without repeats; ValueError for an unknown one."""
    found: list[Algorithm] = []
    for name in _names(names):
        algorithm = find_algorithm(name)
        if algorithm is None:
            close = difflib.get_close_matches(name, [a.name for a in ALGORITHMS.values()], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(a.name for a in ALGORITHMS.values())
            raise ValueError(f"unknown algorithm {name!r}{hint} (known: {known})")
        if algorithm not in found:
            found.append(algorithm)
    return sorted(found, key=lambda a: -a.strength)


class DigestAuthTool(pegboard.Tool):
    """HTTP Digest authentication (RFC 7616): sets ``req.login`` or answers 401.

    Exactly one credential source: ``get_ha1`` (a callable), ``users`` (a
    dict of passwords) or ``htdigest`` (an Apache file).
    """

    points = ("before_handler", "before_finalize")

    def __init__(self) -> None:
        super().__init__("auth_digest", point="before_handler", priority=PRIORITY)
        # Shared by every route of the app: files by (path, realm), stores by settings.
        self._files: dict[tuple[str, str], HtdigestFile] = {}
        self._memory: dict[int, MemoryCounts] = {}
        self._redis: dict[tuple[str, str, float], RedisCounts] = {}

    # -- shared resources -----------------------------------------------------

    def _htdigest(self, path: str, realm: str) -> HtdigestFile:
        key = (os.path.abspath(path), realm)
        found = self._files.get(key)
        if found is None:
            found = HtdigestFile(key[0], realm)
            found.load()
            self._files[key] = found
        return found

    def _counts(
        self, nc_store: str, max_nonces: int, redis_url: str | None, prefix: str, timeout: float
    ) -> NonceCounts:
        if nc_store == "redis":
            assert redis_url is not None
            key = (redis_url, prefix, timeout)
            if key not in self._redis:
                self._redis[key] = RedisCounts(redis_url, prefix, timeout)
            return self._redis[key]
        if max_nonces not in self._memory:
            self._memory[max_nonces] = MemoryCounts(max_nonces)
        return self._memory[max_nonces]

    def close(self) -> None:
        """Close Redis connections (at app stop)."""
        for store in self._redis.values():
            store.close()
        self._redis.clear()
        self._memory.clear()

    # -- start-up checks --------------------------------------------------------

    def check(self, options: dict[str, Any], section: str) -> None:
        def fail(message: str, option: str) -> NoReturn:
            raise pegboard.ConfigError(message, section=section, key=f"tools.{self.name}.{option}")

        realm = options["realm"]
        if not _REALM_OK(realm) or '"' in realm or "\\" in realm:
            fail(
                "a realm is printable ASCII without '\"' or '\\' "
                f"(it is sent inside a quoted-string), not {realm!r}",
                "realm",
            )
        if len(options["key"]) < MIN_KEY_LENGTH:
            fail(
                f"the nonce key needs at least {MIN_KEY_LENGTH} characters of secret; make one "
                "with python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                "key",
            )
        given = [source for source in _SOURCES if options.get(source) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            fail(
                f"give exactly one of get_ha1, users or htdigest (found: {found})",
                given[1] if len(given) > 1 else "users",
            )
        try:
            algorithms = resolve_algorithms(options.get("algorithms", _DEFAULT_ALGORITHMS))
        except ValueError as exc:
            fail(str(exc), "algorithms")
        if not algorithms:
            fail("algorithms lists at least one algorithm", "algorithms")
        qops = [q.lower() for q in _names(options.get("qop", ("auth",)))]
        if not qops or any(q not in _QOPS for q in qops):
            fail(f"qop lists 'auth' and/or 'auth-int', not {list(_names(options['qop']))!r}", "qop")
        for option, minimum in (("nonce_lifetime", 1), ("max_nonces", 1)):
            if options.get(option, minimum) < minimum:
                fail(f"{option} is at least {minimum}", option)
        if options.get("redis_timeout", 1.0) <= 0:
            fail("redis_timeout is a number of seconds > 0", "redis_timeout")

        supported = self._hash_names(options, section)
        if "algorithms" in options:
            unsupported = [a.name for a in algorithms if a.hash_name not in supported]
            if unsupported:
                fail(
                    f"{given[0]} can only give MD5 HA1s, so {', '.join(unsupported)} cannot be "
                    "offered; use algorithms = ['MD5'] (or a get_ha1 that takes the hash name, "
                    "or users)",
                    "algorithms",
                )
        elif not any(a.hash_name in supported for a in algorithms):
            fail("none of the algorithms can be computed from this source", "algorithms")
        if options.get("userhash") and "get_ha1" in given:
            fail(
                "userhash needs users or htdigest: a get_ha1 callable cannot be searched",
                "userhash",
            )
        if options.get("nc_store") == "redis":
            if not options.get("redis_url"):
                fail("nc_store = 'redis' needs redis_url", "redis_url")
            try:
                import redis  # noqa: F401
            except ImportError:
                fail(
                    "nc_store = 'redis' needs redis-py: pip install 'pegboard-auth-digest[redis]'",
                    "nc_store",
                )

    def _hash_names(self, options: dict[str, Any], section: str) -> frozenset[str]:
        if options.get("htdigest") is not None:
            try:
                return self._htdigest(options["htdigest"], options["realm"]).hash_names
            except HtdigestError as exc:
                raise pegboard.ConfigError(
                    str(exc), section=section, key=f"tools.{self.name}.htdigest"
                ) from None
        if options.get("get_ha1") is not None and not takes_algorithm(options["get_ha1"]):
            return frozenset({"MD5"})
        return PasswordTable.hash_names

    # -- attaching ------------------------------------------------------------------

    # The core types Tool.attach as (plan, **options); the documented way to declare
    # options is named parameters, which mypy reports as an incompatible override.
    def attach(  # type: ignore[override]
        self,
        plan: pegboard.PlanBuilder,
        realm: str,
        key: str,
        get_ha1: Callable[..., str | None] | None = None,
        users: dict[str, str] | None = None,
        htdigest: str | None = None,
        algorithms: tuple[str, ...] | str = _DEFAULT_ALGORITHMS,
        qop: tuple[str, ...] | str = ("auth",),
        nonce_lifetime: int = 600,
        userhash: bool = False,
        allow_preflight: bool = False,
        nc_store: Literal["memory", "redis"] = "memory",
        redis_url: str | None = None,
        redis_prefix: str = "pegboard:auth_digest:",
        redis_timeout: float = 0.5,
        max_nonces: int = 100_000,
    ) -> None:
        offered = resolve_algorithms(algorithms)
        source: HA1Source
        if get_ha1 is not None:
            source = CallableSource(get_ha1, realm)
        elif users is not None:
            source = PasswordTable(users, realm, offered)
        else:
            assert htdigest is not None
            source = self._htdigest(htdigest, realm)
        # With the default list, offer what the source can compute (an htdigest file: MD5);
        # an explicit list was checked at start-up to be computable in full.
        offered = [a for a in offered if a.hash_name in source.hash_names]
        authenticator = DigestAuthenticator(
            realm=realm,
            signer=NonceSigner(key, realm),
            source=source,
            algorithms=offered,
            qops=[q.lower() for q in _names(qop)],
            nonce_lifetime=nonce_lifetime,
            counts=self._counts(nc_store, max_nonces, redis_url, redis_prefix, redis_timeout),
            userhash=userhash,
            allow_preflight=allow_preflight,
        )
        # PERF: bound methods with no options, so the plan calls them directly.
        plan.add("before_handler", authenticator.authenticate, self.priority)
        plan.add("before_finalize", authenticator.finalize, CHALLENGE_PRIORITY)
