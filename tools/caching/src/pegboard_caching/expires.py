"""The ``expires`` tool: CherryPy's ``tools.expires`` (``secs``, ``force``).

With ``secs`` > 0 it sets ``Expires`` to now + secs; with 0 it marks the
response uncacheable (``Pragma: no-cache``, ``Cache-Control: no-cache,
must-revalidate`` and an ``Expires`` in the past). Unless ``force`` is on it
only acts on responses that already look cacheable (an ETag, Last-Modified,
Age or Expires header), and only fills headers that are not set yet.
"""

from __future__ import annotations

import time
from datetime import timedelta
from email.utils import formatdate
from typing import Any

import pegboard

__all__ = ["EXPIRES_PRIORITY", "expires", "expires_tool"]

#: after etags (70), so a computed ETag counts as a cacheability indicator, and
#: before gzip (80) and the caching tool's store (90), which honours Expires
EXPIRES_PRIORITY = 72
_INDICATORS = ("ETag", "Last-Modified", "Age", "Expires")
# CherryPy's date in the past: Sat, 28 Jan 2007 00:00:00 GMT.
_PAST = 1169942400.0


def expires(req: Any, resp: Any, *, secs: int | float | timedelta = 0, force: bool = False) -> None:
    """Set Expires (and no-cache headers for secs=0) as CherryPy's expires tool does."""
    headers = resp.headers
    if not force and not any(name in headers for name in _INDICATORS):
        return
    seconds = secs.total_seconds() if isinstance(secs, timedelta) else float(secs)
    if seconds == 0:
        if force or "Pragma" not in headers:
            headers["Pragma"] = "no-cache"
        protocol = req.environ.get("SERVER_PROTOCOL", "HTTP/1.1")
        if protocol != "HTTP/1.0" and (force or "Cache-Control" not in headers):
            headers["Cache-Control"] = "no-cache, must-revalidate"
        expiry = formatdate(_PAST, usegmt=True)
    else:
        expiry = formatdate(time.time() + seconds, usegmt=True)
    if force or "Expires" not in headers:
        headers["Expires"] = expiry


def expires_tool() -> pegboard.Tool:
    """The ``expires`` Tool (before_finalize, priority 72)."""
    return pegboard.Tool("expires", expires, point="before_finalize", priority=EXPIRES_PRIORITY)
