"""The built-in login form of ``session_auth``; every value it shows is HTML-escaped."""

from __future__ import annotations

import html
import string
from typing import Any

__all__ = ["default_login_screen"]

_PAGE = string.Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in</title>
</head>
<body>
<main>
<h1>Log in</h1>
$message<form method="post" action="$action">
<p><label>Username<br>
<input type="text" name="username" value="$username" autocomplete="username" required autofocus>
</label></p>
<p><label>Password<br>
<input type="password" name="password" autocomplete="current-password" required>
</label></p>
<input type="hidden" name="from_page" value="$from_page">
<input type="hidden" name="csrf_token" value="$csrf_token">
<p><button type="submit">Log in</button></p>
</form>
</main>
</body>
</html>
"""
)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def default_login_screen(
    *,
    from_page: str,
    username: str,
    error_msg: str,
    csrf_token: str,
    action: str,
    **_: Any,
) -> str:
    """The login page: a form posting to ``action``, with ``error_msg`` above it if any.

    A replacement (the ``login_screen`` option) is called with the same
    keyword arguments, unescaped, and must escape them itself.
    """
    message = f'<p role="alert">{html.escape(error_msg)}</p>\n' if error_msg else ""
    return _PAGE.substitute(
        message=message,
        action=_attr(action),
        username=_attr(username),
        from_page=_attr(from_page),
        csrf_token=_attr(csrf_token),
    )
