"""Turning a request path into a file path that provably lies inside a root folder.

Two steps, both required. ``request_segments`` refuses anything that could
mean "go up" or "start elsewhere" before the file system is touched (400).
``resolve_inside`` joins the clean segments to the root, resolves every
symlink with ``os.path.realpath`` and compares the *resolved* path with the
*resolved* root on a separator boundary, so ``/srv/static2`` never counts as
inside ``/srv/static``.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from urllib.parse import unquote

from pegboard import HTTPError

__all__ = ["inside", "request_segments", "resolve_inside"]

# Characters that never belong in a served name: NUL, other C0 controls, DEL and
# the backslash (a separator on Windows, and a classic traversal disguise).
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")
_WINDOWS = os.name == "nt"
# How many extra rounds of percent-decoding to look through (double, triple encoding).
_DECODE_ROUNDS = 3


def _refuse(reason: str) -> HTTPError:
    return HTTPError(400, f"The requested path is not allowed: {reason}.")


def _check_decoded(segment: str) -> None:
    """Refuse a segment that turns into a traversal once decoded again.

    The server decoded the URL once already; a literal ``%2e%2e`` left in the
    path is a double-encoded ``..`` aimed at something that decodes twice.
    """
    text = segment
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(text, errors="strict") if "%" in text else text
        if decoded == text:
            return
        if _FORBIDDEN.search(decoded) or "/" in decoded:
            raise _refuse("an encoded separator or control character")
        if decoded in (".", ".."):
            raise _refuse("an encoded dot segment")
        text = decoded


def request_segments(relative: str) -> list[str]:
    """The path below the static section split into names; 400 for anything suspicious.

    Empty segments (``a//b``) are dropped, as web servers do; ``.`` and ``..``,
    backslashes, control characters (NUL included) and segments that decode
    to any of those are refused.
    """
    if _FORBIDDEN.search(relative):
        raise _refuse("a backslash or control character")
    segments = []
    for segment in relative.split("/"):
        if not segment:
            continue
        if segment in (".", ".."):
            raise _refuse("a dot segment")
        if "%" in segment:
            try:
                _check_decoded(segment)
            except UnicodeDecodeError:
                raise _refuse("an encoded name that is not UTF-8") from None
        if _WINDOWS and (":" in segment or segment[-1] in ". "):
            raise _refuse("a drive letter or a trailing dot or space")
        segments.append(segment)
    return segments


def inside(path: str, root: str) -> bool:
    """True when resolved ``path`` is ``root`` or below it (both already resolved)."""
    if path == root:
        return True
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path.startswith(prefix)


def resolve_inside(
    root: str,
    segments: Sequence[str],
    *,
    follow_symlinks: bool = False,
    show_hidden: bool = False,
) -> tuple[str, os.stat_result] | None:
    """The resolved path for ``segments`` under resolved ``root`` and its stat, or None.

    None (which the caller answers with 404) when it does not exist, or is
    refused: a dotfile or dot-folder anywhere in the requested or resolved
    path unless ``show_hidden``, a path whose symlinks lead outside ``root``
    unless ``follow_symlinks``.

    PERF: the root is resolved once, so only the components below it are
    checked, one ``lstat`` each (``os.path.realpath`` would lstat every
    component from ``/``); a symlink on the way hands over to realpath.
    """
    if not show_hidden and any(s.startswith(".") for s in segments):
        return None
    path = root.rstrip(os.sep) or os.sep
    last = len(segments) - 1
    try:
        if last < 0:
            return path, os.stat(path)
        for index, segment in enumerate(segments):
            path = os.path.join(path, segment)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                rest = os.path.join(path, *segments[index + 1 :])
                return _through_symlinks(root, rest, follow_symlinks, show_hidden)
            if index < last and not stat.S_ISDIR(st.st_mode):
                return None
    except (OSError, ValueError):
        return None
    return path, st


def _through_symlinks(
    root: str, path: str, follow_symlinks: bool, show_hidden: bool
) -> tuple[str, os.stat_result] | None:
    real = os.path.realpath(path)
    if inside(real, root):
        if not show_hidden and real != root:
            rest = real[len(root) :].lstrip(os.sep)
            if any(part.startswith(".") for part in rest.split(os.sep)):
                return None
    elif not follow_symlinks:
        return None
    try:
        return real, os.stat(real)
    except (OSError, ValueError):
        return None
