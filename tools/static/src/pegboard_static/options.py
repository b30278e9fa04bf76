"""The options of ``staticdir`` and ``staticfile``, their checks, and what is derived from them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pegboard
from pegboard import OptionError
from pegboard.httputil import HeaderError, is_token, parse_media_type

from .mediatypes import media_types
from .responder import ServeSettings

__all__ = [
    "DEFAULT_IMMUTABLE",
    "ServeOptions",
    "StaticDirOptions",
    "StaticFileOptions",
    "compiled",
    "resolve_path",
    "serve_settings",
]

#: A name that carries a content hash: 8-64 hex digits (at least one a-f, so
#: that dates like ``report-20240101.pdf`` do not count) between ``.`` or ``-``
#: and a dot: ``app.3f9a0c1be2.js``, ``logo-9f86d081884c7d65.svg``.
DEFAULT_IMMUTABLE = r"[.-](?=[0-9]*[a-f])[0-9a-f]{8,64}\."


def compiled(pattern: str | None) -> re.Pattern[str] | None:
    """The compiled regex option, or None when it is unset or empty."""
    return re.compile(pattern) if pattern else None


def _check_pattern(key: str, pattern: str | None) -> None:
    try:
        compiled(pattern)
    except re.error as exc:
        raise OptionError(key, f"not a valid regular expression: {exc}") from None


class ServeOptions(pegboard.ToolOptions):
    """The options both static tools share: how a file is described and cached."""

    root: str | None = pegboard.option(
        default=None,
        doc="the folder a relative path is taken from; default: the config file's folder, "
        "else the working directory at start-up",
    )
    match: str = pegboard.option(
        default="",
        doc="a regular expression the request path must contain for the tool to answer; "
        "empty: every path",
    )
    content_types: dict[str, str] | None = pegboard.option(
        default=None,
        doc='extension -> Content-Type, over the built-in table (`{"md": "text/markdown"}`)',
    )
    precompressed: bool = pegboard.option(
        default=True,
        doc="send a fresh `.br`, `.zst` or `.gz` sibling to a client that accepts its coding",
    )
    max_age: int | None = pegboard.option(
        default=None,
        doc="`Cache-Control: max-age` for names without a content hash; none: no Cache-Control",
        unit="seconds",
    )
    immutable_pattern: str | None = pegboard.option(
        default=DEFAULT_IMMUTABLE,
        doc="a regular expression for names that carry a content hash: they get "
        "`Cache-Control: max-age=31536000, immutable`; empty or none: off",
    )
    charset: str | None = pegboard.option(
        default="utf-8", doc="the charset added to text types' Content-Type; none: no charset"
    )

    def __post_init__(self) -> None:
        _check_pattern("match", self.match)
        _check_pattern("immutable_pattern", self.immutable_pattern)
        if self.max_age is not None and self.max_age < 0:
            raise OptionError("max_age", "max_age must be 0 or more seconds")
        if self.charset is not None and not is_token(self.charset):
            raise OptionError("charset", f"{self.charset!r} is not a charset name")
        for ext, ctype in (self.content_types or {}).items():
            try:
                parse_media_type(ctype)
            except HeaderError:
                raise OptionError(
                    "content_types",
                    f"{ctype!r} (for {ext!r}) is not a media type like 'text/plain'",
                ) from None


class StaticDirOptions(ServeOptions):
    """Options of ``tools.staticdir``."""

    dir: str = pegboard.option(doc="the folder to serve (relative: see `root`)")
    index: str = pegboard.option(
        default="", doc="the file sent for a folder, e.g. `index.html`; empty: none"
    )
    section: str | None = pegboard.option(
        default=None,
        doc="the URL path `dir` is served at; default: the config section that sets `dir`",
    )
    listing: bool = pegboard.option(
        default=False, doc="an HTML listing for a folder without an index file"
    )
    show_hidden: bool = pegboard.option(
        default=False, doc="serve dotfiles and dot-folders (`.env`, `.git/`)"
    )
    follow_symlinks: bool = pegboard.option(
        default=False, doc="serve through symlinks that lead outside `dir`"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.dir:
            raise OptionError("dir", "dir must name a folder")
        index = self.index
        if index and (index.startswith(".") or any(c in index for c in "/\\\x00")):
            raise OptionError(
                "index", f"index must be a plain file name like 'index.html', not {index!r}"
            )
        if self.section is not None and not self.section.startswith("/"):
            raise OptionError(
                "section", f"section must be a path like '/static', not {self.section!r}"
            )


class StaticFileOptions(ServeOptions):
    """Options of ``tools.staticfile``."""

    filename: str = pegboard.option(doc="the file to serve (relative: see `root`)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.filename:
            raise OptionError("filename", "filename must name a file")


def resolve_path(path: str, root: str | None, base_dir: Path | None) -> str:
    """The absolute, symlink-free form of a configured ``dir`` or ``filename``.

    Relative paths are taken from ``root`` if given, itself relative to the
    folder of the config file the app was loaded from (``base_dir``), else
    to the working directory at start-up.
    """
    base = str(base_dir) if base_dir is not None else os.getcwd()
    if root is not None:
        base = os.path.join(base, root)
    return os.path.realpath(os.path.join(base, path))


def serve_settings(
    options: ServeOptions, *, follow_symlinks: bool, root: str | None
) -> ServeSettings:
    """The ServeSettings a configured tool hands to every request (built in ``attach``)."""
    return ServeSettings(
        media_types=media_types(options.content_types, options.charset),
        max_age_header=f"max-age={options.max_age}" if options.max_age is not None else None,
        immutable=compiled(options.immutable_pattern),
        precompressed=options.precompressed,
        follow_symlinks=follow_symlinks,
        root=root,
    )
