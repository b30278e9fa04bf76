"""Session storage backends and the base class a third-party backend subclasses."""

from .base import LocalLocks, Storage

__all__ = ["BUILTIN_STORAGES", "LocalLocks", "Storage"]

#: Built-in backends by ``storage_type``: imported only when configured.
BUILTIN_STORAGES: dict[str, str] = {
    "ram": "pegboard_sessions.storage.ram:RamStorage",
    "file": "pegboard_sessions.storage.file:FileStorage",
    "redis": "pegboard_sessions.storage.redis:RedisStorage",
    "memcached": "pegboard_sessions.storage.memcached:MemcachedStorage",
    "postgresql": "pegboard_sessions.storage.postgresql:PostgresqlStorage",
}
