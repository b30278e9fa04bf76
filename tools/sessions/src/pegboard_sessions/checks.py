"""Cross-option checks of the ``sessions`` tool, run when the app starts."""

from __future__ import annotations

import difflib
import logging
import re
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NoReturn

import pegboard

from .registry import BackendRegistry
from .serializers import UnsafeSerializerWarning, get_serializer
from .settings import StorageConfig
from .storage import BUILTIN_STORAGES

__all__ = ["check_options", "storage_config"]

_log = logging.getLogger("pegboard_sessions")
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Options that configure the store (the rest configure the cookie and the request).
STORAGE_OPTIONS = (
    "storage_type",
    "storage_path",
    "url",
    "servers",
    "dsn",
    "pool_size",
    "table",
    "key_prefix",
    "backend_timeout",
    "clean_freq",
)


def storage_config(options: Mapping[str, Any]) -> StorageConfig:
    """The StorageConfig for a set of tool options (``servers`` may be one "a:1,b:2" string)."""
    servers = options.get("servers") or ()
    if isinstance(servers, str):
        servers = [s.strip() for s in servers.split(",") if s.strip()]
    values = {key: options[key] for key in STORAGE_OPTIONS if key in options}
    values["servers"] = tuple(servers)
    extra = MappingProxyType(dict(options.get("storage_options") or {}))
    return StorageConfig(**values, options=extra)


def check_options(options: Mapping[str, Any], section: str, registry: BackendRegistry) -> None:
    """Raise ConfigError naming ``tools.sessions.<key>`` for options that cannot work together.

    ``options`` holds every option, defaults included.
    """

    def fail(key: str, message: str) -> NoReturn:
        raise pegboard.ConfigError(message, section=section, key=f"tools.sessions.{key}")

    storage_type = options["storage_type"]
    if storage_type not in registry:
        close = difflib.get_close_matches(storage_type, registry.names(), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        installed = ", ".join(registry.names())
        fail("storage_type", f"unknown storage_type {storage_type!r}{hint}; installed: {installed}")
    if options["storage_options"] and storage_type in BUILTIN_STORAGES:
        fail(
            "storage_options", f"storage_options are for third-party backends, not {storage_type!r}"
        )
    _check_numbers(options, fail)
    _check_cookie(options, fail)
    _check_serializer(options, section, fail)
    factory = registry.factory(storage_type, section)
    check_config = getattr(factory, "check_config", None)
    if check_config is not None:
        try:
            check_config(storage_config(options))
        except ValueError as exc:
            # Backends start their messages with the option's name ("url is required ...").
            message = str(exc)
            first = message.split(" ", 1)[0].rstrip(":")
            fail(first if first in options else "storage_type", message)


def _check_numbers(options: Mapping[str, Any], fail: Any) -> None:
    for key in ("timeout", "lock_lease", "backend_timeout"):
        if options[key] <= 0:
            fail(key, f"{key} must be greater than 0")
    for key in ("lock_timeout", "clean_freq"):
        if options[key] < 0:
            fail(key, f"{key} must not be negative")
    if options["max_age"] is not None and options["max_age"] <= 0:
        fail("max_age", "max_age must be greater than 0 (or left unset for no absolute limit)")
    if options["pool_size"] < 1:
        fail("pool_size", "pool_size must be at least 1")


def _check_cookie(options: Mapping[str, Any], fail: Any) -> None:
    if not _COOKIE_NAME.fullmatch(options["name"]):
        fail("name", f"{options['name']!r} is not a valid cookie name")
    for key in ("path", "domain"):
        value = options[key]
        if value is not None and any(c in value for c in ";\r\n,"):
            fail(key, f"{key} must not contain ';', ',' or line breaks")
    if options["samesite"] == "None" and not options["secure"]:
        fail("samesite", "samesite 'None' needs secure = true (browsers reject it otherwise)")


def _check_serializer(options: Mapping[str, Any], section: str, fail: Any) -> None:
    if options["serializer"] == "msgpack":
        try:
            get_serializer("msgpack")
        except ImportError:
            fail(
                "serializer",
                "serializer 'msgpack' needs msgpack: pip install 'pegboard-sessions[msgpack]'",
            )
    elif options["serializer"] == "pickle":
        message = (
            f"[{section}] tools.sessions.serializer = 'pickle': anyone who can write to the "
            "session store can run code in this process; use 'json' or 'msgpack' unless you "
            "trust the store completely"
        )
        warnings.warn(message, UnsafeSerializerWarning, stacklevel=4)
        _log.warning("%s", message)
