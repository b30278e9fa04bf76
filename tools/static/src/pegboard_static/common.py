"""What staticdir and staticfile share: option checks, folder resolution, settings."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from pegboard import ConfigError

from .mediatypes import MediaTypes
from .responder import ServeSettings

__all__ = ["DEFAULT_IMMUTABLE", "BaseDir", "check_common", "compile_pattern", "settings_from"]

#: A name that carries a content hash: 8-64 hex digits (at least one a-f, so
#: that dates like ``report-20240101.pdf`` do not count) between ``.`` or ``-``
#: and a dot: ``app.3f9a0c1be2.js``, ``logo-9f86d081884c7d65.svg``.
DEFAULT_IMMUTABLE = r"[.-](?=[0-9]*[a-f])[0-9a-f]{8,64}\."

_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")
_CHARSET = re.compile(r"^[A-Za-z0-9._:-]+$")


def compile_pattern(value: str | None, section: str, key: str) -> re.Pattern[str] | None:
    """Compile a regex option; a bad one is a ConfigError naming the key."""
    if value is None or value == "":
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        message = f"not a valid regular expression: {exc}"
        raise ConfigError(message, section=section, key=key) from None


def check_common(tool: str, options: Mapping[str, Any], section: str) -> None:
    """Cross-option checks shared by both tools (runs at start-up)."""
    for name in ("match", "immutable_pattern"):
        compile_pattern(options.get(name), section, f"tools.{tool}.{name}")
    max_age = options.get("max_age")
    if max_age is not None and max_age < 0:
        key = f"tools.{tool}.max_age"
        raise ConfigError("max_age must be 0 or more seconds", section=section, key=key)
    charset = options.get("charset")
    if charset is not None and not _CHARSET.match(charset):
        key = f"tools.{tool}.charset"
        raise ConfigError(f"{charset!r} is not a charset name", section=section, key=key)
    for ext, ctype in (options.get("content_types") or {}).items():
        if not _MEDIA_TYPE.match(ctype) or "\n" in ctype or "\r" in ctype:
            raise ConfigError(
                f"{ctype!r} (for {ext!r}) is not a media type like 'text/plain'",
                section=section,
                key=f"tools.{tool}.content_types",
            )


def settings_from(
    *,
    content_types: Mapping[str, str] | None,
    charset: str | None,
    max_age: int | None,
    immutable_pattern: str | None,
    precompressed: bool,
    follow_symlinks: bool,
    root: str | None,
) -> ServeSettings:
    """The ServeSettings a configured tool hands to every request."""
    return ServeSettings(
        media_types=MediaTypes(content_types, charset),
        max_age=max_age,
        immutable=re.compile(immutable_pattern) if immutable_pattern else None,
        precompressed=precompressed,
        follow_symlinks=follow_symlinks,
        root=root,
    )


class BaseDir:
    """Resolves a configured, possibly relative path once, on the first request.

    Relative paths are taken from ``root`` if given, else from the folder of
    the config file the app was loaded from, else from the working directory
    at start-up (captured when the tool was attached).
    """

    __slots__ = ("_cwd", "_path", "_resolved", "_root")

    def __init__(self, path: str, root: str | None) -> None:
        self._path = path
        self._root = root
        self._cwd = os.getcwd()
        self._resolved: str | None = None
        if os.path.isabs(path) or (root is not None and os.path.isabs(root)):
            self._resolved = self._resolve(None)

    def _resolve(self, base_dir: Any) -> str:
        base = str(base_dir) if base_dir is not None else self._cwd
        if self._root is not None:
            base = os.path.join(base, self._root)
        return os.path.realpath(os.path.join(base, self._path))

    def __repr__(self) -> str:
        return repr(self._resolved or self._path)

    def get(self, app: Any) -> str:
        """The resolved absolute path (symlinks resolved too)."""
        resolved = self._resolved
        if resolved is None:
            # Idempotent, so two threads racing here compute the same value.
            resolved = self._resolved = self._resolve(getattr(app.config, "base_dir", None))
        return resolved
