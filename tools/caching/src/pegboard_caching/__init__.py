"""An RFC 9111 HTTP response cache for pegboard, on memory, Redis or Memcached.

This module is the package's pegboard plugin (entry point ``caching``): it
provides the ``caching`` and ``expires`` tools, declares the
``pegboard_caching_backends`` hook for backends from other packages, and
opens/closes each app's stores with the app. The purge API and the backend
base classes are importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pegboard

from . import hookspecs
from .backends.base import BackendError, BackendSettings, BytesBackend, CacheBackend
from .expires import expires_tool
from .purge import purge_all, purge_prefix, purge_tag
from .records import CachedResponse, VaryRecord
from .runtime import BackendFactory, builtin_backends
from .runtime import start as _start
from .runtime import stop as _stop
from .tool import CachingTool

__all__ = [
    "BackendError",
    "BackendSettings",
    "BytesBackend",
    "CacheBackend",
    "CachedResponse",
    "CachingTool",
    "VaryRecord",
    "purge_all",
    "purge_prefix",
    "purge_tag",
]


@pegboard.hookimpl
def pegboard_add_hookspecs(pluginmanager: Any) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [CachingTool(), expires_tool()]


@pegboard.hookimpl
def pegboard_caching_backends() -> Mapping[str, BackendFactory]:
    return builtin_backends()


@pegboard.hookimpl
def pegboard_app_start(app: Any) -> None:
    _start(app)


@pegboard.hookimpl
def pegboard_app_stop(app: Any) -> None:
    _stop(app)
