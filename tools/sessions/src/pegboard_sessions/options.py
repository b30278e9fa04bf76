"""The options of the ``sessions`` tool: names, types, defaults, units, and their own checks.

Checks that need nothing but the options themselves run in ``__post_init__``;
those that need the installed store types (``storage_type`` and each store's
``check_config``) run in ``SessionsTool.attach``, where the app is known.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Literal

import pegboard

from .settings import DEFAULT_MAX_SESSIONS
from .storage import BUILTIN_STORAGES

__all__ = ["SessionsOptions"]

_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class SessionsOptions(pegboard.ToolOptions):
    """``tools.sessions.*``: the store, the cookie, lifetimes and locking."""

    # -- the store ----------------------------------------------------------------
    storage_type: str = pegboard.option(
        default="ram",
        doc="where sessions live: ram, file, redis, memcached, postgresql, or a name a plugin "
        "registers",
    )
    storage_path: str | None = pegboard.option(
        default=None,
        doc="file: the directory of the session files (relative to the config file's folder)",
    )
    url: str | None = pegboard.option(
        default=None,
        doc="redis: redis://, rediss://, unix://, redis+sentinel:// or redis+cluster:// URL",
    )
    servers: list[str] | str | None = pegboard.option(
        default=None,
        doc="memcached: host:port or /path/to.sock, a list or one comma-separated string",
    )
    dsn: str | None = pegboard.option(
        default=None, doc="postgresql: a libpq connection string or URL"
    )
    pool_size: int = pegboard.option(
        default=10,
        doc="most connections per process (PostgreSQL; Memcached per server; Redis 4x this)",
        unit="connections",
    )
    table: str = pegboard.option(
        default="pegboard_sessions",
        doc="postgresql: the table (name or schema.name), created if missing",
    )
    key_prefix: str = pegboard.option(
        default="pegboard:session:", doc="redis, memcached: prefix of every key"
    )
    backend_timeout: float = pegboard.option(
        default=2.0,
        doc="bound on connecting to the store and on each operation; then 503",
        unit="seconds",
    )
    storage_options: dict[str, Any] | None = pegboard.option(
        default=None, doc="options of a third-party store (a ConfigError with a built-in one)"
    )
    max_sessions: int | None = pegboard.option(
        default=None,
        doc=f"ram: most sessions kept; beyond it the least recently used goes "
        f"(unset: {DEFAULT_MAX_SESSIONS:,})",
        unit="sessions",
    )
    clean_freq: float = pegboard.option(
        default=5.0,
        doc="between two runs of the cleanup thread (ram, file, postgresql); 0: no thread",
        unit="minutes",
    )
    # -- lifetimes ---------------------------------------------------------------
    timeout: float = pegboard.option(
        default=60.0, doc="idle lifetime: a session unused this long is gone", unit="minutes"
    )
    max_age: float | None = pegboard.option(
        default=None,
        doc="absolute lifetime, however busy the session is (unset: none)",
        unit="minutes",
    )
    # -- the cookie ---------------------------------------------------------------
    name: str = pegboard.option(default="session_id", doc="cookie name")
    path: str = pegboard.option(default="/", doc="cookie Path")
    domain: str | None = pegboard.option(default=None, doc="cookie Domain")
    secure: bool = pegboard.option(default=False, doc="cookie Secure (turn it on behind HTTPS)")
    httponly: bool = pegboard.option(default=True, doc="cookie HttpOnly")
    samesite: Literal["Strict", "Lax", "None"] | None = pegboard.option(
        default="Lax", doc="cookie SameSite; 'None' needs secure = true"
    )
    persistent: bool = pegboard.option(
        default=True,
        doc="true: the cookie carries Max-Age/Expires, renewed with the session; "
        "false: a browser-session cookie",
    )
    # -- locking and serializing --------------------------------------------------
    locking: Literal["implicit", "early", "explicit"] = pegboard.option(
        default="implicit",
        doc="when the lock is taken: at first use, before the handler, or by acquire_lock()",
    )
    lock_timeout: float = pegboard.option(
        default=10.0, doc="how long a request waits for a session's lock, then 503", unit="seconds"
    )
    lock_lease: float = pegboard.option(
        default=60.0,
        doc="after this a lock left by a process that died expires (redis, memcached)",
        unit="seconds",
    )
    serializer: Literal["json", "msgpack", "pickle"] = pegboard.option(
        default="json", doc="how the data becomes bytes; pickle warns at start-up"
    )

    def __post_init__(self) -> None:
        for key in ("timeout", "lock_lease", "backend_timeout"):
            if getattr(self, key) <= 0:
                raise pegboard.OptionError(key, f"{key} must be greater than 0")
        for key in ("lock_timeout", "clean_freq"):
            if getattr(self, key) < 0:
                raise pegboard.OptionError(key, f"{key} must not be negative")
        if self.max_age is not None and self.max_age <= 0:
            raise pegboard.OptionError(
                "max_age", "max_age must be greater than 0 (or left unset for no absolute limit)"
            )
        if self.pool_size < 1:
            raise pegboard.OptionError("pool_size", "pool_size must be at least 1")
        if self.max_sessions is not None:
            if self.max_sessions < 1:
                raise pegboard.OptionError("max_sessions", "max_sessions must be at least 1")
            if self.storage_type in BUILTIN_STORAGES and self.storage_type != "ram":
                raise pegboard.OptionError(
                    "max_sessions",
                    f"max_sessions bounds the ram store only; remove it for storage_type "
                    f"{self.storage_type!r}",
                )
        self._check_store_options()
        if self.storage_options and self.storage_type in BUILTIN_STORAGES:
            raise pegboard.OptionError(
                "storage_options",
                f"storage_options are for third-party backends, not {self.storage_type!r}",
            )
        self._check_cookie()

    def _check_store_options(self) -> None:
        """An option of another built-in store would do nothing here: say so (not silently)."""
        if self.storage_type not in BUILTIN_STORAGES:
            return  # a third-party store may read any of them
        for key, stores in _STORE_OPTIONS.items():
            given = getattr(self, key)
            if given is not None and given != _DEFAULTS[key] and self.storage_type not in stores:
                wanted = " or ".join(repr(s) for s in stores)
                raise pegboard.OptionError(
                    key,
                    f"{key} is for storage_type {wanted}; with {self.storage_type!r} it does "
                    f"nothing: set storage_type = {stores[0]!r} or remove {key}",
                )

    def _check_cookie(self) -> None:
        if not _COOKIE_NAME.fullmatch(self.name):
            raise pegboard.OptionError("name", f"{self.name!r} is not a valid cookie name")
        for key in ("path", "domain"):
            value = getattr(self, key)
            if value is not None and any(c in value for c in ";\r\n,"):
                raise pegboard.OptionError(key, f"{key} must not contain ';', ',' or line breaks")
        if self.samesite == "None" and not self.secure:
            raise pegboard.OptionError(
                "samesite", "samesite 'None' needs secure = true (browsers reject it otherwise)"
            )

    @property
    def server_list(self) -> tuple[str, ...]:
        """``servers`` as a tuple (one ``"a:1,b:2"`` string is split on commas)."""
        servers = self.servers or ()
        if isinstance(servers, str):
            return tuple(s.strip() for s in servers.split(",") if s.strip())
        return tuple(servers)


#: The options only some built-in stores read.
_STORE_OPTIONS: dict[str, tuple[str, ...]] = {
    "storage_path": ("file",),
    "url": ("redis",),
    "servers": ("memcached",),
    "dsn": ("postgresql",),
    "table": ("postgresql",),
    "key_prefix": ("redis", "memcached"),
}
_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(SessionsOptions)
    if field.name in _STORE_OPTIONS
}
