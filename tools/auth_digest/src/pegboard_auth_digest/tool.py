"""The ``auth_digest`` tool: its options, their checks, and the hooks it attaches."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from typing import Literal

import pegboard
from pegboard import HookDoc, OptionError, option

from .algorithms import ALGORITHMS, Algorithm, find_algorithm
from .authenticator import AUTH_INT_PRIORITY, DigestAuthenticator
from .nc_store import MemoryCounts, NonceCounts, RedisCounts
from .nonces import NonceSigner
from .sources import (
    CallableSource,
    HA1Source,
    HtdigestError,
    HtdigestFile,
    PasswordTable,
)

__all__ = [
    "CHALLENGE_PRIORITY",
    "MIN_KEY_LENGTH",
    "PRIORITY",
    "DigestAuthOptions",
    "DigestAuthTool",
    "DigestResources",
    "resolve_algorithms",
]

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


class DigestAuthOptions(pegboard.ToolOptions):
    """The options of ``tools.auth_digest``; exactly one HA1 source is given."""

    realm: str = option(doc="the protection space named in the challenge (printable ASCII)")
    key: str = option(
        doc=f"the secret nonces are signed with (at least {MIN_KEY_LENGTH} characters; "
        "the same on every process that serves the realm)"
    )
    get_ha1: Callable[..., str | None] | None = option(
        default=None,
        doc="`get_ha1(realm, username[, hash_name]) -> str | None`; with two parameters, MD5 only",
    )
    users: dict[str, str] | None = option(
        default=None, doc="`{username: password}`; every HA1 is computed at start-up"
    )
    htdigest: str | None = option(
        default=None, doc="an Apache htdigest file (MD5 HA1s), read again when it changes"
    )
    algorithms: tuple[str, ...] | str = option(
        default=_DEFAULT_ALGORITHMS,
        doc="the algorithms offered, one challenge each, strongest first "
        "(MD5, SHA-256, SHA-512-256 and their -sess forms)",
    )
    qop: tuple[str, ...] | str = option(
        default=("auth",), doc="the qop values offered: 'auth' and/or 'auth-int'"
    )
    nonce_lifetime: int = option(
        default=600,
        doc="how long a nonce is accepted; then the client gets stale=true",
        unit="seconds",
    )
    userhash: bool = option(
        default=False, doc="offer userhash=true (RFC 7616 §3.4.4): the username travels hashed"
    )
    allow_preflight: bool = option(
        default=False, doc="let CORS pre-flight requests (OPTIONS) through without credentials"
    )
    nc_store: Literal["memory", "redis"] = option(
        default="memory",
        doc="where used nonce counts are kept to refuse replays: this process, or Redis "
        "(processes agree)",
    )
    redis_url: str | None = option(default=None, doc="the Redis URL for nc_store = 'redis'")
    redis_prefix: str = option(
        default="pegboard:auth_digest:", doc="the prefix of the nonce-count keys in Redis"
    )
    redis_timeout: float = option(
        default=0.5,
        doc="how long Redis may take before the request gets a 503 (no retries)",
        unit="seconds",
    )
    max_nonces: int = option(
        default=100_000,
        doc="the nonces the memory store tracks; past it the oldest are answered stale",
        unit="nonces",
    )

    def __post_init__(self) -> None:
        if not _REALM_OK(self.realm) or '"' in self.realm or "\\" in self.realm:
            raise OptionError(
                "realm",
                "a realm is printable ASCII without '\"' or '\\' "
                f"(it is sent inside a quoted-string), not {self.realm!r}",
            )
        if len(self.key) < MIN_KEY_LENGTH:
            raise OptionError(
                "key",
                f"the nonce key needs at least {MIN_KEY_LENGTH} characters of secret; make one "
                "with python -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        given = self.sources()
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise OptionError(
                given[1] if len(given) > 1 else "users",
                f"give exactly one of get_ha1, users or htdigest (found: {found})",
            )
        try:
            algorithms = resolve_algorithms(self.algorithms)
        except ValueError as exc:
            raise OptionError("algorithms", str(exc)) from None
        if not algorithms:
            raise OptionError("algorithms", "algorithms lists at least one algorithm")
        qops = [q.lower() for q in _names(self.qop)]
        if not qops or any(q not in _QOPS for q in qops):
            raise OptionError(
                "qop", f"qop lists 'auth' and/or 'auth-int', not {list(_names(self.qop))!r}"
            )
        for name, value in (
            ("nonce_lifetime", self.nonce_lifetime),
            ("max_nonces", self.max_nonces),
        ):
            if value < 1:
                raise OptionError(name, f"{name} is at least 1")
        if self.redis_timeout <= 0:
            raise OptionError("redis_timeout", "redis_timeout is a number of seconds > 0")
        if self.userhash and self.get_ha1 is not None:
            raise OptionError(
                "userhash",
                "userhash needs users or htdigest: a get_ha1 callable cannot be searched",
            )
        if self.nc_store == "redis":
            if not self.redis_url:
                raise OptionError("redis_url", "nc_store = 'redis' needs redis_url")
            try:
                import redis  # noqa: F401
            except ImportError:
                raise OptionError(
                    "nc_store",
                    "nc_store = 'redis' needs redis-py: pip install 'pegboard-auth-digest[redis]'",
                ) from None

    def sources(self) -> list[str]:
        """The names of the HA1 sources given (exactly one in a valid set of options)."""
        return [name for name in _SOURCES if getattr(self, name) is not None]


class DigestResources:
    """What the routes of one app share: htdigest files and nonce-count stores.

    Lives in ``app.state.auth_digest``. Routes with the same settings share
    one store, so a nonce count used on one route is a replay on another;
    :meth:`close` (from ``DigestAuthTool.stop``) closes the Redis connections.
    """

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], HtdigestFile] = {}
        self._memory: dict[int, MemoryCounts] = {}
        self._redis: dict[tuple[str, str, float], RedisCounts] = {}

    def htdigest(self, path: str, realm: str) -> HtdigestFile:
        """The loaded file at ``path`` for ``realm``; HtdigestError if it cannot be used."""
        key = (os.path.abspath(path), realm)
        found = self._files.get(key)
        if found is None:
            found = HtdigestFile(key[0], realm)
            found.load()
            self._files[key] = found
        return found

    def counts(self, options: DigestAuthOptions) -> NonceCounts:
        """The nonce-count store these options name (made on first use; Redis connects lazily)."""
        if options.nc_store == "redis":
            assert options.redis_url is not None
            key = (options.redis_url, options.redis_prefix, options.redis_timeout)
            found = self._redis.get(key)
            if found is None:
                found = self._redis[key] = RedisCounts(*key)
            return found
        memory = self._memory.get(options.max_nonces)
        if memory is None:
            memory = self._memory[options.max_nonces] = MemoryCounts(options.max_nonces)
        return memory

    def close(self) -> None:
        """Close the Redis connections (a store used again reconnects)."""
        for store in self._redis.values():
            store.close()


class DigestAuthTool(pegboard.Tool[DigestAuthOptions]):
    """HTTP Digest authentication (RFC 7616): sets ``req.login`` or answers 401.

    Exactly one credential source: ``get_ha1`` (a callable), ``users`` (a
    dict of passwords) or ``htdigest`` (an Apache file).
    """

    hooks = (
        HookDoc(
            "before_handler",
            PRIORITY,
            does="checks the credentials and the nonce count: sets `req.login` and "
            "Authentication-Info, or answers 400/401/503",
        ),
        HookDoc(
            "before_finalize",
            CHALLENGE_PRIORITY,
            does="`Vary: Authorization`, and the Digest challenges on every 401",
        ),
        HookDoc(
            "before_finalize",
            AUTH_INT_PRIORITY,
            does="with qop=auth-int: Authentication-Info over the final body",
            per_request=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("auth_digest", point="before_handler", priority=PRIORITY)

    def stop(self, app: pegboard.App) -> None:
        resources = app.state.get("auth_digest")
        if isinstance(resources, DigestResources):
            resources.close()

    def _fail(self, plan: pegboard.PlanBuilder, option: str, message: str) -> pegboard.ConfigError:
        return pegboard.ConfigError(message, section=plan.label, key=f"tools.{self.name}.{option}")

    def _source(
        self, plan: pegboard.PlanBuilder, options: DigestAuthOptions, resources: DigestResources
    ) -> HA1Source:
        realm = options.realm
        offered = resolve_algorithms(options.algorithms)
        if options.get_ha1 is not None:
            # A two-argument get_ha1 (CherryPy's signature) gives MD5 HA1s only.
            return CallableSource(options.get_ha1, realm)
        if options.users is not None:
            return PasswordTable(options.users, realm, offered)
        assert options.htdigest is not None
        try:
            return resources.htdigest(options.htdigest, realm)
        except HtdigestError as exc:
            raise self._fail(plan, "htdigest", str(exc)) from None

    def attach(self, plan: pegboard.PlanBuilder, options: DigestAuthOptions) -> None:
        state = plan.app.state if plan.app is not None else pegboard.State()
        resources: DigestResources = state.setdefault("auth_digest", DigestResources)
        source = self._source(plan, options, resources)
        offered = resolve_algorithms(options.algorithms)
        supported = source.hash_names
        if options.algorithms != _DEFAULT_ALGORITHMS:
            unsupported = [a.name for a in offered if a.hash_name not in supported]
            if unsupported:
                raise self._fail(
                    plan,
                    "algorithms",
                    f"{options.sources()[0]} can only give MD5 HA1s, so "
                    f"{', '.join(unsupported)} cannot be offered; use algorithms = ['MD5'] "
                    "(or a get_ha1 that takes the hash name, or users)",
                )
        # With the default list, offer what the source can compute (an htdigest file: MD5);
        # an explicit list was checked above to be computable in full.
        offered = [a for a in offered if a.hash_name in supported]
        if not offered:
            raise self._fail(
                plan, "algorithms", "none of the algorithms can be computed from this source"
            )
        authenticator = DigestAuthenticator(
            realm=options.realm,
            signer=NonceSigner(options.key, options.realm),
            source=source,
            algorithms=offered,
            qops=[q.lower() for q in _names(options.qop)],
            nonce_lifetime=options.nonce_lifetime,
            counts=resources.counts(options),
            userhash=options.userhash,
            allow_preflight=options.allow_preflight,
        )
        # PERF: bound methods with no options, so the plan calls them directly.
        plan.add("before_handler", authenticator.authenticate, self.priority)
        plan.add("before_finalize", authenticator.finalize, CHALLENGE_PRIORITY)
