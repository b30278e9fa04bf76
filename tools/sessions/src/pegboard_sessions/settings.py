"""Resolved option sets: what a store needs (StorageConfig) and what a request needs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .serializers import Serializer, get_serializer

__all__ = ["SessionSettings", "StorageConfig"]


@dataclass(frozen=True)
class StorageConfig:
    """The options that pick and configure one store.

    Config sections whose storage options are equal share one store (one RAM
    dict, one Redis pool) within an app, whatever their cookie or timeout
    options. ``options`` carries ``storage_options`` for third-party backends.
    """

    storage_type: str = "ram"
    storage_path: str | None = None
    url: str | None = None
    servers: tuple[str, ...] = ()
    dsn: str | None = None
    pool_size: int = 10
    table: str = "pegboard_sessions"
    key_prefix: str = "pegboard:session:"
    #: seconds allowed to connect to the store and for each operation on it
    backend_timeout: float = 2.0
    #: minutes between two runs of the cleanup thread (RAM, file, PostgreSQL)
    clean_freq: float = 5.0
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def key(self) -> str:
        """A stable text identity, so that equal configurations share one store."""
        fields = {
            name: getattr(self, name) for name in self.__dataclass_fields__ if name != "options"
        }
        fields["options"] = dict(self.options)
        return json.dumps(fields, sort_keys=True, default=repr)


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Per-request behaviour: the cookie, lifetimes, locking and serialization."""

    name: str = "session_id"
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = True
    samesite: str | None = "Lax"
    persistent: bool = True
    #: idle lifetime in seconds
    timeout: float = 3600.0
    #: absolute lifetime in seconds, or None for no limit
    max_age: float | None = None
    locking: str = "implicit"
    #: seconds to wait for a session's lock before answering 503
    lock_timeout: float = 10.0
    #: seconds after which a lock left by a dead process expires (Redis, Memcached)
    lock_lease: float = 60.0
    serializer: Serializer = field(default_factory=lambda: get_serializer("json"))
