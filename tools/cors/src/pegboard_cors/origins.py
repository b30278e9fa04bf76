"""Which origins a path shares its responses with: exact origins, patterns, a callable.

An origin is what a browser sends in the ``Origin`` header: ``scheme://host``
with ``:port`` unless it is the scheme's default, lower-cased, with no path
(the Fetch standard's serialization of an origin). Configured origins are
checked and brought to that form once, when the app starts, so that a
request costs one set lookup (and a regex only when patterns are given).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["ANY", "OriginPolicy", "normalise_origin"]

#: the configured value that allows every origin
ANY = "*"

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
_ORIGIN = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.\-]*)://"
    r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9\-._~%*]+)"
    r"(?::(?P<port>[0-9]{1,5}|\*))?"
)
NOT_ALLOWED, LISTED, CHECKED = 0, 1, 2
#: longer Origin headers are never allowed (no origin a browser sends comes close)
MAX_ORIGIN_LENGTH = 512


def normalise_origin(text: str) -> str:
    """``text`` as a browser serializes an origin; ValueError saying what is wrong.

    ``HTTPS://App.Example:443`` becomes ``https://app.example``. A ``*`` may
    stand for the leftmost labels of the host (``https://*.example.com``, one
    or more labels) or for the port (``http://localhost:*``).
    """
    value = text.strip().lower()
    if value == "null":
        raise ValueError(
            "'null' is the origin of sandboxed frames, file: pages and some redirects, which "
            "any site can produce: it cannot be allowed by name (use origin_check if you must)"
        )
    match = _ORIGIN.fullmatch(value)
    if match is None:
        if re.match(r"[a-z][a-z0-9+.\-]*://[^/]+/", value):
            raise ValueError(
                f"{text!r} has a path: an origin is scheme://host[:port] with nothing after it "
                f"(write {value[: value.index('/', value.index('//') + 2)]!r})"
            )
        raise ValueError(f"{text!r} is not an origin like 'https://app.example' or '*'")
    scheme, host, port = match.group("scheme", "host", "port")
    if "*" in host:
        labels = host.split(".")
        if labels[0] != "*" or "*" in host[1:] or len(labels) < 3:
            raise ValueError(
                f"{text!r}: '*' may only stand for the leftmost labels of a host with at least "
                "two more, as in 'https://*.example.com'"
            )
    if port is not None and port != "*":
        if not 0 < int(port) < 65536:
            raise ValueError(f"{text!r}: the port must be between 1 and 65535")
        # Browsers leave out the scheme's default port.
        port = None if _DEFAULT_PORTS.get(scheme) == str(int(port)) else str(int(port))
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def _pattern(origin: str) -> str:
    """The regex for a normalised origin with a ``*`` in it."""
    match = _ORIGIN.fullmatch(origin)
    assert match is not None  # normalise_origin() accepted it
    scheme, host, port = match.group("scheme", "host", "port")
    out = re.escape(scheme) + "://"
    if host.startswith("*."):
        out += r"(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+" + re.escape(host[2:])
    else:
        out += re.escape(host)
    if port == "*":
        out += r"(?::[0-9]{1,5})?"
    elif port:
        out += ":" + re.escape(port)
    return out


class OriginPolicy:
    """Answers "may this origin read the response?", built once per path.

    ``any_origin`` is true for ``*``; otherwise an origin is allowed when it
    is one of the exact origins, matches a pattern, or ``check(origin)`` says
    so (tried in that order).
    """

    __slots__ = ("any_origin", "check", "exact", "pattern")

    def __init__(self, origins: Iterable[str], check: Callable[[str], bool] | None = None) -> None:
        listed = [normalise_origin(o) if o.strip() != ANY else ANY for o in origins]
        self.any_origin = ANY in listed
        self.exact = frozenset(o for o in listed if "*" not in o)
        patterns = [_pattern(o) for o in listed if o != ANY and "*" in o]
        self.pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self.check = check

    @property
    def allows_none(self) -> bool:
        """True when no origin at all can be allowed (nothing configured)."""
        return not (self.any_origin or self.exact or self.pattern or self.check)

    def allows(self, origin: str) -> bool:
        """Whether ``origin`` (an Origin header's value) is allowed."""
        return self.match(origin) != NOT_ALLOWED

    def match(self, origin: str) -> int:
        """``LISTED`` (by the list or a pattern: only safe characters), ``CHECKED`` (by the
        callable, which may approve anything) or ``NOT_ALLOWED``."""
        if self.any_origin or origin in self.exact:
            return LISTED
        if len(origin) > MAX_ORIGIN_LENGTH:
            return NOT_ALLOWED
        pattern = self.pattern
        if pattern is not None and pattern.fullmatch(origin):
            return LISTED
        check = self.check
        return CHECKED if check is not None and check(origin) else NOT_ALLOWED
