"""What a store is given (StorageConfig), and what each request needs (SessionSetup)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .serializers import Serializer

if TYPE_CHECKING:
    from .options import SessionsOptions
    from .stores import StoreHandle

__all__ = ["DEFAULT_MAX_SESSIONS", "SessionSetup", "StorageConfig"]

#: How many sessions the RAM store keeps when ``max_sessions`` is not set.
DEFAULT_MAX_SESSIONS = 100_000


@dataclass(frozen=True)
class StorageConfig:
    """The options that pick and configure one store: what a Storage is built with.

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
    #: the most sessions the RAM store keeps (None: DEFAULT_MAX_SESSIONS); other stores
    #: may read it too
    max_sessions: int | None = None

    def key(self) -> str:
        """A stable text identity, so that equal configurations share one store."""
        fields = {
            name: getattr(self, name) for name in self.__dataclass_fields__ if name != "options"
        }
        fields["options"] = dict(self.options)
        return json.dumps(fields, sort_keys=True, default=repr)


@dataclass(frozen=True, slots=True)
class SessionSetup:
    """The sessions of one compiled plan: its options, its store, and what is derived once.

    Built in ``SessionsTool.attach`` and bound to the plan's hooks, so a
    request converts no unit and looks up no serializer or store.
    """

    options: SessionsOptions
    store: StoreHandle
    serializer: Serializer
    #: the idle lifetime in seconds (``options.timeout`` is in minutes)
    timeout: float
    #: the absolute lifetime in seconds, or None for no limit
    max_age: float | None
