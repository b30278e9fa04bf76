"""The opt-in HTML directory listing (``listing = true``): escaped names, safe links."""

from __future__ import annotations

import html
import os
import stat
from collections.abc import Callable
from urllib.parse import quote

__all__ = ["render_listing"]

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Index of {title}</title></head>
<body>
<h1>Index of {title}</h1>
<ul>
{items}
</ul>
</body>
</html>
"""


def render_listing(
    folder: str,
    url_path: str,
    resolve: Callable[[str], tuple[str, os.stat_result] | None],
    *,
    at_root: bool,
) -> str:
    """An HTML page listing ``folder``: sub-folders first, then files, by name.

    ``resolve(name)`` is the same check that serving uses (the resolved
    path and its stat, or None when refused), so the page shows exactly what a click
    would get: no dotfiles, no symlinks out of the root unless configured.
    Names are HTML-escaped and links percent-encoded.
    """
    folders: list[str] = []
    files: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        if not _is_utf8(name):
            continue
        found = resolve(name)
        if found is None:
            continue
        mode = found[1].st_mode
        if stat.S_ISDIR(mode):
            folders.append(name)
        elif stat.S_ISREG(mode):
            files.append(name)
    lines = [] if at_root else ['<li><a href="../">../</a></li>']
    for name in sorted(folders, key=str.casefold):
        href = html.escape(quote(name) + "/", quote=True)
        lines.append(f'<li><a href="{href}">{html.escape(name)}/</a></li>')
    for name in sorted(files, key=str.casefold):
        href = html.escape(quote(name), quote=True)
        lines.append(f'<li><a href="{href}">{html.escape(name)}</a></li>')
    return _PAGE.format(title=html.escape(url_path), items="\n".join(lines))


def _is_utf8(name: str) -> bool:
    # A name that is not UTF-8 on disk cannot be requested through a UTF-8 URL.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
