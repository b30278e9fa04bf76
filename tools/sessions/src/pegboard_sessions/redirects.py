"""Where a login may send the browser back to: this site only, never another host."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pegboard

__all__ = ["MAX_TARGET_LENGTH", "safe_redirect_target", "site_root"]

#: A longer ``from_page`` is not followed (browsers and servers cap URLs near 8 KB anyway).
MAX_TARGET_LENGTH = 2048
# Browsers drop tabs and line breaks inside URLs and read "\" as "/", so "/\evil.com" or
# "/<TAB>/evil.com" would become "//evil.com": any control character or backslash is refused.
_REFUSED = re.compile(r"[\x00-\x1f\x7f\\]")
# What may stay as it is in a Location value; everything else is percent-encoded.
_SAFE = "/?#[]@!$&'()*+,;=:%-._~"
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def site_root(req: pegboard.Request) -> str:
    """The path of the application's root (``/``, or the mount point followed by ``/``)."""
    return quote(req.script_name.rstrip("/"), safe=_SAFE) + "/"


def _origin(scheme: str, netloc: str) -> tuple[str, str]:
    scheme, netloc = scheme.lower(), netloc.lower()
    host, sep, port = netloc.rpartition(":")
    if sep and "]" not in port and port == _DEFAULT_PORTS.get(scheme):
        netloc = host  # "example.org:443" is "example.org" for https
    return scheme, netloc


def safe_redirect_target(value: str | None, req: pegboard.Request) -> str | None:
    """``value`` as a path on this site (``/path?query``), or None if it may lead elsewhere.

    Accepted: a path (``/account``), a relative reference (``../list``,
    resolved against the request URL) and an absolute URL whose scheme and
    host are the request's own. Refused: another host or scheme,
    scheme-relative ``//host``, backslashes, control characters, leading or
    trailing spaces, and anything longer than :data:`MAX_TARGET_LENGTH`.
    """
    if not value or len(value) > MAX_TARGET_LENGTH or _REFUSED.search(value):
        return None
    if value != value.strip() or value.startswith("//"):
        return None
    here = _origin(req.scheme, req.host)
    parts = urlsplit(value)
    if (parts.scheme or parts.netloc) and _origin(parts.scheme, parts.netloc) != here:
        return None
    resolved = urlsplit(urljoin(req.url, value))
    if _origin(resolved.scheme, resolved.netloc) != here:
        return None
    path = resolved.path or "/"
    if path.startswith("//"):
        return None  # "/.//evil.com" resolves to a path a browser would read as a host
    target = f"{path}?{resolved.query}" if resolved.query else path
    if resolved.fragment:
        target += "#" + resolved.fragment
    return quote(target, safe=_SAFE)
