"""Start-up checks of the ``sessions`` tool that need more than the options themselves.

The options' own checks are in :class:`~pegboard_sessions.options.SessionsOptions`;
here are the serializer (is msgpack installed, is pickle wanted) and the
store (is ``storage_type`` installed, does the store accept its options).
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import warnings

import pegboard

from .options import SessionsOptions
from .registry import BackendRegistry
from .serializers import UnsafeSerializerWarning, get_serializer
from .settings import StorageConfig

__all__ = ["check_serializer", "check_store"]

_log = logging.getLogger("pegboard_sessions")
_OPTION_NAMES = frozenset(field.name for field in dataclasses.fields(SessionsOptions))


def check_serializer(options: SessionsOptions, section: str) -> None:
    """OptionError if msgpack is asked for but missing; a warning and a log line for pickle."""
    if options.serializer == "msgpack":
        try:
            get_serializer("msgpack")
        except ImportError:
            raise pegboard.OptionError(
                "serializer",
                "serializer 'msgpack' needs msgpack: pip install 'pegboard-sessions[msgpack]'",
            ) from None
    elif options.serializer == "pickle":
        message = (
            f"[{section}] tools.sessions.serializer = 'pickle': anyone who can write to the "
            "session store can run code in this process; use 'json' or 'msgpack' unless you "
            "trust the store completely"
        )
        warnings.warn(message, UnsafeSerializerWarning, stacklevel=5)
        _log.warning("%s", message)


def check_store(config: StorageConfig, registry: BackendRegistry, section: str) -> None:
    """ConfigError naming ``tools.sessions.<key>`` if the store is unknown or refuses ``config``."""

    def fail(key: str, message: str) -> pegboard.ConfigError:
        return pegboard.ConfigError(message, section=section, key=f"tools.sessions.{key}")

    storage_type = config.storage_type
    if storage_type not in registry:
        close = difflib.get_close_matches(storage_type, registry.names(), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        installed = ", ".join(registry.names())
        raise fail(
            "storage_type", f"unknown storage_type {storage_type!r}{hint}; installed: {installed}"
        )
    factory = registry.factory(storage_type, section)
    check_config = getattr(factory, "check_config", None)
    if check_config is not None:
        try:
            check_config(config)
        except ValueError as exc:
            # Backends start their messages with the option's name ("url is required ...").
            message = str(exc)
            first = message.split(" ", 1)[0].rstrip(":")
            raise fail(first if first in _OPTION_NAMES else "storage_type", message) from None
