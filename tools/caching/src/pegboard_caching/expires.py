"""The ``expires`` tool: CherryPy's ``tools.expires`` (``secs``, ``force``).

With ``secs`` > 0 it sets ``Expires`` to now + secs; with 0 it marks the
response uncacheable (``Pragma: no-cache``, ``Cache-Control: no-cache,
must-revalidate`` and an ``Expires`` in the past). Unless ``force`` is on it
only acts on responses that already look cacheable (an ETag, Last-Modified,
Age or Expires header), and only fills headers that are not set yet.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pegboard
from pegboard import HookDoc, OptionError, Request, Response, option
from pegboard.httputil import format_http_date

__all__ = ["EXPIRES_PRIORITY", "ExpiresOptions", "ExpiresTool", "expires", "expires_tool"]

#: after etags (70), so a computed ETag counts as a cacheability indicator, and
#: before gzip (80) and the caching tool's store (90), which honours Expires
EXPIRES_PRIORITY = 72
_INDICATORS = ("ETag", "Last-Modified", "Age", "Expires")
# CherryPy's date in the past: Sat, 28 Jan 2007 00:00:00 GMT.
_PAST = 1169942400.0
# The last second an HTTP date can name (9999-12-31T23:59:59Z).
_LAST = 253402300799.0


class ExpiresOptions(pegboard.ToolOptions):
    """``tools.expires.*`` of one path."""

    secs: int | float | timedelta = option(
        default=0,
        doc="Expires is set to now + secs; 0 marks the response uncacheable "
        "(Pragma: no-cache, Cache-Control: no-cache, must-revalidate, an Expires in the past)",
        unit="seconds",
    )
    force: bool = option(
        default=False,
        doc="act on every response and replace existing headers; without it only responses "
        "with ETag, Last-Modified, Age or Expires are touched, and only missing headers set",
    )

    def __post_init__(self) -> None:
        secs = self.secs
        seconds = secs.total_seconds() if isinstance(secs, timedelta) else float(secs)
        if not math.isfinite(seconds):
            raise OptionError("secs", f"must be a finite number of seconds, not {secs!r}")


def expires(req: Request, resp: Response, options: ExpiresOptions) -> None:
    """Set Expires (and no-cache headers for secs=0) as CherryPy's expires tool does."""
    headers = resp.headers
    force = options.force
    if not force and not any(name in headers for name in _INDICATORS):
        return
    secs = options.secs
    seconds = secs.total_seconds() if isinstance(secs, timedelta) else float(secs)
    if seconds == 0:
        if force or "Pragma" not in headers:
            headers["Pragma"] = "no-cache"
        protocol = req.environ.get("SERVER_PROTOCOL", "HTTP/1.1")
        if protocol != "HTTP/1.0" and (force or "Cache-Control" not in headers):
            headers["Cache-Control"] = "no-cache, must-revalidate"
        expiry = format_http_date(_PAST)
    else:
        expiry = format_http_date(min(max(time.time() + seconds, 0.0), _LAST))
    if force or "Expires" not in headers:
        headers["Expires"] = expiry


class ExpiresTool(pegboard.Tool[ExpiresOptions]):
    """Set Expires (and no-cache headers for secs=0) as CherryPy's expires tool does."""

    hooks = (
        HookDoc(
            "before_finalize",
            EXPIRES_PRIORITY,
            does="sets Expires (no-cache headers for secs = 0) on responses that look "
            "cacheable, after etags and before gzip and the cache's store",
        ),
    )

    def __init__(self) -> None:
        super().__init__("expires", expires, point="before_finalize", priority=EXPIRES_PRIORITY)


def expires_tool() -> ExpiresTool:
    """The ``expires`` Tool (before_finalize, priority 72)."""
    return ExpiresTool()
