"""Cache backends: the base classes, and the memory, Redis and Memcached stores."""

from .base import BackendError, BackendSettings, BytesBackend, CacheBackend

__all__ = ["BackendError", "BackendSettings", "BytesBackend", "CacheBackend"]
