"""staticdir and staticfile for pegboard: safe, with ranges, validators and precompressed files.

The tools ``staticdir`` and ``staticfile`` answer at ``before_handler``
(priority 30); ``serve_file``, ``serve_fileobj`` and ``serve_download`` do the
same from inside a handler; ``pegboard compress DIR`` writes the ``.br``,
``.zst`` and ``.gz`` siblings that staticdir sends to clients that accept them.
"""

from __future__ import annotations

from typing import Any

import pegboard

from .compress import add_command
from .functions import serve_download, serve_file, serve_fileobj
from .options import StaticDirOptions, StaticFileOptions
from .staticdir import StaticDir
from .staticfile import StaticFile

__all__ = [
    "StaticDir",
    "StaticDirOptions",
    "StaticFile",
    "StaticFileOptions",
    "serve_download",
    "serve_file",
    "serve_fileobj",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    return [StaticDir(), StaticFile()]


@pegboard.hookimpl
def pegboard_cli_commands(subparsers: Any) -> None:
    add_command(subparsers)
